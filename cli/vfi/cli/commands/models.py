"""`vfi models`: the registered model names with their parameter counts."""

from __future__ import annotations

import typer


def models_command(
    params: bool = typer.Option(True, "--params/--no-params", help="Build each model to count its parameters."),
) -> None:
    """List registered models: name, family, parameters, pad multiple, timestep mode, input frames
    (2 for a pair, 4 for one context frame on each side; "flow" for a flow estimator), weights."""
    from rich.table import Table

    import vfi.models as vm
    from vfi.cli.console import console
    from vfi.core.cache import weights_dir

    table = Table(title="registered models")
    for column in ("name", "family", "params", "pad", "timestep", "frames", "weights", "description"):
        table.add_column(column, no_wrap=column in ("name", "component"))
    for name in vm.names():
        variant = vm.get_variant(name)
        count, pad, timestep, frames = "-", "-", "-", "-"
        if params:
            model = vm.create(name)
            count = f"{sum(p.numel() for p in model.parameters()) / 1e6:.2f}M"
            pad, timestep = str(model.card.pad_multiple), model.card.timestep_mode
            frames = "flow" if model.card.task == "flow" else str(2 * model.card.context)
        if variant.pretrained is None:
            weights = "none"
        elif (weights_dir() / f"{variant.pretrained}.safetensors").exists():
            weights = "imported"
        else:
            weights = f"run `{variant.weights_hint}`"
        table.add_row(name, variant.family, count, pad, timestep, frames, weights, variant.description)
    _add_flow_estimators(table, params)
    console().print(table)


def _add_flow_estimators(table, params: bool) -> None:
    """Rows for the optical flow estimators (DBVFI's flow network, flow teachers): they export
    and validate like the models above, and make flows rather than frames."""
    from vfi.core.cache import weights_dir
    from vfi.models.flow_estimators import FLOW_ESTIMATORS, create_flow_estimator, flow_variant

    for name in FLOW_ESTIMATORS:
        variant = flow_variant(name)
        count, pad = "-", "-"
        if params:
            model = create_flow_estimator(name)
            count, pad = f"{sum(p.numel() for p in model.parameters()) / 1e6:.2f}M", str(model.card.pad_multiple)
        imported = (weights_dir() / f"{variant.pretrained}.safetensors").exists()
        weights = "imported" if imported else f"convert: `{variant.weights_hint}`"
        table.add_row(name, variant.family, count, pad, "-", "flow", weights, variant.description)
