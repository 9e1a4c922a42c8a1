"""Graph lint for exported models: the TensorRT rules of `vfi.kernels.onnx_export.lint`, plus the
rules that depend on the flavour the graph was exported for.

Findings (one line each; `check` raises `ExportError` listing them):
  * from the kernels' lint: GridSample at opset >= 20 or with a mode TensorRT misreads; a custom
    op_type equal to a built-in ONNX op name; a `vfi` node without plugin attributes;
  * float64 anywhere (inputs, outputs, initializers, inferred intermediates, Cast/Constant to
    double): TensorRT has no float64 and a leftover usually means a Python float became a double
    constant during tracing;
  * `DeformConv` (ai.onnx) in a graph whose default-domain opset is below 19, where it does not
    exist;
  * portable flavour: any node outside the built-in ONNX domains (ONNX Runtime cannot run a `vfi`
    node; the portable graph promises standard ops only);
  * tensorrt flavour: a custom node that no op in `vfi.kernels.OPS` implements (no plugin and no
    CPU executor would exist for it), or whose plugin_version differs from the registered one.
"""

from __future__ import annotations

from pathlib import Path

BUILTIN_DOMAINS = ("", "ai.onnx", "ai.onnx.ml", "ai.onnx.preview.training")
#: first default-domain opset that defines DeformConv
DEFORM_CONV_OPSET = 19


def _load(model_or_path):
    import onnx

    return onnx.load(str(model_or_path)) if isinstance(model_or_path, (str, Path)) else model_or_path


def _all_nodes(model) -> list:
    from vfi.kernels.onnx_export import _nodes

    return list(_nodes(model.graph)) + [n for fn in model.functions for n in fn.node]


def _where(node) -> str:
    return f"node {node.name or '<unnamed>'} ({node.domain or 'ai.onnx'}::{node.op_type})"


def float64_findings(model) -> list[str]:
    """Every place a float64 tensor appears (after best-effort shape inference)."""
    import onnx
    from onnx import TensorProto, helper

    double = TensorProto.DOUBLE
    findings = []
    try:
        inferred = onnx.shape_inference.infer_shapes(model, strict_mode=False)
    except Exception:  # inference is a best effort here; the explicit types below are still checked
        inferred = model
    graph = inferred.graph
    for kind, values in (("input", graph.input), ("output", graph.output), ("intermediate", graph.value_info)):
        for value in values:
            if value.type.tensor_type.elem_type == double:
                findings.append(f"float64 {kind} tensor {value.name!r}")
    for init in graph.initializer:
        if init.data_type == double:
            findings.append(f"float64 initializer {init.name!r}")
    for node in _all_nodes(inferred):
        attrs = {a.name: a for a in node.attribute}
        if node.op_type == "Cast" and "to" in attrs and helper.get_attribute_value(attrs["to"]) == double:
            findings.append(f"{_where(node)}: casts to float64")
        if node.op_type == "Constant" and "value" in attrs and attrs["value"].t.data_type == double:
            findings.append(f"{_where(node)}: float64 constant")
    return [f + " (TensorRT has no float64; keep the model in float32/float16)" for f in findings]


def flavour_findings(model, flavour: str) -> list[str]:
    """Findings that depend on the flavour (see the module docstring)."""
    from onnx import helper

    from vfi.kernels.onnx_export import default_opset
    from vfi.kernels.registry import OPS

    registered = {spec.onnx_op_type: spec for spec in OPS.values()}
    opset = default_opset(model)
    findings = []
    for node in _all_nodes(model):
        where = _where(node)
        builtin = node.domain in BUILTIN_DOMAINS
        if builtin and node.op_type == "DeformConv" and opset < DEFORM_CONV_OPSET:
            findings.append(f"{where}: DeformConv needs opset >= {DEFORM_CONV_OPSET}, graph has {opset}; export with --opset 19")
        if builtin:
            continue
        if flavour == "portable":
            findings.append(f"{where}: custom-domain node in a portable graph (ONNX Runtime and other runtimes "
                            "cannot run it); export with --flavour tensorrt for plugin nodes")
        elif flavour == "tensorrt":
            spec = registered.get(node.op_type) if node.domain == "vfi" else None
            if spec is None:
                findings.append(f"{where}: no op in vfi.kernels.OPS implements this custom node (no TensorRT plugin)")
                continue
            attrs = {a.name: helper.get_attribute_value(a) for a in node.attribute}
            version = attrs.get("plugin_version", b"")
            version = version.decode() if isinstance(version, bytes) else str(version)
            if version and version != spec.plugin_version:
                findings.append(f"{where}: plugin_version {version!r} but vfi.kernels registers {spec.plugin_version!r}")
    return findings


def lint(model_or_path, flavour: str | None = None) -> list[str]:
    """All findings for a graph exported as `flavour` ("tensorrt", "portable", or None to skip
    the flavour rules); [] when the graph is clean."""
    from vfi.kernels.onnx_export import lint as kernel_lint

    model = _load(model_or_path)
    findings = kernel_lint(model) + float64_findings(model)
    if flavour is not None:
        findings += flavour_findings(model, flavour)
    return findings


def check(model_or_path, flavour: str | None = None) -> None:
    """Raise `vfi.core.errors.ExportError` listing every finding of `lint`."""
    from vfi.core.errors import ExportError

    findings = lint(model_or_path, flavour)
    if findings:
        name = f" {model_or_path}" if isinstance(model_or_path, (str, Path)) else ""
        raise ExportError(f"ONNX graph{name} refused by lint: " + "; ".join(findings))


def plugins_used(model_or_path) -> list[dict]:
    """The TensorRT plugins a tensorrt-flavour graph needs: op, plugin name, namespace, version."""
    from vfi.kernels.onnx_executors import custom_op_types
    from vfi.kernels.registry import OPS

    used = custom_op_types(_load(model_or_path))
    return [
        {"op": spec.name, "plugin": spec.onnx_op_type, "namespace": "vfi", "version": spec.plugin_version}
        for spec in OPS.values()
        if spec.onnx_op_type in used
    ]
