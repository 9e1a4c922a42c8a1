from vfi.cli.app import main

main()
