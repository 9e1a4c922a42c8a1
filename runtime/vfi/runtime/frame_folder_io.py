"""Folders of still frames in and out.

Input: every image file directly in the folder (`vfi.core.frames.IMAGE_SUFFIXES`; other files are
ignored), in natural name order (``frame2.png`` before ``frame10.png``); all must have one size.
Output: ``00000.png``, ``00001.png``, ... (at least five digits; more when the clip needs them).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from vfi.core.errors import InputError
from vfi.core.frames import IMAGE_SUFFIXES, image_size, list_image_files, read_image, write_png

#: an output folder that holds only files named like this may be replaced by a new output
OUTPUT_FRAME_FILE = re.compile(r"^\d{5,}\.png$")


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
        self.path = Path(folder)
        self.files = list_image_files(self.path)
        if not self.files:
            raise InputError(f"{self.path}: folder holds no {'/'.join(IMAGE_SUFFIXES)} frames")
        sizes = [image_size(file) for file in self.files]
        self.width, self.height = sizes[0]
        for file, size in zip(self.files, sizes):
            if size != sizes[0]:
                raise InputError(
                    f"{file}: frame is {size[0]}x{size[1]} but {self.files[0].name} is {sizes[0][0]}x{sizes[0][1]}; "
                    "all frames of a folder must have one size"
                )
        self.frame_count = len(self.files)

    def __iter__(self) -> Iterator[np.ndarray]:
        for file in self.files:
            yield read_image(file)

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
        # compress_level 1: PNG is lossless at any level; the default 6 costs several times the CPU.
        write_png(frame, self.path / f"{self.frames_written:0{self.digits}d}.png", compress_level=1)
        self.frames_written += 1

    def close(self) -> None:
        pass

    def abort(self) -> None:
        pass


def is_replaceable_output(folder: Path) -> bool:
    """True when `folder` is empty or holds only numbered PNG frames (an earlier output)."""
    return all(p.is_file() and OUTPUT_FRAME_FILE.match(p.name) for p in folder.iterdir())
