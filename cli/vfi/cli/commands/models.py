"""`vfi models`: the registered model names with their parameter counts."""

from __future__ import annotations

import typer


def models_command(
    params: bool = typer.Option(True, "--params/--no-params", help="Build each model to count its parameters."),
) -> None:
    """List registered models: name, family, parameters, pad multiple, timestep mode, weights."""
    from rich.table import Table

    import vfi.models as vm
    from vfi.cli.console import console
    from vfi.core.cache import weights_dir

    table = Table(title="registered models")
    for column in ("name", "family", "params", "pad", "timestep", "weights", "description"):
        table.add_column(column, no_wrap=column in ("name", "component"))
    for name in vm.names():
        variant = vm.get_variant(name)
        count, pad, timestep = "-", "-", "-"
        if params:
            model = vm.create(name)
            count = f"{sum(p.numel() for p in model.parameters()) / 1e6:.2f}M"
            pad, timestep = str(model.card.pad_multiple), model.card.timestep_mode
        if variant.pretrained is None:
            weights = "none"
        elif (weights_dir() / f"{variant.pretrained}.safetensors").exists():
            weights = "imported"
        else:
            weights = f"run `{variant.weights_hint}`"
        table.add_row(name, variant.family, count, pad, timestep, weights, variant.description)
    console().print(table)
