import numpy as np
import pytest

from vfi.core.errors import InputError
from vfi.runtime.synthesis import check_fixed_mode_factor, synthesize


def _pair():
    return np.zeros((1, 3, 8, 8), np.float32), np.ones((1, 3, 8, 8), np.float32)


def test_scalar_mode_one_call_per_pair():
    from runtime_doubles import AveragingRunner

    runner = AveragingRunner(pad_multiple=1).load()
    out = synthesize(runner, *_pair(), [0.25, 0.5, 0.75])
    assert runner.calls == 1 and runner.batch_sizes == [3]
    np.testing.assert_allclose(out[:, 0, 0, 0], [0.25, 0.5, 0.75])


def test_batch_limit_splits_calls():
    from runtime_doubles import AveragingRunner

    runner = AveragingRunner(pad_multiple=1).load()
    synthesize(runner, *_pair(), [0.2, 0.4, 0.6, 0.8], batch=3)
    assert runner.batch_sizes == [3, 1]


def test_fixed_mode_bisection():
    from runtime_doubles import AveragingRunner

    runner = AveragingRunner(pad_multiple=1, timestep_mode="fixed").load()
    steps = [j / 8 for j in range(1, 8)]
    out = synthesize(runner, *_pair(), steps)
    np.testing.assert_allclose(out[:, 0, 0, 0], steps)
    assert runner.batch_sizes == [1, 2, 4]  # one call per bisection level


def test_fixed_mode_refuses_other_fractions():
    from runtime_doubles import AveragingRunner

    runner = AveragingRunner(pad_multiple=1, timestep_mode="fixed").load()
    with pytest.raises(InputError, match="bisection"):
        synthesize(runner, *_pair(), [1 / 3])
    with pytest.raises(InputError, match="powers of two"):
        check_fixed_mode_factor(3, "cain")
    check_fixed_mode_factor(8, "cain")
