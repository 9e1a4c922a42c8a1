"""The `vfi` command line (typer): `app.py` holds the app and its entry point `main`, each command
lives in `commands/<name>.py` and stays thin: it parses options and calls the library."""
