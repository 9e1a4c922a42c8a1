"""The rich console the commands print to: wide enough for tables when output is not a terminal."""

from __future__ import annotations


def console():
    """A `rich.console.Console` on stdout; 160 columns when piped or captured (rich's default is 80)."""
    import sys

    from rich.console import Console

    return Console() if sys.stdout.isatty() else Console(width=160)
