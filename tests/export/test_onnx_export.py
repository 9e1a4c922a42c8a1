"""`vfi.export.onnx_artifact`: parity matrix (models x flavours x precisions), graph interface per
timestep mode, fp16 coordinate precision, dynamic shapes, sidecar contents."""

from __future__ import annotations

import json

import numpy as np
import onnx
import pytest

from vfi.core.graph_spec import DEFAULT_OPSET, DEFAULT_TOLERANCES, GraphSpec
from vfi.export.onnx_artifact import ExportOptions
from vfi.export.validate import run_graph

SCALAR = GraphSpec("scalar")

FLAVOURS = ("portable", "tensorrt")
PRECISIONS = ("fp32", "fp16")

# Pretrained RIFE 4.0 at its smallest legal size (pad multiple 64), about 15 s per export and
# validation on 2 cores. Two full-model cells are marked slow (skip them with -m "not slow").
MATRIX = [
    pytest.param("rife-4.0-fast", flavour, precision, id=f"rife-4.0-fast-{flavour}-{precision}")
    for flavour in FLAVOURS
    for precision in PRECISIONS
] + [
    pytest.param("rife-4.0", "tensorrt", "fp32", id="rife-4.0-tensorrt-fp32"),
    pytest.param("rife-4.0", "portable", "fp16", id="rife-4.0-portable-fp16"),
    pytest.param("rife-4.0", "portable", "fp32", id="rife-4.0-portable-fp32", marks=pytest.mark.slow),
    pytest.param("rife-4.0", "tensorrt", "fp16", id="rife-4.0-tensorrt-fp16", marks=pytest.mark.slow),
]


def _rife(name):
    def factory():
        import vfi.models

        return vfi.models.load(name)

    return factory


@pytest.mark.parametrize("name,flavour,precision", MATRIX)
def test_parity_matrix(name, flavour, precision, rife_weights, export_cache):
    result = export_cache(
        f"{name}-{flavour}-{precision}", _rife(name), ExportOptions(flavour=flavour, precision=precision, shape=(64, 64))
    )
    parity = result.sidecar["parity"]
    frame = parity["outputs"]["frame"]
    assert parity["passed"] and frame["passed"]
    assert parity["runner"] == ("onnxruntime-cpu" if flavour == "portable" else "onnx-reference-evaluator")
    assert frame["max_abs"] <= DEFAULT_TOLERANCES[precision].atol
    assert frame["psnr_db"] is None or frame["psnr_db"] > (60 if precision == "fp16" else 90)
    graph = onnx.load(str(result.path))
    domains = {n.domain for n in graph.graph.node}
    assert ("vfi" in domains) == (flavour == "tensorrt")
    # Re-run independently of the export's own validation: the graph on new rendered frames.
    feeds = SCALAR.rendered_inputs(1, 64, 64, seed=5)
    out = run_graph(result.path, feeds, flavour)["frame"]
    assert out.shape == (1, 3, 64, 64) and out.dtype == np.float32 and np.isfinite(out).all()


def _value_types(model) -> dict[str, int]:
    inferred = onnx.shape_inference.infer_shapes(model, strict_mode=False)
    g = inferred.graph
    types = {v.name: v.type.tensor_type.elem_type for v in [*g.input, *g.output, *g.value_info]}
    types.update({i.name: i.data_type for i in g.initializer})
    return types


def test_fp16_portable_keeps_warp_coordinates_fp32(tiny_model, export_cache):
    result = export_cache(
        "tiny-portable-fp16", lambda: tiny_model("scalar"), ExportOptions(flavour="portable", precision="fp16", shape=(32, 32))
    )
    graph = onnx.load(str(result.path))
    types = _value_types(graph)
    grid_samples = [n for n in graph.graph.node if n.op_type == "GridSample"]
    assert grid_samples, "portable warp must lower to GridSample"
    for node in grid_samples:
        # image cast up and sampling grid built in fp32, although the network runs in fp16
        assert types[node.input[0]] == onnx.TensorProto.FLOAT and types[node.input[1]] == onnx.TensorProto.FLOAT
    assert any(types.get(n.output[0]) == onnx.TensorProto.FLOAT16 for n in graph.graph.node if n.op_type == "Conv")
    # interface stays float32
    assert all(v.type.tensor_type.elem_type == onnx.TensorProto.FLOAT for v in [*graph.graph.input, *graph.graph.output])


