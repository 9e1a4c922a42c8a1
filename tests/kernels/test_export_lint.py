"""The ONNX lint refuses graphs that TensorRT would run wrongly."""

from __future__ import annotations

import onnx
import pytest
import torch
from onnx import TensorProto, helper

from vfi.core.errors import ExportError
from vfi.kernels.onnx_exporter import export_module
from vfi.kernels.onnx_lint import check, lint


def _graph_with(node, opset, extra_opsets=()):
    inputs = [helper.make_tensor_value_info(n, TensorProto.FLOAT, None) for n in node.input]
    outputs = [helper.make_tensor_value_info(n, TensorProto.FLOAT, None) for n in node.output]
    graph = helper.make_graph([node], "g", inputs, outputs)
    opsets = [helper.make_opsetid("", opset), *[helper.make_opsetid(d, v) for d, v in extra_opsets]]
    return helper.make_model(graph, opset_imports=opsets, ir_version=10)


def test_gridsample_at_opset_20_refused():
    node = helper.make_node("GridSample", ["x", "grid"], ["y"], mode="linear", padding_mode="border", align_corners=1)
    findings = lint(_graph_with(node, 20))
    assert any("opset 20" in f for f in findings) and any("'linear'" in f for f in findings)
    with pytest.raises(ExportError):
        check(_graph_with(node, 20))


def test_gridsample_bilinear_at_opset_18_passes():
    node = helper.make_node("GridSample", ["x", "grid"], ["y"], mode="bilinear", padding_mode="border", align_corners=1)
    assert lint(_graph_with(node, 18)) == []


def test_custom_op_named_like_builtin_refused():
    node = helper.make_node("DeformConv", ["x", "w", "offset"], ["y"], domain="vfi", plugin_version="1", plugin_namespace="vfi")
    findings = lint(_graph_with(node, 18, [("vfi", 1)]))
    assert any("built-in" in f for f in findings)


def test_vfi_node_without_plugin_attributes_refused():
    node = helper.make_node("VfiSomething", ["x"], ["y"], domain="vfi")
    findings = lint(_graph_with(node, 18, [("vfi", 1)]))
    assert any("plugin_version" in f for f in findings) and any("plugin_namespace" in f for f in findings)


def test_export_module_refuses_opset_20(tmp_path):
    class M(torch.nn.Module):
        def forward(self, x):
            return x + 1

    with pytest.raises(ExportError, match="opset 20"):
        export_module(M(), (torch.zeros(1, 1, 2, 2),), tmp_path / "m.onnx", opset=20)


def test_export_module_runs_lint_on_written_graph(tmp_path, monkeypatch):
    # A lowering that writes a colliding op type is caught after export, before anyone uses the file.
    class M(torch.nn.Module):
        def forward(self, x):
            if torch.onnx.is_in_onnx_export():
                return torch.onnx.ops.symbolic(
                    "vfi::Relu", (x,), {"plugin_version": "1", "plugin_namespace": "vfi"}, dtype=x.dtype, shape=x.shape, version=1
                )
            return x

    with pytest.raises(ExportError, match="built-in"):
        export_module(M(), (torch.zeros(1, 1, 2, 2),), tmp_path / "m.onnx", flavour="tensorrt")
    assert onnx.load(str(tmp_path / "m.onnx"))  # written, but refused
