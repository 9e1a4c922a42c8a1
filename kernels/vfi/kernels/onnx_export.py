"""ONNX export of modules that use the custom ops, and the lint that every exported graph passes.

    from vfi.kernels.onnx_export import export_module
    export_module(model, (img0, img1), "model.onnx", flavour="tensorrt", opset=18,
                  input_names=["img0", "img1"], output_names=["out"], dynamic=True)

`flavour` selects each custom op's lowering (`vfi.kernels.export_flavour`); the dynamo exporter
writes the graph at `opset` (16..19; 18 is what the custom-node path is checked with). After
writing, `lint` runs on the file and `ExportError` is raised on any finding, so a graph that
TensorRT would silently run wrongly never leaves this function.

Lint findings:
  * `GridSample` in a graph whose default-domain opset is >= 20 (mode becomes "linear"; TensorRT's
    parser falls back to nearest). A GridSample whose mode is not bilinear/bicubic/nearest too.
  * a custom-domain node whose op_type equals a built-in ONNX op name (TensorRT's parser ignores
    the domain, so it would import the built-in op instead of the plugin).
  * a `vfi`-domain node without `plugin_version` / `plugin_namespace` attributes.
"""

from __future__ import annotations

import contextlib

import functools
from pathlib import Path

MIN_OPSET = 16
MAX_OPSET = 19  # GridSample's mode changes meaning at opset 20


@functools.lru_cache(maxsize=1)
def builtin_op_types() -> frozenset[str]:
    """Names of every op in ONNX's built-in domains (ai.onnx, ai.onnx.ml, ai.onnx.preview.training)."""
    import onnx.defs

    return frozenset(schema.name for schema in onnx.defs.get_all_schemas_with_history())


def default_opset(model) -> int:
    """The model's opset for the default ("" / "ai.onnx") domain."""
    for entry in model.opset_import:
        if entry.domain in ("", "ai.onnx"):
            return entry.version
    return 0


def _nodes(graph):
    for node in graph.node:
        yield node
        for attr in node.attribute:
            if attr.g is not None and attr.g.node:
                yield from _nodes(attr.g)
            for sub in attr.graphs:
                yield from _nodes(sub)


def lint(model_or_path) -> list[str]:
    """Findings (one line each) that make a graph unfit for TensorRT; [] when clean."""
    import onnx
    from onnx import helper

    model = onnx.load(str(model_or_path)) if isinstance(model_or_path, (str, Path)) else model_or_path
    opset = default_opset(model)
    builtin = builtin_op_types()
    findings = []
    nodes = list(_nodes(model.graph))
    for fn in model.functions:
        nodes.extend(fn.node)
    for node in nodes:
        attrs = {a.name: helper.get_attribute_value(a) for a in node.attribute}
        where = f"node {node.name or '<unnamed>'} ({node.domain or 'ai.onnx'}::{node.op_type})"
        if node.domain in ("", "ai.onnx") and node.op_type == "GridSample":
            if opset >= 20:
                findings.append(f"{where}: GridSample at opset {opset} (mode 'linear' from opset 20 is read as nearest by "
                                f"TensorRT's parser); export at opset {MIN_OPSET}..{MAX_OPSET}")
            mode = attrs.get("mode", b"bilinear")
            mode = mode.decode() if isinstance(mode, bytes) else mode
            if mode not in ("bilinear", "bicubic", "nearest"):
                findings.append(f"{where}: GridSample mode {mode!r} is not one TensorRT's parser reads correctly")
        elif node.domain not in ("", "ai.onnx", "ai.onnx.ml", "ai.onnx.preview.training"):
            if node.op_type in builtin:
                findings.append(f"{where}: custom op_type {node.op_type!r} equals a built-in ONNX op name; "
                                "TensorRT's parser ignores the domain and would import the built-in op")
            if node.domain == "vfi":
                for required in ("plugin_version", "plugin_namespace"):
                    if required not in attrs:
                        findings.append(f"{where}: missing attribute {required!r} (TensorRT plugin lookup)")
    return findings


def check(model_or_path) -> None:
    """Raise `vfi.core.errors.ExportError` listing every lint finding."""
    from vfi.core.errors import ExportError

    findings = lint(model_or_path)
    if findings:
        raise ExportError(f"ONNX graph {model_or_path if isinstance(model_or_path, (str, Path)) else ''} refused: " + "; ".join(findings))


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


def export_module(module, args: tuple, path, flavour: str = "portable", opset: int = 18,
                  input_names: list[str] | None = None, output_names: list[str] | None = None,
                  dynamic: bool = False, dynamic_shapes=None):
    """Export `module(*args)` to ONNX at `path` with the custom ops lowered as `flavour`; returns the path.

    Args:
        flavour: "tensorrt" (custom `vfi` nodes, TensorRT plugins) or "portable" (standard ONNX).
        opset: default-domain opset, 16..19 (refused otherwise; see module docstring).
        dynamic: make dims 0, 2, 3 of every 4-D tensor input dynamic (N, H, W).
        dynamic_shapes: explicit `torch.export` dynamic shapes (overrides `dynamic`).
    Raises:
        ExportError: opset out of range, or the written graph fails `lint`.
    """
    import torch

    from vfi.core.errors import ExportError
    from vfi.kernels.export_flavour import onnx_flavour

    if not MIN_OPSET <= opset <= MAX_OPSET:
        raise ExportError(f"opset {opset} refused: use {MIN_OPSET}..{MAX_OPSET} (at opset 20 GridSample's mode becomes "
                          "'linear', which TensorRT's parser runs as nearest)")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if dynamic_shapes is None and dynamic:
        dynamic_shapes = _nchw_dynamic_shapes(args)
    was_training = getattr(module, "training", False)
    if was_training:
        module.eval()  # graphs are exported for inference; the caller's mode is restored below
    try:
        with onnx_flavour(flavour):
            program = torch.onnx.export(module, tuple(args), dynamo=True, opset_version=opset, input_names=input_names,
                                        output_names=output_names, dynamic_shapes=dynamic_shapes, external_data=False,
                                        verbose=False, report=False, optimize=True)
    finally:
        if was_training:
            module.train()
    program.save(str(path))
    check(path)
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
