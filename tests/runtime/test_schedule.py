from fractions import Fraction

import pytest

from vfi.core.errors import InputError
from vfi.runtime.schedule import FactorSchedule, RetimeSchedule, make_schedule


@pytest.mark.parametrize("factor", [2, 3, 4])
@pytest.mark.parametrize("n_frames", [2, 5, 9])
def test_factor_count_and_steps(factor, n_frames):
    schedule = FactorSchedule(factor)
    assert schedule.count(n_frames) == (n_frames - 1) * factor + 1
    assert sum(len(schedule.pair_steps(i)) for i in range(n_frames - 1)) + 1 == schedule.count(n_frames)
    assert schedule.pair_steps(0) == [j / factor for j in range(factor)]
    assert schedule.emits_last(n_frames)
    assert schedule.output_fps(Fraction(25)) == 25 * factor


@pytest.mark.parametrize("factor", [1, 0, -2])
def test_factor_below_two_refused(factor):
    with pytest.raises(InputError, match="factor must be an integer"):
        FactorSchedule(factor)


def test_retime_doubling_equals_factor_two():
    retime = RetimeSchedule(Fraction(25), 50)
    assert [retime.pair_steps(i) for i in range(4)] == [[0.0, 0.5]] * 4
    assert retime.count(5) == FactorSchedule(2).count(5)


def test_retime_24_to_60():
    # 60/24 = 2.5 outputs per input: positions n * 0.4.
    retime = RetimeSchedule(Fraction(24), 60)
    assert retime.pair_steps(0) == pytest.approx([0.0, 0.4, 0.8])
    assert retime.pair_steps(1) == pytest.approx([0.2, 0.6])
    assert retime.pair_steps(2) == pytest.approx([0.0, 0.4, 0.8])
    # 25 input frames span 24/24 s = 1 s -> 60 intervals + 1 = 61 frames; the last is input 24.
    assert retime.count(25) == 61
    assert retime.emits_last(25)
    assert not retime.emits_last(24)  # position 23 is 57.5 outputs in: no output lands on it


def test_retime_slowdown_drops_frames():
    retime = RetimeSchedule(Fraction(30), 10)  # keep every third input frame
    assert [retime.pair_steps(i) for i in range(6)] == [[0.0], [], [], [0.0], [], []]


def test_retime_ntsc_positions_exact_over_long_clip():
    # 30000/1001 -> 60000/1001 doubles exactly; rounding must not drift after many frames.
    retime = RetimeSchedule(Fraction(30000, 1001), Fraction(60000, 1001))
    assert retime.pair_steps(100_000) == [0.0, 0.5]


def test_factor_and_fps_together_refused():
    with pytest.raises(InputError, match="either factor or fps"):
        make_schedule(3, 60.0, Fraction(30))
    assert isinstance(make_schedule(None, None, Fraction(30)), FactorSchedule)


def test_bad_fps_refused():
    with pytest.raises(InputError, match="fps must be a positive number"):
        make_schedule(None, -5.0, Fraction(30))
