"""The option validators (`vfi.core.options`): valid values come back unchanged, invalid ones are
one `InputError` line naming the parameter. Properties over random floats and integers, nan,
infinities, negatives and huge values included."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vfi.core import options
from vfi.core.errors import InputError

SETTINGS = settings(max_examples=150, deadline=None, database=None)  # no .hypothesis folder in the checkout
any_float = st.floats(allow_nan=True, allow_infinity=True, width=64)
any_int = st.integers(min_value=-(10**30), max_value=10**30)
not_a_number = st.one_of(
    st.text(max_size=5),
    st.booleans(),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=2), st.integers(), max_size=1),
)


def refused(call, parameter: str) -> InputError:
    with pytest.raises(InputError) as info:
        call()
    error = info.value
    message = str(error)
    assert "\n" not in message and message.startswith(parameter), message
    assert parameter in error.parameters
    return error


@SETTINGS
@given(any_float)
def test_positive_accepts_exactly_finite_numbers_above_zero(value):
    if math.isfinite(value) and value > 0:
        assert options.positive(value, "lr") is value
    else:
        refused(lambda: options.positive(value, "lr"), "lr")


@SETTINGS
@given(any_float)
def test_non_negative_and_finite(value):
    if math.isfinite(value) and value >= 0:
        assert options.non_negative(value, "weight_decay") is value
    else:
        refused(lambda: options.non_negative(value, "weight_decay"), "weight_decay")
    if math.isfinite(value):
        assert options.finite(value, "x") is value
    else:
        refused(lambda: options.finite(value, "x"), "x")


@SETTINGS
@given(any_float)
def test_scene_threshold_is_a_distance_in_0_1(value):
    if math.isfinite(value) and 0 <= value <= 1:
        assert options.scene_threshold(value) is value
    else:
        error = refused(lambda: options.scene_threshold(value), "scene_threshold")
        assert "[0, 1]" in str(error)


@SETTINGS
@given(any_float)
def test_fps_and_input_fps_refuse_zero_negative_nan_and_inf(value):
    for validator, name in ((options.output_fps, "fps"), (options.input_fps, "input_fps")):
        if math.isfinite(value) and value > 0:
            assert validator(value) is value
        else:
            refused(lambda validator=validator: validator(value), name)


def test_input_fps_zero_is_refused_not_taken_for_unset():
    refused(lambda: options.input_fps(0.0), "input_fps")
    refused(lambda: options.input_fps(0), "input_fps")
    assert options.input_fps(None) is None


@SETTINGS
@given(any_int, st.integers(-5, 5), st.integers(-5, 100))
def test_integer_in_bounds(value, low, span):
    high = low + span
    if span >= 0 and low <= value <= high:
        assert options.integer(value, "crf", low, high) is value
    else:
        refused(lambda: options.integer(value, "crf", low, high), "crf")


@SETTINGS
@given(any_float)
def test_integer_refuses_floats_even_whole_ones(value):
    refused(lambda: options.integer(value, "steps", 1), "steps")


@SETTINGS
@given(not_a_number)
def test_every_validator_refuses_non_numbers(value):
    for call in (
        lambda: options.positive(value, "p"),
        lambda: options.finite(value, "p"),
        lambda: options.in_range(value, "p", 0, 1),
        lambda: options.integer(value, "p"),
        lambda: options.batch(value, "p"),
    ):
        refused(call, "p")


@SETTINGS
@given(any_int, any_int, st.one_of(st.none(), any_int))
def test_frame_size_limits(height, width, batch):
    ok = 1 <= height <= options.MAX_SIDE and 1 <= width <= options.MAX_SIDE
    ok = ok and (batch is None or 1 <= batch <= options.MAX_BATCH)
    if ok:
        options.frame_size(height, width, "shape", batch)
    else:
        refused(lambda: options.frame_size(height, width, "shape", batch), "shape")


def test_none_passes_through_as_not_given():
    for validator in (options.positive, options.finite, options.non_negative, options.count, options.batch):
        assert validator(None, "p") is None


def test_stated_limits_are_the_graph_specs():
    from vfi.core.graph_spec import MAX_DYNAMIC_BATCH, MAX_DYNAMIC_SIZE

    assert (options.MAX_SIDE, options.MAX_BATCH) == (MAX_DYNAMIC_SIZE, MAX_DYNAMIC_BATCH)


def test_cli_renders_the_parameter_as_the_flag():
    error = refused(lambda: options.input_fps(0.0), "input_fps")
    assert error.rendered({"input_fps": "--input-fps"}).startswith("--input-fps must be a finite number > 0")
