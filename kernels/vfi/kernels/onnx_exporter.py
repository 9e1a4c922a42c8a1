"""The ONNX exporter of the toolkit: a torch module that may use our custom ops -> an ONNX file.

    from vfi.kernels.onnx_exporter import export_module
    export_module(model, (img0, img1), "model.onnx", flavour="tensorrt", opset=19,
                  input_names=["img0", "img1"], output_names=["out"], dynamic=True)

`flavour` selects each custom op's lowering (`vfi.kernels.export_flavour`); the dynamo exporter
writes the graph at `opset` (16..19, default `vfi.core.graph_spec.DEFAULT_OPSET`). Every graph the
toolkit exports goes through this function: `vfi export`, the ONNX Runtime backend's on-the-fly
graphs, and the op and model tests. With ``lint=True`` (the default) the written graph is checked
by `vfi.kernels.onnx_lint` for its flavour and `ExportError` is raised on any finding; callers
that transform the graph further (simplification) pass ``lint=False`` and lint the final graph
themselves, so each graph is linted once.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

from vfi.core.graph_spec import DEFAULT_OPSET
from vfi.kernels.onnx_lint import MAX_OPSET, MIN_OPSET


def _nchw_dynamic_shapes(args) -> tuple:
    # Batch, height and width dynamic for 4-D tensor inputs; other inputs static.
    import torch

    shapes = []
    for arg in args:
        if isinstance(arg, torch.Tensor) and arg.dim() == 4:
            shapes.append({0: torch.export.Dim.DYNAMIC, 2: torch.export.Dim.DYNAMIC, 3: torch.export.Dim.DYNAMIC})
        else:
            shapes.append(None)
    return tuple(shapes)


def check_opset(opset: int) -> int:
    """`opset` if an export may use it; `ExportError` (parameter ``opset``) otherwise."""
    from vfi.core.errors import ExportError

    if not MIN_OPSET <= opset <= MAX_OPSET:
        raise ExportError(
            f"opset {opset} refused: use {MIN_OPSET}..{MAX_OPSET} (from opset 20 GridSample's mode is "
            "'linear', which TensorRT's parser runs as nearest)",
            "opset",
        )
    return opset


def export_module(
    module,
    args: tuple,
    path,
    flavour: str = "portable",
    opset: int = DEFAULT_OPSET,
    input_names: list[str] | None = None,
    output_names: list[str] | None = None,
    dynamic: bool = False,
    dynamic_shapes=None,
    lint: bool = True,
) -> Path:
    """Export `module(*args)` to ONNX at `path` with the custom ops lowered as `flavour`; returns the path.

    Args:
        flavour: "tensorrt" (custom `vfi` nodes, TensorRT plugins) or "portable" (standard ONNX).
        opset: default-domain opset, 16..19 (refused otherwise; see `vfi.kernels.onnx_lint`).
        dynamic: make dims 0, 2, 3 of every 4-D tensor input dynamic (N, H, W).
        dynamic_shapes: explicit `torch.export` dynamic shapes (overrides `dynamic`).
        lint: check the written graph for `flavour` (see the module docstring).
    Raises:
        ExportError: opset out of range, or the written graph fails the lint.
    """
    import torch

    from vfi.kernels.export_flavour import onnx_flavour
    from vfi.kernels.onnx_lint import check

    check_opset(opset)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if dynamic_shapes is None and dynamic:
        dynamic_shapes = _nchw_dynamic_shapes(args)
    was_training = getattr(module, "training", False)
    if was_training:
        module.eval()  # graphs are exported for inference; the caller's mode is restored below
    try:
        with onnx_flavour(flavour), quiet_exporter(), torch.no_grad():
            program = torch.onnx.export(
                module,
                tuple(args),
                dynamo=True,
                opset_version=opset,
                input_names=input_names,
                output_names=output_names,
                dynamic_shapes=dynamic_shapes,
                external_data=False,
                verbose=False,
                report=False,
                optimize=True,
            )
    finally:
        if was_training:
            module.train()
    program.save(str(path), external_data=False)
    if lint:
        check(path, flavour)
    return path


@contextlib.contextmanager
def quiet_exporter():
    """Silence the exporter's progress chatter and optional-package notices (e.g. "torchvision is
    not installed") so command output stays readable; errors still raise."""
    import io
    import logging
    import warnings

    loggers = [logging.getLogger(name) for name in ("torch.onnx", "torch._export", "torch.export", "onnxscript")]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with contextlib.redirect_stdout(io.StringIO()):
                yield
    finally:
        for logger, level in zip(loggers, levels):
            logger.setLevel(level)
