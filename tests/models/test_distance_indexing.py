"""Distance indexing: the map-taking variants (ifrnet-di, rife-4.0-di) and iterative
reference-based inference."""

from __future__ import annotations

import pytest
import torch

import vfi.models as vm
from vfi.core.errors import InputError
from vfi.models.distance_indexing import RIFEDI, iterative_inference

#: A multiple of both models' pad multiples (IFRNet 16, RIFE 4.0 64).
HEIGHT, WIDTH = 64, 128
#: Small RIFE widths: the architecture is the same, the test is fast.
TINY_RIFE = {"block_widths": (8, 8, 8, 8), "context_width": 2}
TINY_IFRNET = {"widths": (8, 8, 8, 8), "side_channels": 4}


def make(name, **overrides):
    torch.manual_seed(0)
    return vm.create(name, **overrides).eval()


def frames(n=1, height=HEIGHT, width=WIDTH):
    generator = torch.Generator().manual_seed(0)
    return torch.rand(2, n, 3, height, width, generator=generator).unbind(0)


@pytest.fixture(scope="module")
def models():
    return {"ifrnet-di": make("ifrnet-di", **TINY_IFRNET), "rife-4.0-di": make("rife-4.0-di", **TINY_RIFE)}


def test_variants_declare_map_timesteps():
    for name in ("ifrnet-di", "rife-4.0-di"):
        model = vm.create(name)
        assert model.timestep_mode == model.card.timestep_mode == "map"
    assert vm.create("ifrnet-di").pad_multiple == 16
    assert vm.get_variant("rife-4.0-di").pretrained is None


def test_rife_di_has_rife_architecture():
    di, rife = vm.create("rife-4.0-di"), vm.create("rife-4.0")
    assert isinstance(di, RIFEDI)
    assert {k: v.shape for k, v in di.state_dict().items()} == {k: v.shape for k, v in rife.state_dict().items()}
    assert di.pad_multiple == rife.pad_multiple


@pytest.mark.parametrize("name", ["ifrnet-di", "rife-4.0-di"])
def test_forward_with_float_vector_and_map(models, name):
    model = models[name]
    img0, img1 = frames(n=2)
    with torch.no_grad():
        scalar = model(img0, img1, 0.5)
        vector = model(img0, img1, torch.tensor([0.5, 0.5]))
        uniform = model(img0, img1, torch.full((2, 1, HEIGHT, WIDTH), 0.5))
        ramp = model(img0, img1, torch.linspace(0, 1, WIDTH).expand(2, 1, HEIGHT, WIDTH))
    for out in (scalar, vector, uniform, ramp):
        assert out.shape == img0.shape and 0 <= out.min() and out.max() <= 1
    torch.testing.assert_close(vector, scalar, atol=1e-6, rtol=0)
    torch.testing.assert_close(uniform, scalar, atol=1e-6, rtol=0)
    assert (ramp - scalar).abs().max() > 1e-4


@pytest.mark.parametrize("name", ["ifrnet-di", "rife-4.0-di"])
@pytest.mark.parametrize("t", [0.5, "vector", "map"])
def test_one_step_equals_the_direct_call(models, name, t):
    model = models[name]
    img0, img1 = frames()
    t = {"vector": torch.tensor([0.5]), "map": torch.full((1, 1, HEIGHT, WIDTH), 0.5)}.get(t, t)
    with torch.no_grad():
        assert torch.equal(iterative_inference(model, img0, img1, t, steps=1), model(img0, img1, t))


def test_two_steps_rescale_the_distance(models):
    model = models["ifrnet-di"]
    img0, img1 = frames()
    t = torch.linspace(0.2, 1.0, WIDTH).expand(1, 1, HEIGHT, WIDTH)
    with torch.no_grad():
        out = iterative_inference(model, img0, img1, t, steps=2)
        middle = model(img0, img1, t / 2)
        expected = model(middle, img1, (t - t / 2) / (1 - t / 2))
        scalar = iterative_inference(model, img0, img1, 0.6, steps=3)
    assert out.shape == img0.shape and 0 <= out.min() and out.max() <= 1
    torch.testing.assert_close(out, expected, atol=1e-6, rtol=0)
    assert scalar.shape == img0.shape


def test_iterative_inference_refusals(models):
    img0, img1 = frames()
    scalar_model = vm.create("rife-4.0", **TINY_RIFE).eval()
    with pytest.raises(InputError, match="distance-indexing"):
        iterative_inference(scalar_model, img0, img1, torch.full((1, 1, HEIGHT, WIDTH), 0.5))
    with pytest.raises(InputError, match="steps"):
        iterative_inference(models["ifrnet-di"], img0, img1, 0.5, steps=0)
    with pytest.raises(InputError, match=r"\[0, 1\]"):
        iterative_inference(models["ifrnet-di"], img0, img1, 1.5)

    class Fixed(torch.nn.Module):
        timestep_mode = "fixed"

    with pytest.raises(InputError, match="t=0.5 only"):
        iterative_inference(Fixed(), img0, img1, 0.5)


def test_scalar_models_iterate_with_scalar_distances():
    model = vm.create("ifrnet-s", **TINY_IFRNET).eval()
    img0, img1 = frames()
    with torch.no_grad():
        out = iterative_inference(model, img0, img1, 0.5, steps=2)
    assert out.shape == img0.shape


def test_ifrnet_di_gradients_flow_from_a_map():
    model = make("ifrnet-di", **TINY_IFRNET).train()
    img0, img1 = frames(height=32, width=32)
    distance = torch.rand(1, 1, 32, 32)
    model(img0, img1, distance).mean().backward()
    assert all(p.grad is not None and torch.isfinite(p.grad).all() for p in model.parameters())


def test_rife_di_from_pretrained(rife_weights):
    from vfi.models.distance_indexing import rife_di_from_pretrained

    model = rife_di_from_pretrained(rife_weights)
    pretrained = vm.load(rife_weights)
    assert isinstance(model, RIFEDI) and model.card.family == "rife-di"
    assert model.card.timestep_mode == "map"
    assert "initialised_from" in model.card.provenance
    for key, value in pretrained.state_dict().items():
        assert torch.equal(model.state_dict()[key], value), key
