"""Folders of still frames in and out.

Input: every image file directly in the folder (`vfi.core.frames.IMAGE_SUFFIXES`; other files are
ignored), in natural name order (``frame2.png`` before ``frame10.png``); all must have one size.
Frames keep their depth and alpha: if any file is 16-bit (16-bit RGB or grayscale PNG) all frames
are read as RGB uint16, if any has alpha all are RGBA. A folder has no timestamps: frames are shown
at a constant rate (``--input-fps``, default 25).
Output: ``00000.png``, ``00001.png``, ... (at least five digits; more when the clip needs them),
8-bit or 16-bit as the frames come, RGBA when they carry alpha.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from vfi.core.errors import InputError
from vfi.core.frames import IMAGE_SUFFIXES, convert_frame, image_format, image_size, list_image_files, read_image, write_png

#: an output folder that holds only files named like this may be replaced by a new output
OUTPUT_FRAME_FILE = re.compile(r"^\d{5,}\.png$")


class FrameFolderReader:
    """Reads a folder of frames as RGB(A) uint8 or uint16 HWC arrays (see the module docstring).

    The constructor checks every file's size and depth from its header (cheap; no pixels are
    decoded), so a size mismatch is reported before any work starts.

    Attributes:
        path, files, width, height (pixels), frame_count; bits (8 or 16), dtype, has_alpha;
        fps is None (a folder has no frame rate) and frames carry no timestamps.
    """

    fps = None
    audio_codec = None
    time_base = None
    start_time = 0
    variable_rate = False
    color = None
    display_matrix = None

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
        formats = [image_format(file) for file in self.files]
        self.bits = max(bits for bits, _ in formats)
        self.has_alpha = any(alpha for _, alpha in formats)
        self.dtype = np.dtype(np.uint16 if self.bits > 8 else np.uint8)

    def __iter__(self) -> Iterator[np.ndarray]:
        channels = 4 if self.has_alpha else 3
        for file in self.files:
            yield convert_frame(read_image(file, keep_depth=True), self.dtype, channels)

    def close(self) -> None:
        pass


class FrameFolderWriter:
    """Writes RGB(A) uint8 or uint16 HWC frames as numbered 8- or 16-bit PNG files into `folder`
    (created if absent). Frame times are not stored (a folder has none)."""

    def __init__(self, folder: str | Path, digits: int = 5):
        self.path = Path(folder)
        self.path.mkdir(parents=True, exist_ok=True)
        self.digits = digits
        self.frames_written = 0

    def write(self, frame: np.ndarray, time=None) -> None:
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
