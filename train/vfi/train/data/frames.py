"""Folders of frames: windows of consecutive frames as training samples.

`root` is either one folder of frames (one clip) or a folder whose subfolders are clips; frames are
the image files of a clip in natural name order (``frame2`` before ``frame10``). Every clip contributes its windows of `window`
consecutive frames, one every `stride` frames (see `vfi.train.data.common.FrameDataset` for which
frames of a window are the inputs and the target).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from vfi.core.errors import InputError
from vfi.core.frames import IMAGE_SUFFIXES, list_image_files, natural_key, read_image
from vfi.train.data.common import FrameDataset, check_window, default_window, require_dir, windows


class FrameFolders(FrameDataset):
    """Windows of frames from folders of images.

    Options: ``window`` (frames per window; default 3 for middle frames, 7 for arbitrary t, and
    (2 * context - 1) times that interval, plus one, for a model with ``context`` frames on each
    side: 7 / 19 for context 2),
    ``stride`` (frames between window starts; default 1).
    """

    def __init__(self, root, split="train", crop=256, arbitrary_t=False, seed=0, length=None, window=None, stride=1, context=1):
        window = int(window or default_window(arbitrary_t, context))
        check_window(window, stride, arbitrary_t, context)
        super().__init__(split, crop, arbitrary_t, seed, window, length, context)
        self.root = require_dir(root, "frames", "a folder of frames (image files) or a folder of such folders")
        clips = (
            [self.root]
            if list_image_files(self.root)
            else sorted((p for p in self.root.iterdir() if p.is_dir()), key=natural_key)
        )
        self.clips: list[list[Path]] = []
        for clip in clips:
            files = list_image_files(clip)
            if len(files) >= window:
                self.clips.append(files)
        if not self.clips:
            raise InputError(
                f"{self.root}: no clip with at least {window} frames; expected image files "
                f"({', '.join(IMAGE_SUFFIXES)}) in it or in its subfolders"
            )
        self.items = [(c, s) for c, files in enumerate(self.clips) for s in windows(len(files), window, stride)]

    def _where(self, item) -> str:
        clip, start = item
        return f"{self.clips[clip][start].parent} (frames from {self.clips[clip][start].name})"

    def _frames(self, item, positions: list[int]) -> list[np.ndarray]:
        clip, start = item
        return [read_image(self.clips[clip][start + p]) for p in positions]
