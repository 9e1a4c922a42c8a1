"""Drop-frame protocol on a video file (`vfi.benchmarks.datasets.drop_frame`): keep the even
frames, predict each odd frame 2j+1 from frames 2j and 2j+2 (t = 0.5), score it against the real
frame 2j+1; a model with context frames also gets the neighbouring kept frames.

Frames are decoded in a stream (a window at a time in memory). A video with fewer than three
frames has no sample. Lossy input codecs score the model against decoded frames, as they are.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from vfi.benchmarks.datasets.base import Dataset, Triplet
from vfi.benchmarks.datasets.drop_frame import drop_frame_triplets
from vfi.core.errors import InputError

LAYOUT = "a video file (odd frames are dropped and predicted from their even neighbours)"


def open_video(root: Path, split: str | None, context: int = 1) -> Dataset:
    from vfi.runtime.video_io import VideoReader

    if split is not None:
        raise InputError(f"video has no splits; drop split {split}", "split")
    if root.is_dir():
        raise InputError(f"video: {root} is a folder; root must be a video file for the video dataset", "root")
    with VideoReader(root) as reader:  # checks that it decodes and has a video stream
        frames = reader.frame_count
    if frames is not None and frames < 3:
        raise InputError(f"video: {root} has {frames} frames; the drop-frame protocol needs at least 3")
    count = None if frames is None else (frames - 1) // 2

    def iterate(limit: int | None) -> Iterator[Triplet]:
        with VideoReader(root) as reader:
            yield from drop_frame_triplets(reader, context, limit)

    return Dataset("video", root, None, LAYOUT, count, iterate)
