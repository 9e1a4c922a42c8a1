"""The server-side handler without a server: padding, cropping, uint8 NHWC, refusals."""

from __future__ import annotations

import numpy as np
import pytest

from vfi.core.errors import InputError
from vfi.serve.handler import InterpolationHandler


class BlendRunner:
    """A runner double: the linear blend, recording the shapes it was given."""

    pad_multiple = 32
    timestep_mode = "scalar"
    context = 1
    card = type("Card", (), {"variant": "blend"})()

    def __init__(self, value=None):
        self.shapes, self.value = [], value

    def infer(self, img0, img1, t, context=()):
        self.shapes.append(img0.shape)
        out = img0 * (1 - t[:, None, None, None]) + img1 * t[:, None, None, None]
        return out if self.value is None else np.full_like(out, self.value)


def test_float_variant_pads_to_the_multiple_and_crops_back():
    runner = BlendRunner()
    rng = np.random.default_rng(0)
    a, b = rng.random((2, 2, 3, 40, 50), dtype=np.float32)
    t = np.array([[0.25], [0.75]], np.float32)
    frame = InterpolationHandler(runner)({"img0": a, "img1": b, "timestep": t})["frame"]
    assert runner.shapes == [(2, 3, 64, 64)]
    np.testing.assert_allclose(frame, a * (1 - t[:, :, None, None]) + b * t[:, :, None, None], atol=1e-6)


def test_uint8_variant_round_trips_nhwc():
    a = np.random.default_rng(1).integers(0, 256, (1, 33, 35, 3), dtype=np.uint8)
    frame = InterpolationHandler(BlendRunner(), uint8=True)({"img0": a, "img1": a, "timestep": np.full((1, 1), 0.5, np.float32)})
    assert frame["frame"].dtype == np.uint8 and np.array_equal(frame["frame"], a)


def test_nan_output_is_refused():
    with pytest.raises(InputError, match="NaN or Inf"):
        InterpolationHandler(BlendRunner(value=np.nan))(
            {
                "img0": np.zeros((1, 3, 32, 32), np.float32),
                "img1": np.zeros((1, 3, 32, 32), np.float32),
                "timestep": np.zeros((1, 1), np.float32),
            }
        )


def test_refused_batch_does_not_reach_the_runner():
    runner = BlendRunner()
    with pytest.raises(InputError, match="outside the served range"):
        InterpolationHandler(runner, max_side=64)(
            {
                "img0": np.zeros((1, 3, 32, 65), np.float32),
                "img1": np.zeros((1, 3, 32, 65), np.float32),
                "timestep": np.zeros((1, 1), np.float32),
            }
        )
    assert runner.shapes == []


def test_context_frames_are_served_inputs_padded_with_the_pair():
    """A model with two frames on each side is served with img_m1 and img2 after the timestep."""
    from vfi.core.serving import io_tensors

    assert [t.name for t in io_tensors(True, False, context=2)[0]] == ["img0", "img1", "timestep", "img_m1", "img2"]
    assert [t.name for t in io_tensors(False, True, context=2)[0]] == ["img0", "img1", "img_m1", "img2"]

    class ContextRunner(BlendRunner):
        context = 2

        def infer(self, img0, img1, t, context=()):
            self.shapes.append([img0.shape, *(c.shape for c in context)])
            return img0 * 0 + context[1] - context[0]

    runner = ContextRunner()
    rng = np.random.default_rng(2)
    a, b, before, after = rng.random((4, 1, 3, 40, 50), dtype=np.float32)
    request = {"img0": a, "img1": b, "timestep": np.full((1, 1), 0.5, np.float32), "img_m1": before, "img2": after}
    frame = InterpolationHandler(runner)(request)["frame"]
    assert runner.shapes == [[(1, 3, 64, 64)] * 3]
    np.testing.assert_allclose(frame, after - before, atol=1e-6)
    with pytest.raises(InputError, match="lacks input"):
        InterpolationHandler(runner)({k: v for k, v in request.items() if k != "img2"})
    with pytest.raises(InputError, match="differ in shape"):
        InterpolationHandler(runner)({**request, "img2": after[:, :, :32]})
