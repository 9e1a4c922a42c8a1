"""One comparison for every parity test: |actual - expected| <= atol + rtol * |expected|.

On failure the message gives the observed max abs and rel error, where it happened, and the
tolerance that would have passed, so that tolerances are changed by evidence, not by guessing.
"""

from __future__ import annotations


def _to_numpy(x):
    import numpy as np

    if hasattr(x, "detach"):
        x = x.detach().cpu()
        if str(x.dtype) == "torch.bfloat16":
            x = x.float()
        x = x.numpy()
    return np.asarray(x)


def assert_close(actual, expected, tol, what: str = "") -> None:
    """Assert `actual` (torch or NumPy) matches `expected` within `tol` (a `Tolerance`)."""
    import numpy as np

    a = _to_numpy(actual).astype(np.float64)
    e = _to_numpy(expected).astype(np.float64)
    label = f"{what}: " if what else ""
    if a.shape != e.shape:
        raise AssertionError(f"{label}shape {a.shape} != expected {e.shape}")
    if not np.array_equal(np.isnan(a), np.isnan(e)):
        raise AssertionError(f"{label}NaN positions differ ({int(np.isnan(a).sum())} vs {int(np.isnan(e).sum())})")
    a, e = np.nan_to_num(a), np.nan_to_num(e)
    diff = np.abs(a - e)
    bound = tol.atol + tol.rtol * np.abs(e)
    if diff.size == 0 or np.all(diff <= bound):
        return
    worst = np.unravel_index(np.argmax(diff - bound), diff.shape)
    max_abs = float(diff.max())
    rel = diff / np.maximum(np.abs(e), np.finfo(np.float64).tiny)
    max_rel = float(rel.max())
    # Smallest atol that passes with the given rtol, and smallest rtol that passes with the given atol.
    need_atol = float((diff - tol.rtol * np.abs(e)).max())
    need_rtol = float(((diff - tol.atol) / np.maximum(np.abs(e), np.finfo(np.float64).tiny)).max())
    raise AssertionError(
        f"{label}max abs err {max_abs:.3g}, max rel err {max_rel:.3g}; worst at {tuple(int(i) for i in worst)} "
        f"(actual {a[worst]:.6g}, expected {e[worst]:.6g}); {int((diff > bound).sum())}/{diff.size} elements out of "
        f"tolerance atol={tol.atol:g}, rtol={tol.rtol:g}; would pass with atol={need_atol:.3g} (rtol={tol.rtol:g}) "
        f"or rtol={max(need_rtol, 0):.3g} (atol={tol.atol:g})"
    )
