"""The demo pipeline restores dropped frames better than frame averaging and writes its files."""

from __future__ import annotations

import numpy as np
from PIL import Image

from vfi.benchmarks.demo import run_demo, side_by_side


def test_side_by_side_places_labelled_panels_left_to_right():
    red = np.zeros((40, 50, 3), np.uint8)
    red[..., 0] = 255
    blue = np.zeros((40, 50, 3), np.uint8)
    blue[..., 2] = 255
    image = side_by_side([("a", red), ("b", blue)])
    assert image.shape[1] == 100 and image.shape[0] > 40
    assert tuple(image[-1, 10]) == (255, 0, 0) and tuple(image[-1, 60]) == (0, 0, 255)


def test_demo_restores_dropped_frames(tmp_path, rife_weights):
    result = run_demo(tmp_path, model="rife-4.0-fast", height=96, width=128, n_frames=5)
    assert len(result.psnr) == 2
    assert result.mean_psnr > result.mean_averaging_psnr + 3.0
    for key in ("input", "video", "side_by_side", "frames"):
        assert result.files[key].exists()
    assert len(list(result.files["frames"].glob("*.png"))) == 5
    panel = np.asarray(Image.open(result.files["side_by_side"]))
    assert panel.shape[1] == 4 * 128
