"""What every dataset kind shares: the sample layout, split handling, windows (image files are
found and read by `vfi.core.frames`, in natural name order, as everywhere else).

A dataset kind only says how many items it has and how to read the frames of one item
(`FrameDataset._frames`); this base class turns them into samples: float32 tensors [3,H,W] in
[0, 1] plus a 0-d timestep, randomly cropped and augmented on the train split, centre-cropped and
never augmented on the val split (a deterministic validation set).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from torch.utils.data import Dataset

from vfi.core.errors import InputError
from vfi.train.augment import Augment, center_crop, crop_size

SPLITS = ("train", "val")


def check_split(split: str) -> str:
    if split not in SPLITS:
        raise InputError(f"dataset split must be one of {', '.join(SPLITS)}; got {split!r}")
    return split


def to_tensor(frame: np.ndarray) -> torch.Tensor:
    """An RGB frame [H,W,3] (uint8, or float in [0, 1]) as a float32 tensor [3,H,W] in [0, 1]."""
    array = np.asarray(frame)
    if array.dtype == np.uint8:
        array = array.astype(np.float32) / 255.0
    return torch.from_numpy(np.ascontiguousarray(array.transpose(2, 0, 1), dtype=np.float32))


def make_sample(img0, img1, gt, t: float) -> dict:
    """The sample dict of three frames (arrays [H,W,3] or tensors [3,H,W]) and a timestep."""
    frames = [f if torch.is_tensor(f) else to_tensor(f) for f in (img0, img1, gt)]
    return {"img0": frames[0], "img1": frames[1], "gt": frames[2], "t": torch.tensor(float(t), dtype=torch.float32)}


def windows(n_frames: int, window: int, stride: int) -> list[int]:
    """Start indices of the `window`-frame windows of a clip of `n_frames`, every `stride` frames."""
    return list(range(0, n_frames - window + 1, stride))


def check_window(window: int, stride: int, arbitrary_t: bool) -> None:
    if window < 3:
        raise InputError(f"a training window needs at least 3 frames (img0, gt, img1); got window={window}")
    if not arbitrary_t and window % 2 == 0:
        raise InputError(f"middle-frame training needs an odd window (3, 5, ...); got window={window}")
    if stride < 1:
        raise InputError(f"window stride must be >= 1; got {stride}")


class FrameDataset(Dataset):
    """Base class: items are windows of frames; each item gives one (img0, img1, gt, t) sample.

    Subclasses set ``self.items`` (any per-item description) and implement
    ``_frames(item, positions) -> list of [H,W,3] uint8 arrays`` for frame positions within the item,
    and ``_where(item)`` (a string naming the item in error messages). An item spans
    ``self.window`` frames: img0 is its first, img1 its last, and the ground truth the frame at
    position k, i.e. t = k / (window - 1). Middle-frame data (``arbitrary_t=False``) always uses the
    middle position; arbitrary-t data draws k uniformly from the interior positions on the train
    split and enumerates every interior position on the val split.
    """

    def __init__(self, split: str, crop, arbitrary_t: bool, seed: int, window: int, length: int | None = None):
        self.split = check_split(split)
        self.crop = crop_size(crop)
        self.arbitrary_t = bool(arbitrary_t)
        self.seed = int(seed)
        self.window = int(window)
        self.length = length
        self.augment = Augment(self.crop, seed=self.seed) if split == "train" else None
        self.items: list = []

    # -- what a kind provides ----------------------------------------------------------------
    def _frames(self, item, positions: list[int]) -> list[np.ndarray]:
        raise NotImplementedError

    def _where(self, item) -> str:
        return str(item)

    # -- the sample -----------------------------------------------------------------------------
    def _interior(self) -> list[int]:
        if not self.arbitrary_t:
            return [(self.window - 1) // 2]
        return list(range(1, self.window - 1))

    def __len__(self) -> int:
        per_item = 1 if self.split == "train" else len(self._interior())
        total = len(self.items) * per_item
        return total if self.length is None else min(total, int(self.length))

    def reseed(self, seed: int) -> None:
        """Restart the augmentation generator (see `vfi.train.augment.seed_worker`)."""
        if self.augment is not None:
            self.augment.reseed(seed)

    def __getitem__(self, index: int) -> dict:
        if not 0 <= index < len(self):
            raise IndexError(index)
        interior = self._interior()
        if self.split == "train":
            item = self.items[index]
            k = interior[int(self.augment.rng.integers(len(interior)))] if len(interior) > 1 else interior[0]
        else:
            item = self.items[index // len(interior)]
            k = interior[index % len(interior)]
        last = self.window - 1
        frame0, gt, frame1 = self._frames(item, [0, k, last])
        if not frame0.shape == gt.shape == frame1.shape:
            raise InputError(
                f"{self._where(item)}: frames differ in size ({frame0.shape[1]}x{frame0.shape[0]}, "
                f"{gt.shape[1]}x{gt.shape[0]}, {frame1.shape[1]}x{frame1.shape[0]}); expected equal sizes"
            )
        if self.crop is not None and (frame0.shape[0] < self.crop[0] or frame0.shape[1] < self.crop[1]):
            raise InputError(
                f"{self._where(item)}: frames are {frame0.shape[1]}x{frame0.shape[0]}, smaller than the crop "
                f"{self.crop[1]}x{self.crop[0]}; pass a smaller crop"
            )
        sample = make_sample(frame0, frame1, gt, k / last)
        if self.augment is not None:
            return self.augment(sample)
        return center_crop(sample, self.crop) if self.crop is not None else sample


def require_dir(root, kind: str, expected: str) -> Path:
    """`root` as an existing directory, else `InputError` saying what `kind` expects there."""
    if root is None:
        raise InputError(f"dataset kind {kind!r} needs a root: {expected}")
    path = Path(root).expanduser()
    if not path.is_dir():
        raise InputError(f"{path}: not a directory; dataset kind {kind!r} expects {expected}")
    return path
