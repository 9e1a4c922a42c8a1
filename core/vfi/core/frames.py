"""Frames as the toolkit exchanges them, and the one way image files are found and read.

* On disk: image files (`IMAGE_SUFFIXES`) in **natural name order** everywhere (``frame2.png``
  before ``frame10.png``): frame folders of `vfi interpolate`, training clips, triplet datasets.
* In memory, decoded: RGB uint8 [H, W, 3].
* Into a model: float32 [1, 3, H, W] in [0, 1] (`to_model_input`), and back with `to_uint8_hwc`
  (rounded to nearest, clipped).

`read_image` is the one image reader: it raises `InputError` naming the file.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from vfi.core.errors import InputError

#: still-image files a frame folder or dataset may hold (case-insensitive)
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp")
#: video files recognised when a folder is scanned for videos (case-insensitive)
VIDEO_SUFFIXES = (".mp4", ".mkv", ".avi", ".mov", ".m4v", ".webm")


def natural_key(path: Path | str) -> list:
    """Sort key that orders digit runs by value: ``frame2`` before ``frame10``; case-insensitive."""
    name = Path(path).name
    return [int(part) if part.isdigit() else part.lower() for part in re.split(r"(\d+)", name)]


def list_image_files(folder: Path | str) -> list[Path]:
    """The image files directly in `folder` (other files are ignored), in natural name order."""
    folder = Path(folder)
    return sorted((p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES), key=natural_key)


def read_image(path: Path | str, what: str | None = None) -> np.ndarray:
    """An image file as RGB uint8 [H, W, 3].

    Args:
        what: who reads it, put in front of the message ("middlebury"), or None.

    Raises:
        InputError: the file is missing or is not a readable image (the message names it).
    """
    from PIL import Image, UnidentifiedImageError

    prefix = f"{what}: " if what else ""
    try:
        with Image.open(path) as image:
            return np.asarray(image.convert("RGB"))
    except FileNotFoundError:
        raise InputError(f"{prefix}{path}: image file is missing") from None
    except (UnidentifiedImageError, OSError) as exc:
        raise InputError(f"{prefix}{path}: not a readable image ({exc})") from None


def image_size(path: Path | str) -> tuple[int, int]:
    """(width, height) of an image file from its header, without decoding pixels."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as image:
            return image.size
    except (UnidentifiedImageError, OSError) as exc:
        raise InputError(f"{path}: not a readable image ({exc})") from None


def write_png(frame: np.ndarray, path: Path | str, compress_level: int = 1) -> Path:
    """Write an RGB uint8 [H, W, 3] frame as a PNG (lossless at any level; 1 is fastest)."""
    from PIL import Image

    Image.fromarray(frame).save(path, compress_level=compress_level)
    return Path(path)


def write_png_folder(frames, folder: Path | str) -> Path:
    """Write uint8 frames as ``00000.png``, ``00001.png``, ... into `folder` (created)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for index, frame in enumerate(frames):
        write_png(frame, folder / f"{index:05d}.png")
    return folder


def to_model_input(frame: np.ndarray) -> np.ndarray:
    """RGB uint8 [H, W, 3] -> float32 [1, 3, H, W] in [0, 1], C-contiguous (engines and compiled
    packages read the buffer as laid out NCHW)."""
    return np.ascontiguousarray(frame.transpose(2, 0, 1)[None], dtype=np.float32) / np.float32(255.0)


def to_uint8(frame: np.ndarray) -> np.ndarray:
    """A float frame in [0, 1] (any layout) rounded to the nearest uint8 on 0..255, clipped.

    The arithmetic keeps the input's float type (float32 frames are rounded in float32)."""
    array = np.asarray(frame)
    if not np.issubdtype(array.dtype, np.floating):
        array = array.astype(np.float64)
    return np.clip(np.rint(array * 255.0), 0, 255).astype(np.uint8)


def to_uint8_hwc(frame: np.ndarray) -> np.ndarray:
    """float [3, H, W] in [0, 1] -> RGB uint8 [H, W, 3], rounded to nearest (see `to_uint8`)."""
    return np.ascontiguousarray(to_uint8(frame).transpose(1, 2, 0))
