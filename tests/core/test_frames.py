"""Frame files: natural order everywhere, one reader with one clear error, exact conversions."""

from __future__ import annotations

import numpy as np
import pytest

from vfi.core.errors import InputError
from vfi.core.frames import list_image_files, natural_key, read_image, to_model_input, to_uint8, to_uint8_hwc, write_png


def test_natural_order_puts_frame2_before_frame10(tmp_path):
    for name in ("frame10.png", "frame2.png", "Frame1.png", "notes.txt", "frame3.JPG"):
        (tmp_path / name).write_bytes(b"")
    assert [p.name for p in list_image_files(tmp_path)] == ["Frame1.png", "frame2.png", "frame3.JPG", "frame10.png"]
    assert sorted(["b10", "b9", "a"], key=natural_key) == ["a", "b9", "b10"]


def test_read_image_round_trip_and_errors(tmp_path):
    frame = np.random.default_rng(0).integers(0, 256, (5, 7, 3), dtype=np.uint8)
    path = write_png(frame, tmp_path / "f.png")
    np.testing.assert_array_equal(read_image(path), frame)
    with pytest.raises(InputError, match="middlebury: .*missing"):
        read_image(tmp_path / "none.png", "middlebury")
    (tmp_path / "bad.png").write_text("not an image")
    with pytest.raises(InputError, match="bad.png: not a readable image"):
        read_image(tmp_path / "bad.png")


def test_model_input_and_back_are_exact_for_uint8():
    frame = np.arange(256, dtype=np.uint8).reshape(8, 32, 1).repeat(3, axis=2)
    tensor = to_model_input(frame)
    assert tensor.shape == (1, 3, 8, 32) and tensor.dtype == np.float32 and tensor.flags.c_contiguous
    np.testing.assert_array_equal(to_uint8_hwc(tensor[0]), frame)
    assert to_uint8(np.array([-0.1, 0.5 / 255, 1.6 / 255, 2.0])).tolist() == [0, 0, 2, 255]
