"""Making the in-between frames of input pairs with a runner.

`synthesize` turns one padded pair and a list of fractions ``t`` into frames, in as few `infer`
calls as the batch limit allows. Models whose timestep mode is "fixed" (they only predict the
middle, t = 0.5) get dyadic fractions (1/2, 1/4, 3/4, ...) by recursive bisection: each level's
midpoints are predicted from the frames of the level above, one batched call per level. Other
fractions are refused for them.

A model with context frames (`Runner.context` k > 1) gets its window's 2(k-1) further frames with
every call (`context`: nearest first, [1, 3, H, W] each, as the pipeline assembles them); the
bisection of a "fixed" model cannot give it real context frames around in-between frames, so such a
model makes only the middle frame.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np

from vfi.core.errors import InputError


def is_dyadic(t: float, max_depth: int = 10) -> bool:
    """True when `t` is j / 2**m for some m <= `max_depth` (reachable by bisection)."""
    return Fraction(t).limit_denominator(2**max_depth) == Fraction(t) and Fraction(t).denominator <= 2**max_depth


def check_fixed_mode_factor(factor: int, model_name: str) -> None:
    """Refuse a `factor` that bisection cannot produce (not a power of two)."""
    if factor & (factor - 1):
        raise InputError(
            f"model {model_name} predicts only the middle frame (t = 0.5); use factor 2, 4, 8 or 16 "
            f"(powers of two, made by repeated bisection), not {factor}",
            "factor",
        )


def _infer_batched(
    runner, img0: np.ndarray, img1: np.ndarray, t: np.ndarray, batch: int | None, context: tuple = ()
) -> np.ndarray:
    if batch is None or batch >= len(t):
        return runner.infer(img0, img1, t, context)
    parts = [
        runner.infer(img0[i : i + batch], img1[i : i + batch], t[i : i + batch], tuple(c[i : i + batch] for c in context))
        for i in range(0, len(t), batch)
    ]
    return np.concatenate(parts)


def synthesize(
    runner, img0: np.ndarray, img1: np.ndarray, steps: list[float], batch: int | None = None, context: tuple = ()
) -> np.ndarray:
    """Frames at the fractions `steps` (each in (0, 1)) between `img0` and `img1`.

    Args:
        runner: a loaded `vfi.runtime.runner.Runner`.
        img0, img1: float32 [1, 3, H, W] in [0, 1], padded to ``runner.pad_multiple``.
        steps: fractions, in output order.
        batch: most frames per `infer` call; None puts all of `steps` into one call.
        context: the model's context frames, [1, 3, H, W] each (see the module docstring).

    Returns:
        float32 [len(steps), 3, H, W].
    """
    if runner.timestep_mode == "fixed":
        if context and [float(s) for s in steps] != [0.5]:
            raise InputError(
                f"model {runner.card.variant} predicts only the middle frame from its context window; use factor 2",
                "factor",
                "fps",
            )
        return _bisect(runner, img0, img1, steps, batch, context)
    n = len(steps)
    t = np.asarray(steps, dtype=np.float32)
    repeat = tuple(np.repeat(frame, n, axis=0) for frame in (img0, img1, *context))
    return _infer_batched(runner, repeat[0], repeat[1], t, batch, repeat[2:])


def synthesize_pairs(runner, pairs: list[tuple], batch: int | None = None) -> list[np.ndarray]:
    """`synthesize` for several consecutive pairs at once: one `infer` call for all their frames
    (as `batch` allows), so a runner that spreads a call's frames over parallel requests
    (`Runner.pairs_per_call` > 1) overlaps the pairs. Models of timestep mode "fixed" are bisected
    pair by pair.

    Args:
        pairs: (img0, img1, steps) or (img0, img1, steps, context) per pair, as `synthesize`
            takes them.

    Returns:
        float32 [len(steps), 3, H, W] per pair, in order.
    """
    pairs = [(p[0], p[1], p[2], tuple(p[3]) if len(p) > 3 else ()) for p in pairs]
    if runner.timestep_mode == "fixed" or len(pairs) == 1:
        return [synthesize(runner, a, b, steps, batch, ctx) for a, b, steps, ctx in pairs]
    windows = [((a, b, *ctx), len(steps)) for a, b, steps, ctx in pairs]
    # Frame j of every window, repeated once per in-between frame of its pair.
    frames = [np.concatenate([np.repeat(w[j], n, axis=0) for w, n in windows]) for j in range(len(windows[0][0]))]
    t = np.asarray([step for p in pairs for step in p[2]], dtype=np.float32)
    out = _infer_batched(runner, frames[0], frames[1], t, batch, tuple(frames[2:]))
    bounds = np.cumsum([0] + [len(p[2]) for p in pairs])
    return [out[start:stop] for start, stop in zip(bounds[:-1], bounds[1:])]


def _bisect(runner, img0: np.ndarray, img1: np.ndarray, steps: list[float], batch: int | None, context: tuple = ()) -> np.ndarray:
    wanted = [Fraction(s) for s in steps]
    for fraction in wanted:
        if not is_dyadic(float(fraction)):
            raise InputError(
                f"model {runner.card.variant} predicts only t = 0.5; t = {float(fraction):.6f} cannot be reached by "
                "bisection (use a factor that is a power of two instead of fps)",
                "factor",
                "fps",
            )
    known = {Fraction(0): img0[0], Fraction(1): img1[0]}
    depth = max(f.denominator for f in wanted).bit_length() - 1
    for level in range(1, depth + 1):
        step = Fraction(1, 2**level)
        # The level-`level` midpoints that are wanted or are ancestors of a wanted fraction: the
        # middle of the level-(level-1) interval that contains it.
        coarse = 2 ** (level - 1)
        needed = sorted(
            {Fraction(f.numerator * coarse // f.denominator, coarse) + step for f in wanted if f.denominator >= 2**level}
        )
        needed = [m for m in needed if m not in known]
        if not needed:
            continue
        a = np.stack([known[m - step] for m in needed])
        b = np.stack([known[m + step] for m in needed])
        # Only the middle frame (level 1) of a context model is reached (see `synthesize`).
        out = _infer_batched(runner, a, b, np.full(len(needed), 0.5, np.float32), batch, context)
        known.update(zip(needed, out))
    return np.stack([known[f] for f in wanted])
