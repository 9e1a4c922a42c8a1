"""Diffusion arithmetic shared by every stage: the noise schedule and the DDIM sampler.

One home for it, in NumPy, because three places run the same loop and must agree to the last
digit: the torch model's ``forward``, the runtime's multi-graph runner (the loop around an
exported denoiser on any backend) and the benchmarks. The sampler never sees a framework: it
calls ``eps_fn(x, t)`` on NumPy arrays, so the same seed draws the same noise whichever backend
evaluates the denoiser, and the frames agree within the backends' numerical tolerance.

    schedule = DiffusionSchedule()                       # LDMVFI's: T = 1000, "linear" in sqrt space
    z = ddim_sample(eps_fn, (1, 3, 8, 8), schedule, steps=200, eta=1.0, seed=0)

The schedule and discretisation follow latent-diffusion (Rombach et al.) as LDMVFI uses it:
betas = linspace(sqrt(beta_start), sqrt(beta_end), T)^2; DDIM's "uniform" steps
``range(0, T, T // steps) + 1``; sigma_t = eta * sqrt((1 - a_prev) / (1 - a_t) * (1 - a_t / a_prev)).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from vfi.core import options

#: the sampler settings a diffusion model carries as hyper-parameters (card ``hparams``), which a
#: runner may override per run without touching the weights or the exported graphs
SAMPLER_HPARAMS = ("steps", "eta", "seed")
#: the most sampling steps accepted: T - 1 for LDMVFI's T = 1000, since the "+1" of the uniform
#: discretisation would read abar[T] at T steps (the reference fails there too)
MAX_STEPS = 999


@dataclass(frozen=True)
class DiffusionSchedule:
    """The forward-process noise schedule.

    Attributes:
        timesteps: T, the number of diffusion steps of training (default 1000).
        linear_start: beta_1 (default 0.0015).
        linear_end: beta_T (default 0.0195); betas run linearly in square-root space between them.
    """

    timesteps: int = 1000
    linear_start: float = 0.0015
    linear_end: float = 0.0195

    def betas(self) -> np.ndarray:
        """beta_t for t = 0..T-1, float64."""
        root = np.linspace(self.linear_start**0.5, self.linear_end**0.5, self.timesteps, dtype=np.float64)
        return root**2

    def alphas_cumprod(self) -> np.ndarray:
        """abar_t = prod_{s<=t} (1 - beta_s), float64 [T]."""
        return np.cumprod(1.0 - self.betas())


def check_steps(steps: int, schedule: DiffusionSchedule | None = None) -> int:
    """`steps` as an int in 1..T-1; `InputError` otherwise (the option is ``--steps``)."""
    top = min((schedule or DiffusionSchedule()).timesteps - 1, MAX_STEPS)
    return int(options.count(steps, "steps", top))


def ddim_timesteps(total: int, steps: int) -> np.ndarray:
    """The DDPM step indices DDIM visits, ascending: ``range(0, total, total // steps)[:steps] + 1``.

    That is latent-diffusion's "uniform" discretisation, except that it always gives exactly
    `steps` indices: where `steps` does not divide `total` the reference gives one or more extra
    steps (e.g. 4 for 3), which would make ``--steps`` lie.
    """
    stride = total // steps
    return np.arange(0, total, stride, dtype=np.int64)[:steps] + 1


@dataclass(frozen=True)
class DDIMStep:
    """One reverse step's coefficients (float64): the step index `t` fed to the denoiser, abar at
    t and at the previous visited step, and sigma."""

    t: int
    alpha: float
    alpha_prev: float
    sigma: float


def ddim_plan(schedule: DiffusionSchedule, steps: int, eta: float) -> list[DDIMStep]:
    """The reverse steps in the order they run (largest t first)."""
    steps = check_steps(steps, schedule)
    options.non_negative(eta, "eta")
    abar = schedule.alphas_cumprod()
    visited = ddim_timesteps(schedule.timesteps, steps)
    # As the reference: the denoiser is told the visited index and abar is read at that same index
    # (the "+1" of the discretisation shifts both), the first step's predecessor is abar[0].
    alphas = abar[visited]
    alphas_prev = np.concatenate([[abar[0]], abar[visited[:-1]]])
    sigmas = eta * np.sqrt((1 - alphas_prev) / (1 - alphas) * (1 - alphas / alphas_prev))
    plan = [DDIMStep(int(t), float(a), float(ap), float(s)) for t, a, ap, s in zip(visited, alphas, alphas_prev, sigmas)]
    return plan[::-1]


def ddim_sample(
    eps_fn: Callable[[np.ndarray, np.ndarray], np.ndarray],
    shape: tuple[int, ...],
    schedule: DiffusionSchedule | None = None,
    steps: int = 200,
    eta: float = 1.0,
    seed: int = 0,
    on_step: Callable[[int, int], None] | None = None,
) -> np.ndarray:
    """The latent DDIM arrives at after `steps` reverse steps from Gaussian noise.

    Args:
        eps_fn: the denoiser: ``eps_fn(x, t)`` with x float32 [N, C, h, w] and t float32 [N] (the
            DDPM step index) returns the predicted noise, shaped like x (any float dtype).
        shape: the latent's shape [N, C, h, w].
        schedule: the noise schedule (default `DiffusionSchedule()`).
        steps: reverse steps, 1..T (default 200, LDMVFI's evaluation setting).
        eta: DDIM's stochasticity: 0 deterministic, 1 (default) DDPM-like variance.
        seed: seeds the starting noise and every step's noise (NumPy PCG64), so a seed gives the
            same frame on every backend.
        on_step: called as ``on_step(done, steps)`` after each step (progress, cancellation).

    Returns:
        float32 array of `shape`.
    """
    schedule = schedule or DiffusionSchedule()
    plan = ddim_plan(schedule, steps, eta)
    rng = np.random.default_rng(int(seed))
    x = rng.standard_normal(shape, dtype=np.float32)
    batch = shape[0]
    for done, step in enumerate(plan, start=1):
        eps = np.asarray(eps_fn(x, np.full([batch], step.t, np.float32)), dtype=np.float32)
        if eps.shape != x.shape:
            raise ValueError(f"the denoiser returned {eps.shape}, expected {x.shape}")
        x = ddim_update(x, eps, step, rng)
        if on_step is not None:
            on_step(done, len(plan))
    return x


def ddim_update(x: np.ndarray, eps: np.ndarray, step: DDIMStep, rng: np.random.Generator) -> np.ndarray:
    """x_{t_prev} from x_t and the predicted noise (DDIM, Song et al. 2021, eq. 12), float32.

    The noise term is drawn even when sigma is 0, so eta does not change which noise later steps see.
    """
    noise = rng.standard_normal(x.shape, dtype=np.float32)
    pred_x0 = (x - np.sqrt(1 - step.alpha) * eps) / np.sqrt(step.alpha)
    direction = np.sqrt(max(1 - step.alpha_prev - step.sigma**2, 0.0)) * eps
    out = np.sqrt(step.alpha_prev) * pred_x0 + direction + step.sigma * noise
    return out.astype(np.float32)


def q_sample(x0, t_index, noise, schedule: DiffusionSchedule | None = None):
    """The forward process: sqrt(abar_t) x0 + sqrt(1 - abar_t) noise, for training.

    `x0` and `noise` are arrays or torch tensors [N, ...] of one kind; `t_index` holds N integer
    step indices in 0..T-1. Returns the same kind as `x0`.
    """
    abar = (schedule or DiffusionSchedule()).alphas_cumprod()
    index = np.asarray(t_index.cpu() if hasattr(t_index, "cpu") else t_index, dtype=np.int64).reshape(-1)
    if index.min() < 0 or index.max() >= abar.shape[0]:
        raise ValueError(f"t_index must be in 0..{abar.shape[0] - 1}")
    shape = (-1,) + (1,) * (len(x0.shape) - 1)
    a = np.sqrt(abar[index]).reshape(shape)
    b = np.sqrt(1 - abar[index]).reshape(shape)
    if hasattr(x0, "new_tensor"):  # torch: keep device and dtype
        a, b = x0.new_tensor(a), x0.new_tensor(b)
        return a * x0 + b * noise
    return (a * x0 + b * noise).astype(x0.dtype)


def is_diffusion(card) -> bool:
    """Whether the model a card (`vfi.models.card.ModelCard`, or its dict) describes samples by
    diffusion, so that the sampler settings `SAMPLER_HPARAMS` (``--steps``) apply to it: its
    hyper-parameters carry ``steps``."""
    hparams = card.get("hparams") if isinstance(card, dict) else getattr(card, "hparams", None)
    return isinstance(hparams, dict) and "steps" in hparams


#: the tensor names a diffusion bundle's graphs agree on (besides the encoder's conditioning
#: outputs, which the denoiser and decoder take by name): the denoiser maps ``x`` (the noisy
#: latent) and ``timestep`` [N] to ``eps``; the decoder maps ``z`` (the sampled latent) to ``frame``
LATENT_IN, TIMESTEP_IN, EPS_OUT, SAMPLE_IN, FRAME_OUT = "x", "timestep", "eps", "z", "frame"
#: the roles of a diffusion bundle's graphs, in the order they run
DIFFUSION_PARTS = ("encoder", "denoiser", "decoder")


def sample_frame(
    run_part: Callable[[str, dict], dict],
    inputs: dict[str, list[str]],
    img0: np.ndarray,
    img1: np.ndarray,
    schedule: DiffusionSchedule | None = None,
    steps: int = 200,
    eta: float = 1.0,
    seed: int = 0,
    on_step: Callable[[int, int], None] | None = None,
) -> np.ndarray:
    """A latent-diffusion model's frame from its three graphs, whoever runs them.

    `run_part(role, feeds) -> {output name: array}` evaluates one graph ("encoder", "denoiser",
    "decoder") on NumPy float32 feeds; `inputs` gives each role's input names. The encoder takes
    ``img0``, ``img1`` and returns the conditioning (the latents ``z0``, ``z1`` and any feature
    maps); the denoiser runs `steps` DDIM steps (`ddim_sample`) from the seeded noise with that
    conditioning; the decoder turns the sampled latent ``z`` plus what it names of the frames and
    the conditioning into ``frame``. Returns the frame, float32 [N, 3, H, W].
    """
    pool = {
        "img0": img0,
        "img1": img1,
        **run_part("encoder", {name: _pick({"img0": img0, "img1": img1}, name, "encoder") for name in inputs["encoder"]}),
    }
    conditioning = {name: _pick(pool, name, "denoiser") for name in inputs["denoiser"] if name not in (LATENT_IN, TIMESTEP_IN)}
    shape = tuple(pool["z0"].shape) if "z0" in pool else tuple(np.shape(next(iter(conditioning.values()))))

    def eps_fn(x: np.ndarray, t: np.ndarray) -> np.ndarray:
        return run_part("denoiser", {LATENT_IN: x, TIMESTEP_IN: t, **conditioning})[EPS_OUT]

    pool[SAMPLE_IN] = ddim_sample(eps_fn, shape, schedule, steps=steps, eta=eta, seed=seed, on_step=on_step)
    return run_part("decoder", {name: _pick(pool, name, "decoder") for name in inputs["decoder"]})[FRAME_OUT]


def _pick(pool: dict, name: str, role: str) -> np.ndarray:
    if name not in pool:
        raise ValueError(f"the {role} graph takes {name!r}, which neither the frames nor the encoder provide")
    return np.ascontiguousarray(pool[name], dtype=np.float32)
