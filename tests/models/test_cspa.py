"""CSPA-style alignment: size against the paper, cost (measured, no published figure), the
middle-frame-only rule, deformable convolution through `vfi.kernels`, checkpoint round trip, ONNX
export in both flavours (custom `VfiDeformConv2d` nodes under the reference evaluator; standard
`DeformConv` at opset 19 under ONNX Runtime), and gradients.

Cost of the default variant, `count_cost` at 1280x720 (pad multiple 16, no padding needed):
28,542,227 parameters (paper: 28.9M, -1.2%) and 1.639 T MACs of plain convolutions, plus the
deformable convolutions' GEMMs: 2 directions x 128 x 128 x 9 x (180x320 + 90x160 + 45x80)
= 22.3 G MACs (their bilinear sampling is in `flops` only). The paper publishes no MAC figure to
compare with.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

import vfi.models as vm
from vfi.benchmarks.cost import count_cost
from vfi.core.errors import InputError
from vfi.models import cspa
from vfi.models.fixed_timestep import MiddleFrameOnlyError

PUBLISHED_PARAMETERS = 28.9e6
PARAMETER_TOLERANCE = 0.05
#: Measured (not published) convolution MACs of the default variant at 1280x720; pinned so that an
#: architecture change shows.
CONV_MACS_720P = 1_639_172_505_600
DEFORM_GEMM_MACS_720P = 2 * 128 * 128 * 9 * (180 * 320 + 90 * 160 + 45 * 80)
MEASURED_MACS_720P = CONV_MACS_720P + DEFORM_GEMM_MACS_720P
#: float32 graphs reorder a few sums; observed differences are ~1e-7.
ONNX_TOLERANCE = 1e-5

#: Reduced hyper-parameters for fast tests (pad multiple 16, as the default variant).
TINY = {"width": 16, "extract_blocks": 1, "reconstruct_blocks": 1, "deformable_groups": 2, "upsample_width": 8}
SIZE = (32, 48)


def tiny(**overrides):
    torch.manual_seed(0)
    model = vm.create("cspa", **{**TINY, **overrides}).eval()
    # The offset heads start at zero (offsets 0, masks 0.5); give them weights so that the tests
    # exercise real, fractional sampling positions, as a trained model would.
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, cspa.DeformableAlign):
                torch.nn.init.normal_(module.offset_head.weight, std=0.2)
    return model


def frames(n=1, h=SIZE[0], w=SIZE[1], seed=1):
    generator = torch.Generator().manual_seed(seed)
    return torch.rand(2, n, 3, h, w, generator=generator).unbind(0)


def test_default_model_forward_shape_and_finite():
    torch.manual_seed(0)
    model = vm.create("cspa").eval()
    img0, img1 = frames(h=64, w=64)
    with torch.no_grad():
        out = model(img0, img1, 0.5)
    assert out.shape == img0.shape
    assert torch.isfinite(out).all()


def test_parameter_count_near_paper():
    params = sum(p.numel() for p in vm.create("cspa").parameters())
    assert abs(params / PUBLISHED_PARAMETERS - 1) <= PARAMETER_TOLERANCE, params


def test_macs_at_720p():
    cost = count_cost(vm.create("cspa"), 720, 1280)
    assert (cost.padded_height, cost.padded_width) == (720, 1280)
    assert cost.macs == MEASURED_MACS_720P
    # The deformable convolutions' sampling is counted in flops (their formula), not in macs.
    assert cost.flops > 2 * cost.macs


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({}, 16),
        ({"pyramid_levels": 2}, 8),
        ({"stem_downsamples": 0}, 4),
        ({"stem_downsamples": 1, "pyramid_levels": 1}, 2),
    ],
)
def test_pad_multiple(overrides, expected):
    model = tiny(**overrides)
    assert model.pad_multiple == model.card.pad_multiple == expected
    img0, img1 = frames(h=3 * expected, w=2 * expected)
    with torch.no_grad():
        assert model(img0, img1).shape == img0.shape


def test_card_declares_fixed_timestep():
    model = tiny()
    assert model.timestep_mode == model.card.timestep_mode == "fixed"


@pytest.mark.parametrize("t", [0.5, torch.tensor(0.5), torch.full((2,), 0.5), torch.full((2, 1, *SIZE), 0.5)])
def test_middle_timestep_forms_agree(t):
    model = tiny()
    img0, img1 = frames(n=2)
    with torch.no_grad():
        assert torch.equal(model(img0, img1, t), model(img0, img1))


@pytest.mark.parametrize("t", [0.3, 1.0, torch.tensor([0.5, 0.1]), torch.zeros(2, 1, 1, 1)])
def test_other_timesteps_are_refused(t):
    model = tiny()
    img0, img1 = frames(n=2)
    with pytest.raises(MiddleFrameOnlyError, match="only predicts the middle frame") as info:
        model(img0, img1, t)
    assert isinstance(info.value, ValueError) and isinstance(info.value, InputError)


def test_frame_size_and_hyper_parameter_checks():
    model = tiny()
    with pytest.raises(InputError, match="multiple of 16"):
        model(torch.rand(1, 3, 40, 48), torch.rand(1, 3, 40, 48))
    with pytest.raises(InputError, match="differ in shape"):
        model(torch.rand(1, 3, 32, 48), torch.rand(1, 3, 32, 32))
    with pytest.raises(InputError, match="must divide width"):
        vm.create("cspa", **{**TINY, "deformable_groups": 3})


def test_alignment_goes_through_deform_conv2d(monkeypatch):
    calls = []
    real = cspa.deform_conv2d

    def counting(x, offset, mask, weight, bias, **kwargs):
        calls.append((x.shape[-2:], offset.shape[1], mask.shape[1], kwargs["offset_groups"]))
        return real(x, offset, mask, weight, bias, **kwargs)

    monkeypatch.setattr(cspa, "deform_conv2d", counting)
    model = tiny()
    with torch.no_grad():
        model(*frames())
    groups, taps, levels = TINY["deformable_groups"], 9, 3
    # Two frames x three levels, each with (dy, dx) per group and tap and one sigmoid mask each.
    assert len(calls) == 2 * levels
    assert {c[1:] for c in calls} == {(2 * groups * taps, groups * taps, groups)}
    assert sorted({tuple(c[0]) for c in calls}) == [(2, 3), (4, 6), (8, 12)]


def test_offsets_move_the_prediction():
    # With zero offset heads (init) the alignment is a plain convolution; offsets must matter.
    torch.manual_seed(0)
    plain = vm.create("cspa", **TINY).eval()
    moved = tiny()
    moved.load_state_dict({k: v for k, v in plain.state_dict().items() if "offset_head" not in k}, strict=False)
    img0, img1 = frames()
    with torch.no_grad():
        assert not torch.allclose(plain(img0, img1), moved(img0, img1))


def test_save_load_round_trip(tmp_path):
    model = tiny()
    path = vm.save(model, tmp_path / "cspa.safetensors")
    loaded = vm.load(path)
    assert loaded.card.family == "cspa" and loaded.card.hparams == {**vm.get_variant("cspa").hparams, **TINY}
    assert loaded.card.timestep_mode == "fixed" and loaded.pad_multiple == model.pad_multiple
    img0, img1 = frames()
    with torch.no_grad():
        assert torch.equal(loaded(img0, img1), model(img0, img1))


def _export(model, flavour, opset, tmp_path):
    import onnx

    from vfi.kernels.onnx_exporter import export_module

    img0, img1 = frames()
    path = export_module(
        model,
        (img0, img1),
        tmp_path / f"cspa_{flavour}.onnx",
        flavour=flavour,
        opset=opset,
        input_names=["img0", "img1"],
        output_names=["frame"],
    )
    with torch.no_grad():
        expected = model(img0, img1).numpy()
    return onnx.load(str(path)), {"img0": img0.numpy(), "img1": img1.numpy()}, expected


def test_onnx_tensorrt_flavour_runs_under_reference_evaluator(tmp_path):
    from vfi.kernels.onnx_executors import reference_evaluator

    model = tiny()
    graph, feeds, expected = _export(model, "tensorrt", 18, tmp_path)
    custom = [n for n in graph.graph.node if n.domain == "vfi"]
    assert [n.op_type for n in custom] == ["VfiDeformConv2d"] * 6
    assert not [n for n in graph.graph.node if n.op_type == "DeformConv"]
    got = reference_evaluator(graph).run(None, feeds)[0]
    np.testing.assert_allclose(got, expected, atol=ONNX_TOLERANCE, rtol=0)


def test_onnx_portable_flavour_runs_under_onnxruntime(tmp_path):
    import onnxruntime as ort

    model = tiny()
    graph, feeds, expected = _export(model, "portable", 19, tmp_path)
    assert all(n.domain in ("", "ai.onnx") for n in graph.graph.node)
    assert [n.op_type for n in graph.graph.node if n.op_type == "DeformConv"] == ["DeformConv"] * 6
    session = ort.InferenceSession(graph.SerializeToString(), providers=["CPUExecutionProvider"])
    got = session.run(None, feeds)[0]
    np.testing.assert_allclose(got, expected, atol=ONNX_TOLERANCE, rtol=0)


def test_backward_gives_finite_gradients():
    model = tiny().train()
    img0, img1 = frames()
    img0.requires_grad_(True)
    loss = (model(img0, img1) - 0.5).abs().mean()
    loss.backward()
    assert torch.isfinite(img0.grad).all() and img0.grad.abs().sum() > 0
    for name, p in model.named_parameters():
        assert p.grad is not None and torch.isfinite(p.grad).all(), name
    assert model.align0.align[0].offset_head.weight.grad.abs().sum() > 0, "no gradient reaches the offsets"
