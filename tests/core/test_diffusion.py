"""The DDIM sampler and noise schedule (`vfi.core.diffusion`) against the formulas, written out
here independently."""

import numpy as np
import pytest

from vfi.core.diffusion import DiffusionSchedule, check_steps, ddim_plan, ddim_sample, ddim_timesteps, q_sample
from vfi.core.errors import InputError


def test_schedule_is_linear_in_square_root_space():
    schedule = DiffusionSchedule()
    betas = schedule.betas()
    assert betas.shape == (1000,)
    assert betas[0] == pytest.approx(0.0015) and betas[-1] == pytest.approx(0.0195)
    roots = np.sqrt(betas)
    assert np.allclose(np.diff(roots), (np.sqrt(0.0195) - np.sqrt(0.0015)) / 999)
    abar = schedule.alphas_cumprod()
    assert abar[0] == pytest.approx(1 - 0.0015)
    assert abar[10] == pytest.approx(np.prod(1 - betas[:11]))


def test_uniform_discretisation_gives_exactly_the_steps_asked_for():
    assert ddim_timesteps(1000, 200)[:3].tolist() == [1, 6, 11]
    assert ddim_timesteps(1000, 200)[-1] == 996
    assert ddim_timesteps(1000, 3).tolist() == [1, 334, 667]  # the reference would give 4 steps here
    assert ddim_timesteps(1000, 1).tolist() == [1]


def test_plan_coefficients_follow_the_ddim_paper():
    schedule = DiffusionSchedule()
    abar = schedule.alphas_cumprod()
    plan = ddim_plan(schedule, 4, eta=1.0)
    assert [step.t for step in plan] == [751, 501, 251, 1]
    first = plan[0]
    assert first.alpha == pytest.approx(abar[751]) and first.alpha_prev == pytest.approx(abar[501])
    expected = np.sqrt((1 - abar[501]) / (1 - abar[751]) * (1 - abar[751] / abar[501]))
    assert first.sigma == pytest.approx(expected)
    assert plan[-1].alpha_prev == pytest.approx(abar[0])
    assert all(step.sigma == 0 for step in ddim_plan(schedule, 4, eta=0.0))


def test_sampler_matches_a_hand_written_loop():
    """One hand-written DDIM loop (eq. 12 of Song et al.) with the same noise stream."""
    schedule = DiffusionSchedule()
    abar = schedule.alphas_cumprod()
    shape = (2, 3, 4, 5)

    def eps_fn(x, t):
        assert t.dtype == np.float32 and t.shape == (2,)
        return np.tanh(x) * (t[:, None, None, None] / 1000.0)

    got = ddim_sample(eps_fn, shape, schedule, steps=5, eta=0.7, seed=3)

    rng = np.random.default_rng(3)
    x = rng.standard_normal(shape, dtype=np.float32)
    visited = [1, 201, 401, 601, 801]
    for index in reversed(range(5)):
        t = visited[index]
        a, a_prev = abar[t], abar[visited[index - 1]] if index else abar[0]
        sigma = 0.7 * np.sqrt((1 - a_prev) / (1 - a) * (1 - a / a_prev))
        eps = np.tanh(x) * (t / 1000.0)
        x0 = (x - np.sqrt(1 - a) * eps) / np.sqrt(a)
        noise = rng.standard_normal(shape, dtype=np.float32)
        x = (np.sqrt(a_prev) * x0 + np.sqrt(1 - a_prev - sigma**2) * eps + sigma * noise).astype(np.float32)
    np.testing.assert_allclose(got, x, rtol=1e-5, atol=1e-5)


def test_an_oracle_denoiser_recovers_the_clean_latent():
    """eta 0 with the true noise: every step predicts x0 exactly, so the end is x0 up to the last
    step's sqrt(abar_0) scaling and its small noise direction."""
    schedule = DiffusionSchedule()
    abar = schedule.alphas_cumprod()
    x0 = np.linspace(-1, 1, 48, dtype=np.float32).reshape(1, 3, 4, 4)

    def oracle(x, t):
        a = abar[int(t[0])]
        return (x - np.sqrt(a) * x0) / np.sqrt(1 - a)

    out = ddim_sample(oracle, x0.shape, schedule, steps=20, eta=0.0, seed=1)
    # |out - x0| <= (1 - sqrt(abar_0)) |x0| + sqrt(1 - abar_0) |eps|, with |eps| < 4 for these draws
    assert np.abs(out - x0).max() < (1 - np.sqrt(abar[0])) + 4 * np.sqrt(1 - abar[0])
    assert np.abs(out - x0).max() > 0  # the last step still mixes in sqrt(1 - abar_0) of noise


def test_same_seed_same_latent_and_seeds_differ():
    def eps(x, t):
        return 0.1 * x

    a = ddim_sample(eps, (1, 3, 2, 2), steps=3, seed=5)
    b = ddim_sample(eps, (1, 3, 2, 2), steps=3, seed=5)
    c = ddim_sample(eps, (1, 3, 2, 2), steps=3, seed=6)
    assert np.array_equal(a, b) and not np.array_equal(a, c)
    calls = []
    ddim_sample(eps, (1, 3, 2, 2), steps=7, on_step=lambda done, total: calls.append((done, total)))
    assert calls == [(i, 7) for i in range(1, 8)]


def test_bad_settings_are_one_line():
    for bad in (0, 1000, 2.5, True, "3"):
        with pytest.raises(InputError, match="steps must be"):
            check_steps(bad)
    assert check_steps(999) == 999
    with pytest.raises(InputError, match="eta must be"):
        ddim_plan(DiffusionSchedule(), 2, float("nan"))
    with pytest.raises(ValueError, match="denoiser returned"):
        ddim_sample(lambda x, t: x[:, :1], (1, 3, 2, 2), steps=2)


def test_q_sample_in_numpy_and_torch():
    torch = pytest.importorskip("torch")
    abar = DiffusionSchedule().alphas_cumprod()
    x0 = np.ones((2, 1, 1, 1), np.float32)
    noise = np.full((2, 1, 1, 1), 2.0, np.float32)
    got = q_sample(x0, np.array([0, 999]), noise)
    expected = np.sqrt(abar[[0, 999]]) + 2 * np.sqrt(1 - abar[[0, 999]])
    np.testing.assert_allclose(got.reshape(-1), expected, rtol=1e-6)
    got_torch = q_sample(torch.from_numpy(x0), torch.tensor([0, 999]), torch.from_numpy(noise))
    np.testing.assert_allclose(got_torch.numpy().reshape(-1), expected, rtol=1e-6)
    with pytest.raises(ValueError):
        q_sample(x0, np.array([0, 1000]), noise)
