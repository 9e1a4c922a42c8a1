"""The ONNX lint: refuses graphs that a runtime would run wrongly. Every exported graph passes it
once, after its last transformation (export, simplification), whoever exported it.

Findings (one line each; `check` raises `ExportError` listing them):
  * `GridSample` in a graph whose default-domain opset is >= 20 (mode becomes "linear", which
    TensorRT's parser falls back to nearest for), or with a mode TensorRT misreads;
  * a custom-domain node whose op_type equals a built-in ONNX op name (TensorRT's parser ignores
    the domain, so it would import the built-in op instead of the plugin);
  * a `vfi`-domain node without `plugin_version` / `plugin_namespace` attributes;
  * float64 anywhere (inputs, outputs, initializers, inferred intermediates, Cast/Constant to
    double): TensorRT has no float64 and a leftover usually means a Python float became a double
    constant during tracing;
  * `DeformConv` (ai.onnx) in a graph whose default-domain opset is below 19, where it does not
    exist;
  * with flavour "portable": any node outside the built-in ONNX domains (ONNX Runtime cannot run
    a `vfi` node; the portable graph promises standard ops only);
  * with flavour "tensorrt": a custom node that no op in `vfi.kernels.OPS` implements (no plugin
    and no CPU executor would exist for it), or whose plugin_version differs from the registered one.
"""

from __future__ import annotations

import functools
from pathlib import Path

BUILTIN_DOMAINS = ("", "ai.onnx", "ai.onnx.ml", "ai.onnx.preview.training")
#: first default-domain opset that defines DeformConv
DEFORM_CONV_OPSET = 19
#: opsets an export may use: GridSample's mode changes meaning at opset 20
MIN_OPSET, MAX_OPSET = 16, 19


@functools.lru_cache(maxsize=1)
def builtin_op_types() -> frozenset[str]:
    """Names of every op in ONNX's built-in domains (ai.onnx, ai.onnx.ml, ai.onnx.preview.training)."""
    import onnx.defs

    return frozenset(schema.name for schema in onnx.defs.get_all_schemas_with_history())


def load_model(model_or_path):
    """An `onnx.ModelProto` from a path or a model."""
    import onnx

    return onnx.load(str(model_or_path)) if isinstance(model_or_path, (str, Path)) else model_or_path


def default_opset(model) -> int:
    """The model's opset for the default ("" / "ai.onnx") domain."""
    for entry in model.opset_import:
        if entry.domain in ("", "ai.onnx"):
            return entry.version
    return 0


def _subgraph_nodes(graph):
    for node in graph.node:
        yield node
        for attr in node.attribute:
            if attr.g is not None and attr.g.node:
                yield from _subgraph_nodes(attr.g)
            for sub in attr.graphs:
                yield from _subgraph_nodes(sub)


def graph_nodes(model) -> list:
    """Every node of `model`: the main graph, its subgraphs and its local functions."""
    return list(_subgraph_nodes(model.graph)) + [n for fn in model.functions for n in fn.node]


def custom_op_types(model) -> set[str]:
    """op_types of the `vfi`-domain nodes in `model` (functions and subgraphs included)."""
    return {n.op_type for n in graph_nodes(model) if n.domain == "vfi"}


def _where(node) -> str:
    return f"node {node.name or '<unnamed>'} ({node.domain or 'ai.onnx'}::{node.op_type})"


def _attributes(node) -> dict:
    from onnx import helper

    values = {a.name: helper.get_attribute_value(a) for a in node.attribute}
    return {k: v.decode() if isinstance(v, bytes) else v for k, v in values.items()}


def tensorrt_findings(model) -> list[str]:
    """GridSample, op-name clash and plugin-attribute findings (see the module docstring)."""
    opset = default_opset(model)
    builtin = builtin_op_types()
    findings = []
    for node in graph_nodes(model):
        attrs = _attributes(node)
        where = _where(node)
        if node.domain in ("", "ai.onnx") and node.op_type == "GridSample":
            if opset >= 20:
                findings.append(
                    f"{where}: GridSample at opset {opset} (mode 'linear' from opset 20 is read as nearest by "
                    f"TensorRT's parser); export at opset {MIN_OPSET}..{MAX_OPSET}"
                )
            mode = attrs.get("mode", "bilinear")
            if mode not in ("bilinear", "bicubic", "nearest"):
                findings.append(f"{where}: GridSample mode {mode!r} is not one TensorRT's parser reads correctly")
        elif node.domain not in BUILTIN_DOMAINS:
            if node.op_type in builtin:
                findings.append(
                    f"{where}: custom op_type {node.op_type!r} equals a built-in ONNX op name; "
                    "TensorRT's parser ignores the domain and would import the built-in op"
                )
            if node.domain == "vfi":
                for required in ("plugin_version", "plugin_namespace"):
                    if required not in attrs:
                        findings.append(f"{where}: missing attribute {required!r} (TensorRT plugin lookup)")
    return findings


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
    for node in graph_nodes(inferred):
        attrs = {a.name: a for a in node.attribute}
        if node.op_type == "Cast" and "to" in attrs and helper.get_attribute_value(attrs["to"]) == double:
            findings.append(f"{_where(node)}: casts to float64")
        if node.op_type == "Constant" and "value" in attrs and attrs["value"].t.data_type == double:
            findings.append(f"{_where(node)}: float64 constant")
    return [f + " (TensorRT has no float64; keep the model in float32/float16)" for f in findings]


def flavour_findings(model, flavour: str) -> list[str]:
    """Findings that depend on the flavour (see the module docstring)."""
    from vfi.kernels.registry import OPS

    registered = {spec.onnx_op_type: spec for spec in OPS.values()}
    opset = default_opset(model)
    findings = []
    for node in graph_nodes(model):
        where = _where(node)
        builtin = node.domain in BUILTIN_DOMAINS
        if builtin and node.op_type == "DeformConv" and opset < DEFORM_CONV_OPSET:
            findings.append(f"{where}: DeformConv needs opset >= {DEFORM_CONV_OPSET}, graph has {opset}; export at opset 19")
        if builtin:
            continue
        if flavour == "portable":
            findings.append(
                f"{where}: custom-domain node in a portable graph (ONNX Runtime and other runtimes "
                "cannot run it); export the tensorrt flavour for plugin nodes"
            )
        elif flavour == "tensorrt":
            spec = registered.get(node.op_type) if node.domain == "vfi" else None
            if spec is None:
                findings.append(f"{where}: no op in vfi.kernels.OPS implements this custom node (no TensorRT plugin)")
                continue
            version = str(_attributes(node).get("plugin_version", ""))
            if version and version != spec.plugin_version:
                findings.append(f"{where}: plugin_version {version!r} but vfi.kernels registers {spec.plugin_version!r}")
    return findings


def lint(model_or_path, flavour: str | None = None) -> list[str]:
    """All findings for a graph exported as `flavour` ("tensorrt", "portable", or None to skip
    the flavour rules); [] when the graph is clean."""
    model = load_model(model_or_path)
    findings = tensorrt_findings(model) + float64_findings(model)
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
    from vfi.kernels.registry import OPS

    used = custom_op_types(load_model(model_or_path))
    return [
        {"op": spec.name, "plugin": spec.onnx_op_type, "namespace": "vfi", "version": spec.plugin_version}
        for spec in OPS.values()
        if spec.onnx_op_type in used
    ]
