"""`python -m vfi.train.cli_entry ARGS` = `vfi train ARGS`, for launchers that take a module:

    torchrun --nproc_per_node 2 -m vfi.train.cli_entry ifrnet-s --data synthetic --steps 100 --out runs/x
"""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> None:
    from vfi.cli.app import main as vfi_main

    vfi_main(["train", *(sys.argv[1:] if argv is None else argv)])


if __name__ == "__main__":
    main()
