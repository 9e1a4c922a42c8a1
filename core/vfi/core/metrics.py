"""Frame-quality metrics of the VFI literature, on RGB uint8 frames [H, W, 3] (0..255).

Every metric takes the prediction already rounded to uint8 (as a written frame would be) and the
ground truth, and computes in float64:

- ``psnr``: 10 log10(255^2 / MSE), MSE over all pixels and the three RGB channels (dB). Identical
  frames give ``inf``.
- ``ssim``: the structural similarity of Wang et al. (IEEE TIP 2004) with the constants of their
  reference implementation: Gaussian window 11 x 11, sigma 1.5, K1 = 0.01, K2 = 0.03, L = 255,
  statistics over the "valid" region (windows fully inside the frame, no padding). Computed on
  each RGB channel separately and averaged over the channels (not on luma).
- ``ie``: interpolation error of the Middlebury benchmark (Baker et al., IJCV 2011): mean
  absolute difference over all pixels and RGB channels, on the 0..255 scale.

LPIPS, which needs torch and network weights, is `vfi.benchmarks.lpips`. Every stage that scores
frames (evaluation, training validation, the demo, export parity) uses these definitions.

`PROTOCOL` holds these choices as data; evaluation results carry it.
"""

from __future__ import annotations

import math

import numpy as np

from vfi.core.frames import to_uint8  # noqa: F401  (scored frames are rounded by it first)

#: SSIM constants (Wang et al. 2004).
SSIM_WINDOW = 11
SSIM_SIGMA = 1.5
SSIM_K1 = 0.01
SSIM_K2 = 0.03
PEAK = 255.0

PROTOCOL = {
    "scale": "0..255, prediction rounded to the nearest uint8 (clipped) before scoring",
    "psnr": "10*log10(255^2/MSE), MSE over all pixels and RGB channels, per sample, then averaged over samples",
    "ssim": (
        f"Gaussian window {SSIM_WINDOW}x{SSIM_WINDOW}, sigma {SSIM_SIGMA}, K1 {SSIM_K1}, K2 {SSIM_K2}, L 255, "
        "valid region (no padding), on each RGB channel, averaged over channels, then over samples"
    ),
    "ssim_colour_space": "RGB (mean over R, G, B), not Y",
    "ie": "mean absolute difference over all pixels and RGB channels on 0..255 (Middlebury IE), averaged over samples",
}


def _check(pred: np.ndarray, gt: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    if pred.shape != gt.shape:
        raise ValueError(f"prediction {pred.shape} and ground truth {gt.shape} differ in shape")
    if pred.dtype != np.uint8 or gt.dtype != np.uint8:
        raise TypeError(f"metrics take uint8 frames (round first with to_uint8); got {pred.dtype} and {gt.dtype}")
    return pred.astype(np.float64), gt.astype(np.float64)


def mse(pred: np.ndarray, gt: np.ndarray) -> float:
    """Mean squared error on 0..255 over every element."""
    a, b = _check(pred, gt)
    return float(np.mean((a - b) ** 2))


def psnr_from_mse(value: float, peak: float = PEAK) -> float:
    """PSNR in dB of a mean squared error `value` (inf when it is 0)."""
    return math.inf if value == 0 else 10.0 * math.log10(peak * peak / value)


def psnr(pred: np.ndarray, gt: np.ndarray) -> float:
    """PSNR (dB, peak 255) of uint8 frames."""
    return psnr_from_mse(mse(pred, gt))


def ie(pred: np.ndarray, gt: np.ndarray) -> float:
    """Interpolation error: mean absolute difference on 0..255 of uint8 frames."""
    a, b = _check(pred, gt)
    return float(np.mean(np.abs(a - b)))


def gaussian_window(size: int = SSIM_WINDOW, sigma: float = SSIM_SIGMA) -> np.ndarray:
    """The normalised 1-D Gaussian (float64, sums to 1); the 2-D window is its outer product."""
    x = np.arange(size, dtype=np.float64) - (size - 1) / 2.0
    g = np.exp(-(x**2) / (2.0 * sigma**2))
    return g / g.sum()


def _filter_valid(image: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    # Separable 'valid' correlation of an [H, W] float64 image with the outer product kernel x kernel.
    from numpy.lib.stride_tricks import sliding_window_view

    rows = sliding_window_view(image, kernel.size, axis=0) @ kernel  # [H-k+1, W]
    return sliding_window_view(rows, kernel.size, axis=1) @ kernel  # [H-k+1, W-k+1]


def ssim_channel(a: np.ndarray, b: np.ndarray, peak: float = PEAK) -> float:
    """SSIM of two single-channel float64 images [H, W] on 0..peak (mean over the valid region)."""
    if min(a.shape) < SSIM_WINDOW:
        raise ValueError(f"SSIM needs frames of at least {SSIM_WINDOW}x{SSIM_WINDOW} pixels, got {a.shape}")
    w = gaussian_window()
    c1, c2 = (SSIM_K1 * peak) ** 2, (SSIM_K2 * peak) ** 2
    mu_a, mu_b = _filter_valid(a, w), _filter_valid(b, w)
    var_a = _filter_valid(a * a, w) - mu_a**2
    var_b = _filter_valid(b * b, w) - mu_b**2
    cov = _filter_valid(a * b, w) - mu_a * mu_b
    index = ((2 * mu_a * mu_b + c1) * (2 * cov + c2)) / ((mu_a**2 + mu_b**2 + c1) * (var_a + var_b + c2))
    return float(index.mean())


def ssim(pred: np.ndarray, gt: np.ndarray) -> float:
    """SSIM of uint8 RGB frames [H, W, 3]: per channel (see `ssim_channel`), averaged over channels."""
    a, b = _check(pred, gt)
    if a.ndim == 2:
        return ssim_channel(a, b)
    return float(np.mean([ssim_channel(a[..., c], b[..., c]) for c in range(a.shape[-1])]))


def frame_average(frame0: np.ndarray, frame1: np.ndarray) -> np.ndarray:
    """The frame-averaging baseline: (frame0 + frame1) // 2 on uint8 (rounded down)."""
    return ((frame0.astype(np.uint16) + frame1) // 2).astype(np.uint8)


def score(pred: np.ndarray, gt: np.ndarray) -> dict[str, float]:
    """PSNR, SSIM and IE of one uint8 prediction."""
    return {"psnr": psnr(pred, gt), "ssim": ssim(pred, gt), "ie": ie(pred, gt)}
