import numpy as np
import pytest

from vfi.core.frames import write_png_folder
from vfi.core.metrics import psnr
from vfi.core.synthetic_scene import (
    Shape,
    SyntheticScene,
    drop_frame_example,
    make_scene,
    procedural_texture,
)


def test_deterministic_and_middle_lies_between():
    a, b = make_scene(64, 96, seed=5), make_scene(64, 96, seed=5)
    np.testing.assert_array_equal(a.render(0.5), b.render(0.5))
    f0, mid, f1 = (a.render_float(t) for t in (0.0, 0.5, 1.0))
    assert mid.shape == (64, 96, 3) and mid.dtype == np.float32
    assert not np.array_equal(f0, mid) and not np.array_equal(mid, f1)
    # The true middle is closer to both neighbours than they are to each other.
    d = lambda x, y: np.abs(x - y).mean()  # noqa: E731
    assert d(f0, mid) < d(f0, f1) and d(mid, f1) < d(f0, f1)
    assert make_scene(64, 96, seed=6).render(0).tolist() != a.render(0).tolist()


def test_background_moves_by_its_velocity():
    texture = procedural_texture(64, 64, np.random.default_rng(0))
    scene = SyntheticScene(32, 40, [texture], background_velocity=(2.0, 1.0), background_offset=(5.0, 7.0))
    f0, f1 = scene.render_float(0.0), scene.render_float(1.0)
    # Content moved +2 px in x and +1 px in y: pixel (y+1, x+2) at t=1 shows what (y, x) showed at t=0.
    np.testing.assert_allclose(f1[1:, 2:], f0[:-1, :-2], atol=1e-5)
    # Half-way, the shift is half a pixel: bilinear, i.e. the mean of the neighbouring samples.
    scene_x = SyntheticScene(32, 40, [texture], background_velocity=(1.0, 0.0), background_offset=(5.0, 7.0))
    half = scene_x.render_float(0.5)
    expected = 0.5 * (scene_x.render_float(0.0)[:, 1:] + scene_x.render_float(0.0)[:, :-1])
    np.testing.assert_allclose(half[:, 1:], expected, atol=1e-5)


def test_shape_moves_by_its_velocity():
    flat = [np.zeros((64, 64, 3), np.float32), np.ones((64, 64, 3), np.float32)]
    shape = Shape("disc", center=(20.0, 16.0), velocity=(3.0, -1.5), size=(5.0, 5.0), texture=1, texture_offset=(0, 0))
    scene = SyntheticScene(32, 48, flat, background_velocity=(0.0, 0.0), background_offset=(0.0, 0.0), shapes=[shape])
    for t in (0.0, 0.5, 2.0):
        mask = scene.render_float(t)[..., 0]
        ys, xs = np.mgrid[0:32, 0:48]
        centroid = ((mask * xs).sum() / mask.sum(), (mask * ys).sum() / mask.sum())
        assert centroid == pytest.approx(shape.center_at(t), abs=0.05)
        assert mask.sum() == pytest.approx(np.pi * 25, rel=0.02)  # anti-aliased area ~ pi r^2


def test_drop_frame_example_and_psnr(tmp_path):
    scene = make_scene(48, 64, seed=2)
    inputs, truths = drop_frame_example(scene, 7)
    assert len(inputs) == 4 and len(truths) == 3
    np.testing.assert_array_equal(truths[0], scene.render(1))
    assert psnr(inputs[0], inputs[0]) == float("inf")
    assert 10 < psnr(inputs[0], inputs[1]) < 40
    folder = write_png_folder(inputs, tmp_path / "in")
    assert sorted(p.name for p in folder.iterdir()) == ["00000.png", "00001.png", "00002.png", "00003.png"]
