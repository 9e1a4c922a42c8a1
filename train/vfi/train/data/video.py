"""Video files: windows of consecutive decoded frames as training samples (PyAV).

`root` is a video file or a folder of video files (by suffix, `vfi.core.frames.VIDEO_SUFFIXES`;
natural name order). Frames are counted when the dataset is built (by demuxing packets, without decoding) and a
video is decoded in full, to RGB uint8, the first time one of its windows is read; the decoded
frames of the last `cache_videos` videos are kept per process (each data worker has its own
copy), so memory grows with frame size x frame count x `cache_videos`. For long videos, extract
frames once to folders and use the "frames" kind instead.
"""

from __future__ import annotations

from collections import OrderedDict
from pathlib import Path

import numpy as np

from vfi.core.errors import InputError
from vfi.core.frames import VIDEO_SUFFIXES, natural_key
from vfi.core.messages import short_error
from vfi.train.data.common import FrameDataset, check_window, default_window, windows


def _open(path: Path):
    import av

    try:
        container = av.open(str(path))
    except (av.error.FFmpegError, UnicodeDecodeError, ValueError) as exc:
        raise InputError(f"{path}: not a readable video ({short_error(exc)})") from None
    if not container.streams.video:
        container.close()
        raise InputError(f"{path}: has no video stream")
    return container


def count_frames(path: Path) -> int:
    """Frames of the first video stream, counted from its packets (no decoding)."""
    container = _open(path)
    try:
        stream = container.streams.video[0]
        return sum(1 for packet in container.demux(stream) if packet.size)
    finally:
        container.close()


def decode_frames(path: Path) -> list[np.ndarray]:
    """Every frame of the first video stream as RGB uint8 [H,W,3]."""
    import av

    container = _open(path)
    try:
        return [frame.to_ndarray(format="rgb24") for frame in container.decode(video=0)]
    except av.error.FFmpegError as exc:
        raise InputError(f"{path}: decoding failed ({short_error(exc)})") from None
    finally:
        container.close()


class VideoFiles(FrameDataset):
    """Windows of frames from video files.

    Options: ``window`` (frames per window; default 3 for middle frames, 7 for arbitrary t, and
    (2 * context - 1) times that interval, plus one, for a model with ``context`` frames on each
    side: 7 / 19 for context 2),
    ``stride`` (frames between window starts; default 1), ``cache_videos`` (decoded videos kept in
    memory per process; default 2).
    """

    def __init__(
        self,
        root,
        split="train",
        crop=256,
        arbitrary_t=False,
        seed=0,
        length=None,
        window=None,
        stride=1,
        cache_videos=2,
        context=1,
    ):
        window = int(window or default_window(arbitrary_t, context))
        check_window(window, stride, arbitrary_t, context)
        super().__init__(split, crop, arbitrary_t, seed, window, length, context)
        if root is None:
            raise InputError("dataset kind 'video' needs a root: a video file or a folder of video files")
        self.root = Path(root).expanduser()
        if self.root.is_file():
            files = [self.root]
        elif self.root.is_dir():
            files = sorted(
                (p for p in self.root.iterdir() if p.is_file() and p.suffix.lower() in VIDEO_SUFFIXES), key=natural_key
            )
        else:
            raise InputError(
                f"{self.root}: no such file or folder; dataset kind 'video' expects a video file or a folder of them"
            )
        if not files:
            raise InputError(f"{self.root}: no video files ({', '.join(VIDEO_SUFFIXES)}) in this folder")
        self.videos = files
        self.items = []
        for v, path in enumerate(files):
            self.items.extend((v, s) for s in windows(count_frames(path), window, stride))
        if not self.items:
            raise InputError(f"{self.root}: no video has at least {window} frames")
        self.cache_videos = max(1, int(cache_videos))
        self._cache: OrderedDict[int, list[np.ndarray]] = OrderedDict()

    def __getstate__(self):
        # Workers start with an empty cache rather than a pickled copy of decoded frames.
        state = dict(self.__dict__)
        state["_cache"] = OrderedDict()
        return state

    def _where(self, item) -> str:
        video, start = item
        return f"{self.videos[video]} (frames from {start})"

    def _decoded(self, video: int) -> list[np.ndarray]:
        if video in self._cache:
            self._cache.move_to_end(video)
            return self._cache[video]
        frames = decode_frames(self.videos[video])
        self._cache[video] = frames
        while len(self._cache) > self.cache_videos:
            self._cache.popitem(last=False)
        return frames

    def _frames(self, item, positions: list[int]) -> list[np.ndarray]:
        video, start = item
        frames = self._decoded(video)
        last = start + max(positions)
        if last >= len(frames):
            raise InputError(
                f"{self.videos[video]}: decoded {len(frames)} frames but its packets promised more "
                f"(frame {last} needed); re-encode the video"
            )
        return [frames[start + p] for p in positions]