def test_fp16_tensorrt_export_runs_convolutions_in_fp16_and_warps_in_fp32(tiny_model, export_cache):
    # Precision islands (vfi.models.precision_islands): only convolutions are lowered, so the warp
    # plugin nodes see fp32 images and fp32 flow, and the coordinates never pass through fp16.
    result = export_cache(
        "tiny-tensorrt-fp16", lambda: tiny_model("scalar"), ExportOptions(flavour="tensorrt", precision="fp16", shape=(32, 32))
    )
    graph = onnx.load(str(result.path))
    types = _value_types(graph)
    warps = [n for n in graph.graph.node if n.op_type == "VfiBackwardWarp"]
    assert len(warps) == 2 and all(types[name] == onnx.TensorProto.FLOAT for n in warps for name in n.input)
    convs = [n for n in graph.graph.node if n.op_type == "Conv"]
    assert convs and all(types[n.input[0]] == onnx.TensorProto.FLOAT16 for n in convs)
    assert result.sidecar["plugins"] == [{"op": "backward_warp", "plugin": "VfiBackwardWarp", "namespace": "vfi", "version": "1"}]


@pytest.mark.parametrize(
    "mode,expected",
    [
        ("scalar", {"img0": [1, 3, 16, 24], "img1": [1, 3, 16, 24], "timestep": [1, 1, 1, 1]}),
        ("map", {"img0": [1, 3, 16, 24], "img1": [1, 3, 16, 24], "timestep": [1, 1, 16, 24]}),
        ("fixed", {"img0": [1, 3, 16, 24], "img1": [1, 3, 16, 24]}),
    ],
)
def test_interface_per_timestep_mode(mode, expected, tiny_model, export_cache):
    result = export_cache(f"tiny-{mode}", lambda: tiny_model(mode), ExportOptions(flavour="portable", shape=(16, 24)))
    graph = onnx.load(str(result.path))
    shapes = {v.name: [d.dim_value or d.dim_param for d in v.type.tensor_type.shape.dim] for v in graph.graph.input}
    assert shapes == expected
    assert [o.name for o in graph.graph.output] == ["frame"]
    assert result.sidecar["inputs"] == expected and result.sidecar["parity"]["passed"]


def test_dynamic_export_runs_at_other_sizes_and_batches(tiny_model, export_cache):
    import torch

    result = export_cache("tiny-dynamic", lambda: tiny_model("scalar"), ExportOptions(flavour="portable", dynamic=True))
    graph = onnx.load(str(result.path))
    dims = [[d.dim_value or d.dim_param for d in v.type.tensor_type.shape.dim] for v in [*graph.graph.input, *graph.graph.output]]
    assert dims == [["batch", 3, "height", "width"]] * 2 + [["batch", 1, 1, 1]] + [["batch", 3, "height", "width"]]
    model = tiny_model("scalar")
    for n, h, w in [(1, 8, 40), (3, 24, 16)]:
        feeds = SCALAR.rendered_inputs(n, h, w)
        out = run_graph(result.path, feeds, "portable")["frame"]
        with torch.inference_mode():
            ref = model(
                torch.from_numpy(feeds["img0"]), torch.from_numpy(feeds["img1"]), torch.from_numpy(feeds["timestep"])
            ).numpy()
        np.testing.assert_allclose(out, ref, atol=1e-5)


def test_sidecar_contents(tiny_model, export_cache):
    result = export_cache(
        "tiny-tensorrt-fp32", lambda: tiny_model("scalar"), ExportOptions(flavour="tensorrt", shape=(16, 16), batch=2)
    )
    side = json.loads(result.sidecar_path.read_text())
    assert result.sidecar_path.name == result.path.name + ".json"
    assert side["format"] == "vfi-artifact" and side["kind"] == "onnx" and side["artifact"] == result.path.name
    assert side["model_card"]["variant"] == "tiny-warp-scalar" and side["model_card"]["pad_multiple"] == 8
    assert (
        side["flavour"] == "tensorrt"
        and side["opset"] == DEFAULT_OPSET
        and side["precision"] == "fp32"
        and side["io_dtype"] == "float32"
    )
    assert side["inputs"]["img0"] == [2, 3, 16, 16] and side["outputs"] == {"frame": [2, 3, 16, 16]}
    for tool in ("torch", "onnx", "onnxruntime"):
        assert side["tools"][tool] not in ("", "-")
    assert side["plugins"][0]["plugin"] == "VfiBackwardWarp"
    frame = side["parity"]["outputs"]["frame"]
    assert set(frame) >= {"max_abs", "mean_abs", "psnr_db", "tolerance", "passed"}
    assert side["parity"]["shape"] == [2, 3, 16, 16]
    assert side["simplifier"]["tool"] == "onnxslim"


