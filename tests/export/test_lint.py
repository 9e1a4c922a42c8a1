"""Every lint rule of `vfi.kernels.onnx_lint`, each triggered by a hand-built bad graph."""

from __future__ import annotations

import pytest
from onnx import TensorProto, helper, numpy_helper

from vfi.core.errors import ExportError
from vfi.kernels.onnx_lint import check, lint


def _model(nodes, opset=18, inputs=("x",), outputs=("y",), dtype=TensorProto.FLOAT, initializers=(), domains=()):
    graph = helper.make_graph(
        nodes,
        "g",
        [helper.make_tensor_value_info(n, dtype, [1, 3, 4, 4]) for n in inputs],
        [helper.make_tensor_value_info(n, dtype, None) for n in outputs],
        initializer=list(initializers),
    )
    opsets = [helper.make_opsetid("", opset), *[helper.make_opsetid(d, 1) for d in domains]]
    return helper.make_model(graph, opset_imports=opsets, ir_version=10)


def test_clean_graph_passes_both_flavours():
    model = _model([helper.make_node("Relu", ["x"], ["y"])])
    assert lint(model, "portable") == [] and lint(model, "tensorrt") == []


def test_gridsample_at_opset_20_refused():
    node = helper.make_node("GridSample", ["x", "g"], ["y"], mode="linear", align_corners=1)
    findings = lint(_model([node], opset=20, inputs=("x", "g")), "portable")
    assert any("opset 20" in f for f in findings)
    with pytest.raises(ExportError, match="refused by lint"):
        check(_model([node], opset=20, inputs=("x", "g")), "tensorrt")


def test_custom_op_named_like_builtin_refused():
    node = helper.make_node("Conv", ["x"], ["y"], domain="vfi", plugin_version="1", plugin_namespace="vfi")
    assert any("built-in" in f for f in lint(_model([node], domains=("vfi",)), "tensorrt"))


def test_float64_input_initializer_and_cast_refused():
    double_in = _model([helper.make_node("Relu", ["x"], ["y"])], dtype=TensorProto.DOUBLE)
    assert any("float64 input" in f for f in lint(double_in))
    init = numpy_helper.from_array(__import__("numpy").zeros([1], "float64"), name="c")
    cast = _model(
        [
            helper.make_node("Cast", ["x"], ["d"], to=TensorProto.DOUBLE),
            helper.make_node("Cast", ["d"], ["y"], to=TensorProto.FLOAT),
        ],
        initializers=[init],
    )
    findings = lint(cast)
    assert any("casts to float64" in f for f in findings) and any("float64 initializer" in f for f in findings)
    assert any("float64 intermediate" in f for f in findings)  # from shape inference


def test_vfi_node_in_portable_graph_refused():
    node = helper.make_node("VfiBackwardWarp", ["x", "f"], ["y"], domain="vfi", plugin_version="1", plugin_namespace="vfi")
    model = _model([node], inputs=("x", "f"), domains=("vfi",))
    assert any("portable graph" in f for f in lint(model, "portable"))
    assert lint(model, "tensorrt") == []


def test_unknown_custom_node_refused_for_tensorrt():
    node = helper.make_node("VfiNoSuchOp", ["x"], ["y"], domain="vfi", plugin_version="1", plugin_namespace="vfi")
    assert any("no op in vfi.kernels.OPS" in f for f in lint(_model([node], domains=("vfi",)), "tensorrt"))
    other = helper.make_node("Whatever", ["x"], ["y"], domain="acme")
    assert any("no op in vfi.kernels.OPS" in f for f in lint(_model([other], domains=("acme",)), "tensorrt"))


def test_plugin_version_mismatch_refused():
    node = helper.make_node("VfiBackwardWarp", ["x", "f"], ["y"], domain="vfi", plugin_version="7", plugin_namespace="vfi")
    assert any("plugin_version '7'" in f for f in lint(_model([node], inputs=("x", "f"), domains=("vfi",)), "tensorrt"))


def test_deform_conv_below_opset_19_refused():
    node = helper.make_node("DeformConv", ["x", "w", "o"], ["y"])
    findings = lint(_model([node], opset=18, inputs=("x", "w", "o")), "portable")
    assert any("DeformConv needs opset >= 19" in f for f in findings)
    assert not any("DeformConv" in f for f in lint(_model([node], opset=19, inputs=("x", "w", "o")), "portable"))
