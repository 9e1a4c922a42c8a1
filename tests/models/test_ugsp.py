"""UGSP: shapes, sparse inference vs the dense masked form, training gradients, density target,
checkpoint round trip and ONNX export in both flavours (its cost figures: tests/benchmarks/test_ugsp_cost.py)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from vfi.models import layers, registry
from vfi.models import ugsp as ugsp_module
from vfi.models.catalogue.ugsp import UGSP_PAPER

# Small widths keep the CPU tests fast; the architecture is the same.
TINY = {"widths": [8, 12, 16, 20], "decoder_depth": 2, "finest_depth": 2, "uen_width": 8, "uen_depth": 1}
H, W = 64, 96


def _frames(n=2, h=H, w=W, seed=0):
    g = torch.Generator().manual_seed(seed)
    return torch.rand(n, 3, h, w, generator=g), torch.rand(n, 3, h, w, generator=g)


def _tiny(**overrides):
    torch.manual_seed(0)
    return registry.create("ugsp", **{**TINY, **overrides}).eval()


def test_card_and_pad_multiple():
    model = registry.create("ugsp")
    assert model.card.family == "ugsp"
    assert model.card.timestep_mode == "scalar"
    assert model.card.pad_multiple == 16
    assert model.card.hparams["density"] == UGSP_PAPER["density"]


@pytest.mark.parametrize("t", [0.5, 0.25, torch.tensor([0.2, 0.8])])
def test_forward_shapes_and_finite(t):
    model = _tiny()
    img0, img1 = _frames()
    with torch.no_grad():
        est = model.estimate(img0, img1, t)
    assert est.frame.shape == img0.shape
    assert torch.isfinite(est.frame).all()
    assert [f.shape[-1] for f in est.flows] == [W, W // 2, W // 4, W // 8]
    assert len(est.masks) == 3 and all(m.dtype == torch.bool for m in est.masks)
    assert est.log_variance is None  # the UEN runs in training only


def test_timestep_changes_output():
    model = _tiny()
    img0, img1 = _frames()
    with torch.no_grad():
        a = model(img0, img1, 0.2)
        b = model(img0, img1, torch.tensor([0.8, 0.8]))
    assert not torch.allclose(a, b)


def test_fixed_timestep_mode_rejects_other_t():
    from vfi.models.fixed_timestep import MiddleFrameOnlyError

    model = _tiny(timestep_mode="fixed")
    assert model.card.timestep_mode == "fixed"
    img0, img1 = _frames(n=1)
    with torch.no_grad():
        model(img0, img1, 0.5)
        with pytest.raises(MiddleFrameOnlyError):
            model(img0, img1, 0.3)


def test_bad_hparams_are_input_errors():
    from vfi.core.errors import InputError

    for bad in ({"density": 0.0}, {"density": 1.5}, {"mask_mode": "gumbel"}, {"timestep_mode": "map"}):
        with pytest.raises(InputError):
            registry.create("ugsp", **{**TINY, **bad})


@pytest.mark.parametrize("density", [0.1, 0.3, 0.6])
def test_topk_density_is_honoured(density):
    model = _tiny(density=density)
    img0, img1 = _frames(seed=1)
    with torch.no_grad():
        est = model.estimate(img0, img1)
    for mask in est.masks:
        per_sample = mask.float().mean(dim=(1, 2, 3))
        positions = mask[0].numel()
        # ceil(S_t * positions) per sample; skipped positions keep distinct coarse logits (no ties).
        assert torch.all((per_sample - density).abs() <= 1.0 / positions + 1e-6), (density, per_sample)


def test_eval_uses_sparse_op_and_equals_dense_masked_form(monkeypatch):
    from vfi.kernels.sparse_conv2d import reference

    model = _tiny(density=0.3)
    img0, img1 = _frames()
    calls = []
    real = layers.sparse_conv2d

    def counting(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(layers, "sparse_conv2d", counting)
    with torch.no_grad():
        sparse = model.estimate(img0, img1)
    # Per pruned level: stem + depth layers + head + uncertainty head (finest: stem + depth + fuse).
    expected = 2 * (1 + TINY["decoder_depth"] + 2) + (1 + TINY["finest_depth"] + 1)
    assert len(calls) == expected

    monkeypatch.setattr(layers, "sparse_conv2d", reference.sparse_conv2d_reference)
    with torch.no_grad():
        dense = model.estimate(img0, img1)
    for a, b in zip(sparse.masks, dense.masks):
        assert torch.equal(a, b)
    torch.testing.assert_close(sparse.frame, dense.frame, atol=1e-5, rtol=1e-5)


def test_density_one_equals_dense_network(monkeypatch):
    model = _tiny(density=1.0)
    img0, img1 = _frames()
    with torch.no_grad():
        est = model.estimate(img0, img1)
    assert all(bool(m.all()) for m in est.masks)

    # With every position active the sparse op is the plain convolution.
    def dense_conv(x, conv, mask, fallback=None):
        return conv(x)

    monkeypatch.setattr(layers, "masked_conv", dense_conv)
    monkeypatch.setattr(ugsp_module, "masked_conv", dense_conv)
    with torch.no_grad():
        dense = model.estimate(img0, img1)
    torch.testing.assert_close(est.frame, dense.frame, atol=1e-5, rtol=1e-5)


def test_training_gradients_reach_every_parameter_including_uen():
    model = _tiny(density=0.3).train()
    img0, img1 = _frames()
    gt = (img0 + img1) / 2
    est = model.estimate(img0, img1, torch.tensor([0.5, 0.5]))
    assert est.log_variance is not None and est.log_variance.shape == (2, 1, H, W)
    losses = model.training_losses(est, gt)
    losses["total"].backward()
    missing = [n for n, p in model.named_parameters() if p.grad is None or not torch.isfinite(p.grad).all()]
    assert not missing, missing
    assert model.uen.up.weight.grad.abs().sum() > 0
    # Training differentiates the dense masked form: the pruned convs get gradients from active
    # outputs only, computed through the op's autograd (equal to the reference's).
    stem = model.decoders[1].body.stem.conv.weight
    assert stem.grad.abs().sum() > 0


def test_training_matches_reference_gradients(monkeypatch):
    from vfi.kernels.sparse_conv2d import reference

    model = _tiny(density=0.4).train()
    img0, img1 = _frames(n=1)
    model.zero_grad()
    model(img0, img1).square().mean().backward()
    grads = {n: p.grad.clone() for n, p in model.named_parameters() if p.grad is not None}
    model.zero_grad()
    monkeypatch.setattr(layers, "sparse_conv2d", reference.sparse_conv2d_reference)
    model(img0, img1).square().mean().backward()
    for n, p in model.named_parameters():
        if n in grads:
            torch.testing.assert_close(p.grad, grads[n], atol=1e-5, rtol=1e-4)


def test_threshold_mode_nests_masks():
    model = _tiny(mask_mode="threshold")
    img0, img1 = _frames()
    with torch.no_grad():
        est = model.estimate(img0, img1)
    for fine, coarse in zip(est.masks[:-1], est.masks[1:]):
        parent = torch.nn.functional.interpolate(coarse.float(), scale_factor=2, mode="nearest").bool()
        assert not bool((fine & ~parent).any())


def test_save_load_round_trip(tmp_path):
    model = _tiny(density=0.25)
    path = registry.save(model, tmp_path / "ugsp.safetensors")
    loaded = registry.load(path)
    assert loaded.card.hparams["density"] == 0.25
    img0, img1 = _frames(n=1)
    with torch.no_grad():
        torch.testing.assert_close(loaded(img0, img1, 0.4), model(img0, img1, 0.4))


def test_meta_forward_for_count_cost():
    from vfi.benchmarks.cost import count_cost

    cost = count_cost(_tiny(), 60, 90)
    assert (cost.padded_height, cost.padded_width) == (64, 96)
    assert cost.flops > 0


def _export(model, tmp_path, flavour):
    from vfi.kernels.onnx_exporter import export_module

    img0, img1 = _frames(n=1, h=32, w=48, seed=3)
    t = torch.tensor([0.5])

    class Wrapper(torch.nn.Module):
        def __init__(self, inner):
            super().__init__()
            self.inner = inner

        def forward(self, a, b, t):
            return self.inner(a, b, t)

    path = export_module(
        Wrapper(model),
        (img0, img1, t),
        tmp_path / f"ugsp_{flavour}.onnx",
        flavour=flavour,
        opset=18,
        input_names=["img0", "img1", "t"],
        output_names=["frame"],
    )
    with torch.no_grad():
        expected = model(img0, img1, t).numpy()
    feeds = {"img0": img0.numpy(), "img1": img1.numpy(), "t": t.numpy()}
    return path, feeds, expected


def _op_types(path):
    import onnx

    graph = onnx.load(str(path))
    return {n.op_type for n in graph.graph.node} | {n.op_type for f in graph.functions for n in f.node}


@pytest.mark.parametrize("mask_mode", ["topk", "threshold"])
def test_export_tensorrt_flavour_runs_under_reference_evaluator(tmp_path, mask_mode):
    pytest.importorskip("onnx")
    from vfi.kernels.onnx_executors import reference_evaluator

    model = _tiny(density=0.3, mask_mode=mask_mode)
    path, feeds, expected = _export(model, tmp_path, "tensorrt")
    ops = _op_types(path)
    assert {"VfiSparseConv2d", "VfiBackwardWarp"} <= ops
    if mask_mode == "topk":
        assert "TopK" in ops
    (out,) = reference_evaluator(path).run(None, feeds)
    np.testing.assert_allclose(out, expected, atol=2e-4, rtol=0)


@pytest.mark.parametrize("mask_mode", ["topk", "threshold"])
def test_export_portable_flavour_runs_under_onnxruntime(tmp_path, mask_mode):
    ort = pytest.importorskip("onnxruntime")
    model = _tiny(density=0.3, mask_mode=mask_mode)
    path, feeds, expected = _export(model, tmp_path, "portable")
    ops = _op_types(path)
    assert "VfiSparseConv2d" not in ops and "GridSample" in ops
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    (out,) = session.run(None, feeds)
    np.testing.assert_allclose(out, expected, atol=2e-4, rtol=0)
