"""PSNR, SSIM and IE against values worked out by hand or by a direct float64 formula."""

from __future__ import annotations

import math

import numpy as np
import pytest

from vfi.core import metrics


def _frames(shape=(24, 20, 3), seed=0):
    rng = np.random.default_rng(seed)
    return rng.integers(0, 256, shape, dtype=np.uint8), rng.integers(0, 256, shape, dtype=np.uint8)


def test_psnr_of_a_known_mse():
    gt = np.full((8, 8, 3), 100, np.uint8)
    pred = gt.copy()
    pred[..., 0] += 10  # squared error 100 on a third of the elements: MSE = 100 / 3
    assert metrics.mse(pred, gt) == pytest.approx(100 / 3)
    assert metrics.psnr(pred, gt) == pytest.approx(10 * math.log10(255**2 / (100 / 3)))
    assert metrics.psnr(gt, gt) == math.inf


def test_ie_is_mean_absolute_difference_after_rounding():
    gt = np.zeros((4, 4, 3), np.uint8)
    # 0.5/255 and 1.4/255 round to 0 and 1; 2.6/255 rounds to 3: IE counts the rounded values.
    float_pred = np.zeros((4, 4, 3))
    float_pred[0, 0, 0] = 0.5 / 255
    float_pred[0, 1, 0] = 1.4 / 255
    float_pred[0, 2, 0] = 2.6 / 255
    pred = metrics.to_uint8(float_pred)
    assert pred[0, 0, 0] == 0 and pred[0, 1, 0] == 1 and pred[0, 2, 0] == 3
    assert metrics.ie(pred, gt) == pytest.approx(4 / 48)
    assert metrics.to_uint8(np.array([-0.2, 1.3]))[1] == 255


def test_metrics_refuse_float_or_mismatched_frames():
    a, b = _frames()
    with pytest.raises(TypeError, match="uint8"):
        metrics.psnr(a.astype(np.float32), b)
    with pytest.raises(ValueError, match="shape"):
        metrics.ie(a, b[:-1])


def test_ssim_is_one_for_identical_frames_and_below_for_different():
    a, b = _frames()
    assert metrics.ssim(a, a) == pytest.approx(1.0, abs=1e-12)
    assert metrics.ssim(a, b) < 0.2


def _ssim_direct(x: np.ndarray, y: np.ndarray) -> float:
    # The definition window by window, in float64: weighted means, variances and covariance.
    size, sigma = 11, 1.5
    g = np.exp(-((np.arange(size) - 5.0) ** 2) / (2 * sigma**2))
    w = np.outer(g, g) / np.outer(g, g).sum()
    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2
    values = []
    for i in range(x.shape[0] - size + 1):
        for j in range(x.shape[1] - size + 1):
            px, py = x[i : i + size, j : j + size], y[i : i + size, j : j + size]
            mx, my = (w * px).sum(), (w * py).sum()
            vx, vy = (w * (px - mx) ** 2).sum(), (w * (py - my) ** 2).sum()
            cov = (w * (px - mx) * (py - my)).sum()
            values.append(((2 * mx * my + c1) * (2 * cov + c2)) / ((mx**2 + my**2 + c1) * (vx + vy + c2)))
    return float(np.mean(values))


def test_ssim_matches_the_direct_formula_per_channel_averaged():
    rng = np.random.default_rng(3)
    gt = rng.integers(0, 256, (16, 14, 3), dtype=np.uint8)
    noise = rng.integers(-30, 31, gt.shape)
    pred = np.clip(gt.astype(int) + noise, 0, 255).astype(np.uint8)
    expected = np.mean([_ssim_direct(pred[..., c].astype(np.float64), gt[..., c].astype(np.float64)) for c in range(3)])
    assert metrics.ssim(pred, gt) == pytest.approx(expected, rel=1e-10)


def test_ssim_agrees_with_scikit_image_gaussian_setting():
    skimage_metrics = pytest.importorskip("skimage.metrics")
    a, b = _frames((40, 36, 3), seed=5)
    b = ((a.astype(int) + b) // 2).astype(np.uint8)
    ours = metrics.ssim(a, b)
    # scikit-image pads with reflection and crops (win-1)/2 pixels; on the same valid region it equals ours.
    reference = skimage_metrics.structural_similarity(
        a, b, channel_axis=2, gaussian_weights=True, sigma=1.5, use_sample_covariance=False, data_range=255
    )
    assert ours == pytest.approx(reference, abs=5e-3)


def test_frame_average_rounds_down():
    a = np.array([[[1, 2, 255]]], np.uint8)
    b = np.array([[[2, 2, 254]]], np.uint8)
    assert metrics.frame_average(a, b).tolist() == [[[1, 2, 254]]]
