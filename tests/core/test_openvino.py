"""OpenVINO at reduced precision with fp32 coordinate islands (`vfi.core.openvino`)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from vfi.core.errors import InputError
from vfi.core.tolerance import assert_close

ov = pytest.importorskip("openvino")


class ConvThenWarp(torch.nn.Module):
    """A warp by an input flow between two 1x1 identity convolutions (which a reduced precision
    lowers). The second one matters: OpenVINO keeps the graph's tail after the last convolution in
    fp32 by itself, so a warp must feed a convolution, as in every flow network, to be lowered."""

    def __init__(self):
        super().__init__()
        self.before = torch.nn.Conv2d(1, 1, 1, bias=False)
        self.after = torch.nn.Conv2d(1, 1, 1, bias=False)
        torch.nn.init.ones_(self.before.weight)
        torch.nn.init.ones_(self.after.weight)

    def forward(self, img, flow):
        from vfi.kernels import backward_warp

        return self.after(backward_warp(self.before(img), flow))


def _compiled(tmp_path, precision, islands, w=3840):
    from vfi.core.openvino import cpu_precisions, reduce_precision, shared_core
    from vfi.kernels.onnx_exporter import export_module

    core = shared_core()
    if precision not in cpu_precisions(core):
        pytest.skip(f"this CPU does not run {precision} natively (OpenVINO capabilities: {cpu_precisions(core)})")
    img = torch.zeros(1, 1, 2, w)
    path = export_module(
        ConvThenWarp(),
        (img, torch.zeros(1, 2, 2, w)),
        tmp_path / "warp.onnx",
        flavour="portable",
        input_names=["img", "flow"],
        output_names=["out"],
    )
    model = core.read_model(str(path))
    properties = reduce_precision(model, precision, islands=islands)
    return core.compile_model(model, "CPU", {**properties, "INFERENCE_NUM_THREADS": 1}), properties


def _quarter_pixel_case(w=3840):
    # Alternating 0/1 columns: the output depends strongly on the fractional coordinate. In bf16
    # (8 mantissa bits) a position near x = 3800 is off by several pixels.
    img = (np.arange(w) % 2).astype(np.float32).reshape(1, 1, 1, w).repeat(2, axis=2)
    flow = np.zeros((1, 2, 2, w), np.float32)
    flow[:, 0] = 0.25
    from vfi.kernels.backward_warp.reference import backward_warp_reference

    expected = backward_warp_reference(torch.from_numpy(img).double(), torch.from_numpy(flow).double()).numpy()
    return img, flow, expected


@pytest.mark.parametrize("precision", ["bf16", "fp16"])
def test_islands_keep_warp_coordinates_exact_at_4k(tmp_path, precision):
    from vfi.kernels.registry import OPS

    compiled, properties = _compiled(tmp_path, precision, islands=True)
    assert properties == {"INFERENCE_PRECISION_HINT": "f32"}  # the plugin lowers nothing by itself
    img, flow, expected = _quarter_pixel_case()
    out = compiled.create_infer_request().infer({"img": img, "flow": flow})[compiled.output(0)]
    sl = (..., slice(3790, 3810))
    assert_close(out[sl], expected[sl], OPS["backward_warp"].tolerance("float16"), f"OpenVINO {precision} islands x~3800")


def test_without_islands_openvino_lowers_the_coordinates(tmp_path):
    """Why islands exist: OpenVINO's own bf16 (the default on CPUs with AVX512_BF16) computes the
    sampling positions in bf16 and misses the quarter pixel by far."""
    compiled, properties = _compiled(tmp_path, "bf16", islands=False)
    assert properties == {"INFERENCE_PRECISION_HINT": "bf16"}
    img, flow, expected = _quarter_pixel_case()
    out = compiled.create_infer_request().infer({"img": img, "flow": flow})[compiled.output(0)]
    assert np.abs(out - expected)[..., 3790:3810].max() > 0.2


def test_reduce_precision_lowers_only_convolutions(tmp_path):
    from vfi.core.openvino import low_precision_ops, reduce_precision, shared_core

    compiled, _ = _compiled(tmp_path, "fp32", islands=True, w=64)  # builds the ONNX file
    model = shared_core().read_model(str(tmp_path / "warp.onnx"))
    assert low_precision_ops(model) == 0
    reduce_precision(model, "bf16")
    assert low_precision_ops(model) == 2
    lowered = {op.get_type_name() for op in model.get_ordered_ops() if op.get_output_element_type(0) == ov.Type.bf16}
    assert lowered <= {"Convolution", "Convert"} and "GridSample" not in lowered
    with pytest.raises(InputError, match="precision 'int4' is not one OpenVINO runs here"):
        reduce_precision(model, "int4")
