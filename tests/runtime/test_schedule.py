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
    assert [retime.pair_steps(i, Fraction(25)) for i in range(4)] == [[0.0, 0.5]] * 4
    # The output covers the last frame's duration too: 5 frames at 25 fps are 0.2 s = 10 outputs.
    assert retime.count(5, Fraction(25)) == 10


def test_retime_24_to_60():
    # 60/24 = 2.5 outputs per input: positions n * 0.4.
    retime = RetimeSchedule(Fraction(24), 60)
    fps = Fraction(24)
    assert retime.pair_steps(0, fps) == pytest.approx([0.0, 0.4, 0.8])
    assert retime.pair_steps(1, fps) == pytest.approx([0.2, 0.6])
    assert retime.pair_steps(2, fps) == pytest.approx([0.0, 0.4, 0.8])
    # 25 input frames last 25/24 s -> 62.5 output intervals -> 63 outputs; the last at 62/60 s
    # lies after the last frame's time (1 s) and repeats it.
    assert retime.count(25, fps) == 63
    assert retime.tail(Fraction(1), Fraction(25, 24)) == [Fraction(1), Fraction(61, 60), Fraction(62, 60)]


def test_retime_slowdown_drops_frames():
    retime = RetimeSchedule(Fraction(30), 10)  # keep every third input frame
    assert [retime.pair_steps(i, Fraction(30)) for i in range(6)] == [[0.0], [], [], [0.0], [], []]


def test_retime_ntsc_positions_exact_over_long_clip():
    # 30000/1001 -> 60000/1001 doubles exactly; rounding must not drift after many frames.
    fps = Fraction(30000, 1001)
    retime = RetimeSchedule(fps, Fraction(60000, 1001))
    assert retime.pair_steps(100_000, fps) == [0.0, 0.5]


def test_factor_outputs_follow_each_pairs_real_interval():
    schedule = FactorSchedule(4)
    # A 40 ms pair, then a 100 ms one (variable rate): the fractions stay j/4, the times follow.
    assert schedule.pair_outputs(0, Fraction(0), Fraction(40, 1000)) == [
        (0.0, Fraction(0)),
        (0.25, Fraction(10, 1000)),
        (0.5, Fraction(20, 1000)),
        (0.75, Fraction(30, 1000)),
    ]
    assert [time for _, time in schedule.pair_outputs(1, Fraction(40, 1000), Fraction(140, 1000))] == [
        Fraction(40, 1000),
        Fraction(65, 1000),
        Fraction(90, 1000),
        Fraction(115, 1000),
    ]
    assert schedule.tail(Fraction(140, 1000), Fraction(180, 1000)) == [Fraction(140, 1000)]


def test_retime_follows_timestamps_with_a_gap():
    # Frames at 0, 0.1, 0.2, then a gap to 0.5 s; 20 fps output: every 50 ms.
    retime = RetimeSchedule(Fraction(10), 20)
    times = [Fraction(0), Fraction(1, 10), Fraction(2, 10), Fraction(5, 10)]
    outputs = [retime.pair_outputs(i, a, b) for i, (a, b) in enumerate(zip(times, times[1:]))]
    assert [[t for t, _ in pair] for pair in outputs] == [[0.0, 0.5], [0.0, 0.5], [0.0, 1 / 6, 2 / 6, 0.5, 4 / 6, 5 / 6]]
    assert [time for pair in outputs for _, time in pair] == [Fraction(n, 20) for n in range(10)]
    # The last frame (0.5 s, shown 0.1 s) gets the outputs at 0.5 and 0.55 s.
    assert retime.tail(Fraction(5, 10), Fraction(6, 10)) == [Fraction(10, 20), Fraction(11, 20)]


def test_retime_counts_from_the_first_frames_time():
    retime = RetimeSchedule(Fraction(25), 50, origin=Fraction(1, 3))
    assert retime.pair_outputs(0, Fraction(1, 3), Fraction(1, 3) + Fraction(1, 25)) == [
        (0.0, Fraction(1, 3)),
        (0.5, Fraction(1, 3) + Fraction(1, 50)),
    ]


def test_time_bases_hold_every_output_time():
    # 24000/1001 in a 1/24000 stream, doubled: ticks of 1/48000 s.
    assert FactorSchedule(2).time_base(Fraction(1, 24000), Fraction(24000, 1001)) == Fraction(1, 48000)
    # Matroska's milliseconds and an NTSC grid: both are multiples of 1/24000, then halved.
    assert FactorSchedule(2).time_base(Fraction(1, 1000), Fraction(24000, 1001)) == Fraction(1, 48000)
    assert FactorSchedule(3).time_base(None, Fraction(25)) == Fraction(1, 75)
    assert RetimeSchedule(Fraction(25), 60).time_base(None, Fraction(25)) == Fraction(1, 60)
    assert RetimeSchedule(Fraction(25), 60, Fraction(1, 25)).time_base(None, Fraction(25), Fraction(1, 25)) == Fraction(1, 300)


def test_factor_and_fps_together_refused():
    with pytest.raises(InputError, match="either factor or fps"):
        make_schedule(3, 60.0, Fraction(30))
    assert isinstance(make_schedule(None, None, Fraction(30)), FactorSchedule)


def test_bad_fps_refused():
    with pytest.raises(InputError, match="fps must be a finite number > 0"):
        make_schedule(None, -5.0, Fraction(30))