def test_parity_failure_refuses_and_leaves_nothing(tiny_model, tmp_path, monkeypatch):
    from vfi.core import graph_spec
    from vfi.core.errors import ExportError
    from vfi.core.tolerance import Tolerance
    from vfi.export.onnx_artifact import export_onnx

    monkeypatch.setitem(graph_spec.DEFAULT_TOLERANCES, "fp32", Tolerance(atol=-1.0, mean_atol=-1.0))
    with pytest.raises(ExportError, match="would pass at"):
        export_onnx(tiny_model("scalar"), tmp_path / "m.onnx", ExportOptions(flavour="portable", shape=(16, 16)))
    assert list(tmp_path.iterdir()) == []


def _context_and_flow_models(tiny_model):
    """A model with two context frames (around the tiny warp model) and a tiny flow estimator."""
    import torch

    from vfi.models.card import ModelCard

    class TinyContext(torch.nn.Module):
        timestep_mode, pad_multiple, context_frames = "scalar", 8, 2

        def __init__(self):
            super().__init__()
            self.inner = tiny_model("scalar")
            self.mix = torch.nn.Conv2d(6, 3, 3, padding=1)

        def forward(self, img0, img1, t, img_m1, img2):
            return self.inner(img0, img1, t) + 0.1 * torch.tanh(self.mix(torch.cat([img_m1, img2], 1)))

    class TinyFlow(torch.nn.Module):
        timestep_mode, pad_multiple, task = "fixed", 8, "flow"

        def __init__(self):
            super().__init__()
            self.flow = torch.nn.Conv2d(6, 2, 3, padding=1)

        def forward(self, img0, img1):
            return 4.0 * torch.tanh(self.flow(torch.cat([img0, img1], 1)))

    torch.manual_seed(0)
    context, flow = TinyContext().eval(), TinyFlow().eval()
    context.card = ModelCard(family="tiny-context", variant="tiny-context", pad_multiple=8, context=2)
    flow.card = ModelCard(family="tiny-flow", variant="tiny-flow", pad_multiple=8, timestep_mode="fixed", task="flow")
    return context, flow


def test_context_frames_are_graph_inputs_of_a_dynamic_export(tiny_model, tmp_path):
    import torch

    from vfi.export.onnx_artifact import export_onnx

    model, _ = _context_and_flow_models(tiny_model)
    result = export_onnx(model, tmp_path / "ctx.onnx", ExportOptions(flavour="portable", dynamic=True))
    graph = onnx.load(str(result.path))
    assert [v.name for v in graph.graph.input] == ["img0", "img1", "timestep", "img_m1", "img2"]
    assert result.sidecar["inputs"]["img2"] == ["batch", 3, "height", "width"] and result.sidecar["parity"]["passed"]
    assert result.sidecar["model_card"]["context"] == 2
    spec = GraphSpec("scalar", pad_multiple=8, context=2)
    feeds = spec.rendered_inputs(2, 24, 40)
    out = run_graph(result.path, feeds, "portable")["frame"]
    with torch.inference_mode():
        args = [torch.from_numpy(feeds[n]) for n in spec.input_names]
        ref = model(args[0], args[1], args[2].reshape(-1), *args[3:]).numpy()
    np.testing.assert_allclose(out, ref, atol=1e-5)


def test_flow_estimator_exports_a_flow_output(tiny_model, tmp_path):
    from vfi.export.onnx_artifact import export_onnx

    _, model = _context_and_flow_models(tiny_model)
    result = export_onnx(model, tmp_path / "flow.onnx", ExportOptions(flavour="tensorrt", shape=(16, 24)))
    graph = onnx.load(str(result.path))
    assert [v.name for v in graph.graph.input] == ["img0", "img1"] and [v.name for v in graph.graph.output] == ["flow"]
    assert result.sidecar["outputs"] == {"flow": [1, 2, 16, 24]} and result.sidecar["parity"]["passed"]
