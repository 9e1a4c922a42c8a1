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


def test_uint16_frames_to_the_model_and_back():
    from vfi.core.frames import to_hwc

    frame = np.arange(0, 65536, 257 // 2, dtype=np.uint16)[: 8 * 32].reshape(8, 32, 1).repeat(3, axis=2)
    tensor = to_model_input(frame)
    assert tensor.dtype == np.float32 and float(tensor.max()) <= 1.0
    back = to_hwc(tensor[0], np.uint16)
    assert back.dtype == np.uint16
    np.testing.assert_array_equal(back, frame)
    # RGBA: the model sees RGB only.
    rgba = np.concatenate([frame, np.full((8, 32, 1), 7, np.uint16)], axis=2)
    np.testing.assert_array_equal(to_model_input(rgba), tensor)
    np.testing.assert_array_equal(to_hwc(tensor[0], np.uint8), to_uint8_hwc(tensor[0]))


@pytest.mark.parametrize("channels", [3, 4])
@pytest.mark.parametrize("dtype", [np.uint8, np.uint16])
def test_png_keeps_depth_and_alpha(tmp_path, dtype, channels):
    from vfi.core.frames import image_format

    top = np.iinfo(dtype).max
    frame = np.random.default_rng(1).integers(0, top + 1, (5, 7, channels), dtype=dtype)
    path = write_png(frame, tmp_path / "f.png")
    np.testing.assert_array_equal(read_image(path, keep_depth=True), frame)
    assert image_format(path) == (8 * np.dtype(dtype).itemsize, channels == 4)
    # The default stays RGB uint8 for every reader that wants that.
    plain = read_image(path)
    assert plain.dtype == np.uint8 and plain.shape == (5, 7, 3)


def test_convert_frame_depth_and_channels():
    from vfi.core.frames import convert_frame

    frame = np.array([[[0, 128, 255]]], np.uint8)
    deep = convert_frame(frame, np.uint16, 4)
    assert deep.tolist() == [[[0, 128 * 257, 65535, 65535]]]
    np.testing.assert_array_equal(convert_frame(deep, np.uint8, 3), frame)


def test_images_over_the_pixel_limit_are_refused_unread(tmp_path, monkeypatch):
    from PIL import Image

    import vfi.core.frames as frames_module
    from vfi.core.frames import image_size, set_max_image_pixels

    path = tmp_path / "big.png"
    Image.fromarray(np.zeros((64, 80, 3), np.uint8)).save(path)
    monkeypatch.setattr(frames_module, "MAX_IMAGE_PIXELS", 64 * 80 - 1)
    for read in (read_image, image_size):
        with pytest.raises(InputError, match="more than 5,119 pixels") as info:
            read(path)
        assert info.value.parameters == ("max_image_pixels",)
    set_max_image_pixels(64 * 80)  # monkeypatch restores the module's limit afterwards
    assert read_image(path).shape == (64, 80, 3)
    with pytest.raises(InputError, match="positive integer"):
        set_max_image_pixels(0)


def test_an_unreadable_folder_is_one_line(tmp_path, monkeypatch):
    from pathlib import Path

    from vfi.core.frames import list_image_files

    def denied(self):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(Path, "iterdir", denied)
    with pytest.raises(InputError, match="cannot read the folder \\(Permission denied\\)"):
        list_image_files(tmp_path)
