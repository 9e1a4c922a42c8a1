"""Our TensorRT plugins checked by TensorRT's own Python plugin package, on CPU.

Each op is exported tensorrt-flavoured at fp32 and fp16 (a small shape); the custom node's
attributes and I/O types are handed to `tensorrt_qdp_probe.py`, which registers our `trt_plugin`
modules with TensorRT's `tensorrt.plugin` (from the lean runtime on PyPI; see the probe's
docstring for what runs there and what cannot without the builder) and reports what TensorRT made
of them. What this catches: signatures TensorRT's validators refuse, node attributes that no plugin
field takes (or fields the node lacks), attribute values that do not parse back, output types,
and I/O type combinations the plugin does not offer for the graphs we export.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import onnx
import pytest
import torch

from vfi.kernels.onnx_exporter import export_module
from vfi.kernels.registry import OPS

PROBE = Path(__file__).with_name("tensorrt_qdp_probe.py")
ONNX_TO_TRT = {onnx.TensorProto.FLOAT: "FLOAT", onnx.TensorProto.FLOAT16: "HALF", onnx.TensorProto.BOOL: "BOOL"}
PRECISIONS = {"fp32": torch.float32, "fp16": torch.float16}

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("tensorrt_lean") is None, reason="TensorRT's lean runtime is not installed (pip install -e '.[dev]')"
)


def _warp_inputs():
    return torch.rand(1, 3, 16, 16), 3 * torch.randn(1, 2, 16, 16)


def _deform_inputs():
    x, weight = torch.rand(1, 4, 16, 16), torch.randn(6, 2, 3, 3)  # groups=2
    return x, torch.randn(1, 2 * 2 * 9, 8, 8), torch.rand(1, 2 * 9, 8, 8), weight, torch.randn(6)


def _sparse_inputs():
    return (
        torch.rand(1, 4, 16, 16),
        torch.rand(1, 1, 16, 16) > 0.5,
        torch.randn(5, 4, 3, 3),
        torch.randn(5),
        torch.rand(1, 5, 16, 16),
    )


def _splat_inputs():
    return torch.rand(1, 3, 16, 16), 3 * torch.randn(1, 2, 16, 16), torch.randn(1, 1, 16, 16)


def _dsep_inputs():
    k = 5
    return (
        torch.rand(1, 3, 16, 16),
        torch.rand(1, k, 16, 16),
        torch.rand(1, k, 16, 16),
        2 * torch.randn(1, k * k, 16, 16),
        2 * torch.randn(1, k * k, 16, 16),
        torch.rand(1, k * k, 16, 16),
    )


def _call(public: str, **attributes):
    """The op's public function (what models call, and what the exporter lowers) with `attributes`."""

    def call(*tensors):
        module_name, _, function = public.partition(":")
        return getattr(importlib.import_module(module_name), function)(*tensors, **attributes)

    return call


#: op -> (inputs, call with non-default attributes). A registered op missing here fails the test.
CALLS = {
    "backward_warp": (_warp_inputs, _call("vfi.kernels.backward_warp:backward_warp")),
    "deform_conv2d": (
        _deform_inputs,
        _call("vfi.kernels.deform_conv2d:deform_conv2d", stride=2, padding=1, groups=2, offset_groups=2),
    ),
    "sparse_conv2d": (_sparse_inputs, _call("vfi.kernels.sparse_conv2d:sparse_conv2d", padding=1)),
    "forward_splat": (_splat_inputs, _call("vfi.kernels.forward_splat:forward_splat", mode="soft")),
    "dsep_conv": (_dsep_inputs, _call("vfi.kernels.dsep_conv:dsep_conv")),
}
#: ops whose node outputs fp32 at every precision: forward_splat's node adds into an fp32
#: accumulator (numerators and summed weights) that standard ops normalise after it
FP32_OUTPUT = {"forward_splat"}


class _OpModule(torch.nn.Module):
    def __init__(self, call):
        super().__init__()
        self.call = call

    def forward(self, *tensors):
        return self.call(*tensors)


