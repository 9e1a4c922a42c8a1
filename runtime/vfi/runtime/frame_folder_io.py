"""Folders of still frames in and out.

Input: every ``.png``, ``.jpg`` or ``.jpeg`` file directly in the folder (other files are
ignored), in natural name order (``frame2.png`` before ``frame10.png``); all must have one size.
Output: ``00000.png``, ``00001.png``, ... (at least five digits; more when the clip needs them).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Iterator

import numpy as np

from vfi.core.errors import InputError

FRAME_SUFFIXES = (".png", ".jpg", ".jpeg")
#: an output folder that holds only files named like this may be replaced by a new output
OUTPUT_NAME = re.compile(r"^\d{5,}\.png$")


def _natural_key(path: Path) -> list:
    return [int(part) if part.isdigit() else part.lower() for part in re.split(r"(\d+)", path.name)]


def list_frames(folder: Path) -> list[Path]:
    """The frame files of `folder` in natural name order."""
    return sorted((p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in FRAME_SUFFIXES), key=_natural_key)


class FrameFolderReader:
    """Reads a folder of frames as RGB uint8 HWC arrays.

    The constructor checks every file's size from its header (cheap; no pixels are decoded), so a
    size mismatch is reported before any work starts.

    Attributes:
        path, files, width, height (pixels), frame_count; fps is None (a folder has no frame rate).
    """

    fps = None
    audio_codec = None

    def __init__(self, folder: str | Path):
        from PIL import Image, UnidentifiedImageError

        self.path = Path(folder)
        self.files = list_frames(self.path)
        if not self.files:
            raise InputError(f"{self.path}: folder holds no {'/'.join(FRAME_SUFFIXES)} frames")
        sizes = []
        for file in self.files:
            try:
                with Image.open(file) as image:
                    sizes.append(image.size)
            except (UnidentifiedImageError, OSError) as exc:
                raise InputError(f"{file}: not a readable image ({exc})") from None
        self.width, self.height = sizes[0]
        for file, size in zip(self.files, sizes):
            if size != sizes[0]:
                raise InputError(
                    f"{file}: frame is {size[0]}x{size[1]} but {self.files[0].name} is {sizes[0][0]}x{sizes[0][1]}; "
                    "all frames of a folder must have one size"
                )
        self.frame_count = len(self.files)

    def __iter__(self) -> Iterator[np.ndarray]:
        from PIL import Image

        for file in self.files:
            with Image.open(file) as image:
                yield np.asarray(image.convert("RGB"))

    def close(self) -> None:
        pass


class FrameFolderWriter:
    """Writes RGB uint8 HWC frames as numbered PNG files into `folder` (created if absent)."""

    def __init__(self, folder: str | Path, digits: int = 5):
        self.path = Path(folder)
        self.path.mkdir(parents=True, exist_ok=True)
        self.digits = digits
        self.frames_written = 0

    def write(self, frame: np.ndarray) -> None:
        from PIL import Image

        # compress_level 1: PNG is lossless at any level; the default 6 costs several times the CPU.
        Image.fromarray(frame).save(self.path / f"{self.frames_written:0{self.digits}d}.png", compress_level=1)
        self.frames_written += 1

    def close(self) -> None:
        pass

    def abort(self) -> None:
        pass


def is_replaceable_output(folder: Path) -> bool:
    """True when `folder` is empty or holds only numbered PNG frames (an earlier output)."""
    return all(p.is_file() and OUTPUT_NAME.match(p.name) for p in folder.iterdir())
