"""Which reader and writer a path gets: videos by suffix, frame folders by being folders.

Input: an existing folder is a frame folder (`frame_folder_io`); a file is opened as a video.
Output: a path with a video suffix (``.mp4 .mov .m4v``: H.264; ``.mkv .avi``: lossless FFV1;
``--codec hevc``: 10-bit H.265, see `video_io`) is a video file; an existing folder or a path
without suffix is a PNG frame folder (8- or 16-bit, RGBA when the frames have alpha).
"""

from __future__ import annotations

import logging
from pathlib import Path

from vfi.core.errors import InputError
from vfi.runtime.defaults import DEFAULT_CRF
from vfi.runtime.frame_folder_io import FrameFolderReader, FrameFolderWriter, is_replaceable_output
from vfi.runtime.video_io import OUTPUT_VIDEO_FORMATS, VideoReader, VideoWriter, check_codec

log = logging.getLogger("vfi.runtime")

#: smallest frame side (pixels) the pipeline accepts; the models' pyramids need a few levels
MIN_SIZE = 32


def open_reader(path: str | Path):
    """A `VideoReader` or `FrameFolderReader` for `path`; `InputError` if it cannot be read."""
    path = Path(path)
    if not path.exists():
        raise InputError(f"input not found: {path}")
    reader = FrameFolderReader(path) if path.is_dir() else VideoReader(path, keep_depth=True)
    if reader.width < MIN_SIZE or reader.height < MIN_SIZE:
        reader.close()
        raise InputError(f"{path}: frames are {reader.width}x{reader.height}; interpolation needs at least {MIN_SIZE}x{MIN_SIZE}")
    if reader.frame_count is not None and reader.frame_count < 2:
        reader.close()
        raise InputError(f"{path}: has {reader.frame_count} frame; interpolation needs at least two")
    return reader


def output_is_folder(path: str | Path) -> bool:
    """True when `path` names a frame-folder output; `InputError` for an unknown suffix."""
    path = Path(path)
    if path.is_dir() or not path.suffix:
        return True
    if path.suffix.lower() in OUTPUT_VIDEO_FORMATS:
        return False
    raise InputError(
        f"output {path}: unknown suffix {path.suffix!r}; use {', '.join(sorted(OUTPUT_VIDEO_FORMATS))} or a folder name"
    )


def check_output(output: str | Path, input_path: str | Path, codec: str | None = None) -> bool:
    """Validate the output path (and `--codec` for it) before any work; returns
    `output_is_folder(output)`.

    An existing output file is overwritten. An existing folder is replaced only when it holds
    nothing but numbered PNG frames (an earlier output); anything else is refused so that a typo
    cannot delete a folder of other files.
    """
    output, input_path = Path(output), Path(input_path)
    if output.resolve() == input_path.resolve():
        raise InputError(f"output {output} is the input; choose another output path")
    is_folder = output_is_folder(output)
    if is_folder and codec is not None:
        raise InputError(f"--codec {codec} applies to video outputs; a frame folder is always PNG", "codec")
    if not is_folder:
        check_codec(codec, output.suffix)
    if output.exists():
        if is_folder and not output.is_dir():
            raise InputError(f"output {output} is an existing file; a frame-folder output must be a folder")
        if not is_folder and output.is_dir():
            raise InputError(f"output {output} is an existing folder; choose a file name")
        if is_folder and not is_replaceable_output(output):
            raise InputError(f"output folder {output} holds files other than numbered .png frames; choose an empty or new folder")
    from vfi.core.atomic import check_writable

    check_writable(output, is_folder)  # read-only folders, /proc, a file used as a folder: before any model loads
    return is_folder


def open_writer(
    path: Path,
    is_folder: bool,
    suffix: str,
    fps,
    width: int,
    height: int,
    crf: int = DEFAULT_CRF,
    audio_from=None,
    codec: str | None = None,
    bits: int = 8,
    alpha: bool = False,
    color=None,
    display_matrix=None,
    time_base=None,
):
    """A `FrameFolderWriter` or `VideoWriter` writing to `path` (the codec follows `suffix`, or
    `codec`); the other arguments are `VideoWriter`'s."""
    if is_folder:
        if codec is not None:
            raise InputError(f"--codec {codec} applies to video outputs; a frame folder is always PNG", "codec")
        if display_matrix:
            log.warning("the input's display matrix (rotation) cannot be stored in PNG frames; they are written unrotated")
        return FrameFolderWriter(path)
    return VideoWriter(
        path,
        fps,
        width,
        height,
        suffix=suffix,
        crf=crf,
        audio_from=audio_from,
        codec=codec,
        bits=bits,
        alpha=alpha,
        color=color,
        display_matrix=display_matrix,
        time_base=time_base,
    )
