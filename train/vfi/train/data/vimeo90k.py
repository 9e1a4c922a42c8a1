"""Vimeo-90K (Xue et al., 2019): the triplet and septuplet interpolation sets, as distributed.

The layout is `vfi.core.vimeo90k`'s (the same parser evaluation uses).

The triplet set gives middle frames (t = 0.5: img0 = im1, gt = im2, img1 = im3). With
``arbitrary_t=True`` the septuplet set is used: img0 = im1, img1 = im7 and the ground truth im(k+1)
at t = k/6 for k = 1..5 (random k on the train split; every k on the val split). The train split
reads ``*_trainlist.txt``, the val split ``*_testlist.txt``. A model with two context frames on
each side (``context=2``, DBVFI) reads septuplets as im1, im3 | im4 | im5, im7 (t = 0.5).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from vfi.core import vimeo90k
from vfi.core.errors import InputError
from vfi.core.frames import read_image
from vfi.train.data.common import FrameDataset, require_dir


class Vimeo90K(FrameDataset):
    """Vimeo-90K triplets (middle frame) or septuplets (``arbitrary_t``: t = k/6).

    Options: ``layout`` ("triplet" or "septuplet"; default: septuplet when `arbitrary_t`, else
    triplet). Middle-frame training on septuplets uses im1, im4, im7 (t = 0.5, motion x3).
    """

    def __init__(self, root, split="train", crop=256, arbitrary_t=False, seed=0, length=None, layout=None, context=1):
        layout = layout or ("septuplet" if arbitrary_t or context > 1 else "triplet")
        if layout not in vimeo90k.LAYOUTS:
            raise InputError(f"vimeo90k layout must be one of {', '.join(vimeo90k.LAYOUTS)}; got {layout!r}")
        _, window = vimeo90k.LAYOUTS[layout]
        if arbitrary_t and window < 5:
            raise InputError(
                "vimeo90k triplets only hold middle frames (t = 0.5); arbitrary-t training needs the "
                "septuplet set (sep_trainlist.txt, sequences/.../im1..im7.png)"
            )
        if context > 1 and (context > 2 or layout != "septuplet" or arbitrary_t):
            raise InputError(
                f"vimeo90k holds windows for {context} frames on each side only as septuplets with 2 (im1, im3 | im4 | "
                "im5, im7, t = 0.5); use the 'frames' or 'video' kind for longer windows or arbitrary t"
            )
        super().__init__(split, crop, arbitrary_t, seed, window, length, context)
        self.root = require_dir(root, "vimeo90k", vimeo90k.describe(layout))
        entries = vimeo90k.read_sequences(self.root, layout, "train" if split == "train" else "test")
        self.items = [folder for _, folder in entries]
        first_entry, first = entries[0]
        if not first.is_dir():
            raise InputError(
                f"{first}: missing; {vimeo90k.list_path(self.root, layout, 'train' if split == 'train' else 'test').name} "
                f"lists {first_entry!r}, expected the folder sequences/{first_entry}/ with im1.png ... im{window}.png"
            )

    def _where(self, item: Path) -> str:
        return str(item)

    def _frames(self, item: Path, positions: list[int]) -> list[np.ndarray]:
        return [read_image(vimeo90k.frame_path(item, p)) for p in positions]