def _custom_node(name: str, precision: str, tmp_path: Path) -> tuple[dict, list[str]]:
    """(attributes, input TensorRT types) of the op's node in a tensorrt-flavoured export."""
    assert name in CALLS, f"add example inputs and a call for op {name!r} to CALLS"
    make_inputs, call = CALLS[name]
    torch.manual_seed(0)
    args = tuple(a.to(PRECISIONS[precision]) if a.is_floating_point() else a for a in make_inputs())
    path = export_module(_OpModule(call), args, tmp_path / f"{name}-{precision}.onnx", flavour="tensorrt")
    model = onnx.shape_inference.infer_shapes(onnx.load(str(path)))
    (node,) = [n for n in model.graph.node if n.domain == "vfi"]
    assert node.op_type == OPS[name].onnx_op_type
    types = {v.name: v.type.tensor_type.elem_type for v in [*model.graph.input, *model.graph.value_info]}
    types.update({i.name: i.data_type for i in model.graph.initializer})
    return (
        {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute},
        [ONNX_TO_TRT[types[name]] for name in node.input],
    )


@pytest.fixture(scope="module")
def tensorrt_report(tmp_path_factory):
    folder = tmp_path_factory.mktemp("qdp")
    requests, exported = {}, {}
    for name in OPS:
        nodes = {p: _custom_node(name, p, folder) for p in PRECISIONS}
        attributes = {k: (v.decode() if isinstance(v, bytes) else v) for k, v in nodes["fp32"][0].items()}
        requests[name] = {"attributes": attributes, "input_types": [types for _, types in nodes.values()]}
        exported[name] = nodes
    (folder / "request.json").write_text(json.dumps(requests))
    run = subprocess.run(
        [sys.executable, str(PROBE), str(folder / "request.json"), str(folder / "report.json")],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    return json.loads((folder / "report.json").read_text()), exported


@pytest.mark.parametrize("name", list(OPS))
def test_plugin_registers_with_tensorrt_plugin_package(name, tensorrt_report):
    report, _ = tensorrt_report
    op = report["ops"][name]
    assert op["registered"], f"{OPS[name].onnx_op_type} is not in TensorRT's plugin registry"
    assert op["plugin_class"] == "_TemplateAOTPlugin", "TensorRT would not pick the ahead-of-time implementation"
    assert op["num_outputs"] == 1


@pytest.mark.parametrize("name", list(OPS))
def test_node_attributes_are_exactly_the_plugin_fields(name, tensorrt_report):
    report, exported = tensorrt_report
    op = report["ops"][name]
    lowering = importlib.import_module(OPS[name].onnx_tensorrt.partition(":")[0])
    assert op["fields"] == list(lowering.PLUGIN_FIELDS)
    assert op["missing_fields"] == [] and op["unused_attributes"] == []
    attributes = exported[name]["fp32"][0]
    # ONNX holds string attributes as bytes; the plugin's field reads them back as str.
    written = {k: (v.decode() if isinstance(v, bytes) else v) for k, v in attributes.items()}
    assert op["parsed_attributes"] == {k: written[k] for k in op["fields"]}, "a field does not read back as written"
    assert attributes["plugin_version"] == OPS[name].plugin_version.encode()


@pytest.mark.parametrize("name", list(OPS))
@pytest.mark.parametrize("precision", list(PRECISIONS))
def test_exported_io_types_are_offered_by_the_plugin(name, precision, tensorrt_report):
    report, exported = tensorrt_report
    op = report["ops"][name]
    input_types = exported[name][precision][1]
    float_type = "HALF" if precision == "fp16" else "FLOAT"
    assert float_type in input_types
    (output_type,) = op["output_types"][",".join(input_types)]
    assert output_type == ("FLOAT" if name in FP32_OUTPUT else float_type)
    assert ",".join([*input_types, output_type]) in op["type_combinations"], (
        f"TensorRT would find no format combination for the {precision} node: {input_types} -> {output_type}; "
        f"the plugin offers {op['type_combinations']}"
    )
