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


def make_sample(img0, img1, gt, t: float, context: dict | None = None) -> dict:
    """The sample dict of three frames (arrays [H,W,3] or tensors [3,H,W]) and a timestep, plus
    the context frames of a multi-frame model (name -> frame, named as the graph inputs)."""
    frames = {"img0": img0, "img1": img1, "gt": gt, **(context or {})}
    sample = {k: f if torch.is_tensor(f) else to_tensor(f) for k, f in frames.items()}
    sample["t"] = torch.tensor(float(t), dtype=torch.float32)
    return sample


def windows(n_frames: int, window: int, stride: int) -> list[int]:
    """Start indices of the `window`-frame windows of a clip of `n_frames`, every `stride` frames."""
    return list(range(0, n_frames - window + 1, stride))


def default_window(arbitrary_t: bool, context: int = 1) -> int:
    """Frames per window when none is given: img0 and img1 2 frames apart (middle frame) or 6
    apart (arbitrary t, t = k/6), with `context` - 1 more such intervals on each side."""
    gap = 6 if arbitrary_t else 2
    return (2 * int(context) - 1) * gap + 1


def window_gap(window: int, context: int) -> int:
    """Frames between img0 and img1 in a window of `window` frames for a model with `context`
    frames on each side: the window is 2 * context - 1 such intervals."""
    intervals = 2 * int(context) - 1
    return (int(window) - 1) // intervals


def check_window(window: int, stride: int, arbitrary_t: bool, context: int = 1) -> None:
    if window < 3:
        raise InputError(f"a training window needs at least 3 frames (img0, gt, img1); got window={window}")
    intervals = 2 * int(context) - 1
    if context > 1 and ((window - 1) % intervals or window_gap(window, context) < 2):
        raise InputError(
            f"a model with {context} frames on each side needs windows of {intervals} equal intervals of >= 2 frames "
            f"(window = {intervals} * gap + 1, e.g. {default_window(False, context)}); got window={window}"
        )
    if not arbitrary_t and window_gap(window, context) % 2:
        raise InputError(
            f"middle-frame training needs an odd window (3, 5, ...; an even gap between img0 and img1); got window={window}"
        )
    if stride < 1:
        raise InputError(f"window stride must be >= 1; got {stride}")


class FrameDataset(Dataset):
    """Base class: items are windows of frames; each item gives one (img0, img1, gt, t) sample.

    Subclasses set ``self.items`` (any per-item description) and implement
    ``_frames(item, positions) -> list of [H,W,3] uint8 arrays`` for frame positions within the item,
    and ``_where(item)`` (a string naming the item in error messages). An item spans
    ``self.window`` frames: img0 is its first, img1 its last, and the ground truth the frame at
    position k, i.e. t = k / (window - 1) (for a two-frame model; see below). Middle-frame data (``arbitrary_t=False``) always uses the
    middle position; arbitrary-t data draws k uniformly from the interior positions on the train
    split and enumerates every interior position on the val split.

    With ``context`` k > 1 (a model that sees k frames on each side) the window is 2k - 1 equal
    intervals of `window_gap` frames: img0 and img1 bound the middle interval, the ground truth
    lies inside it, and the context frames (``img_m1``, ``img2``, ...) sit whole intervals before
    and after it, e.g. Vimeo-90K septuplets for k = 2: im1, im3 | im4 | im5, im7.
    """

    def __init__(self, split: str, crop, arbitrary_t: bool, seed: int, window: int, length: int | None = None, context: int = 1):
        self.split = check_split(split)
        self.crop = crop_size(crop)
        self.arbitrary_t = bool(arbitrary_t)
        self.seed = int(seed)
        self.window = int(window)
        self.length = length
        self.context = int(context)
        self.gap = window_gap(self.window, self.context)
        self.first = (self.context - 1) * self.gap  # position of img0 in the window
        self.augment = Augment(self.crop, seed=self.seed) if split == "train" else None
        self.items: list = []

    # -- what a kind provides ----------------------------------------------------------------
    def _frames(self, item, positions: list[int]) -> list[np.ndarray]:
        raise NotImplementedError

    def _where(self, item) -> str:
        return str(item)

    # -- the sample -----------------------------------------------------------------------------
    def _interior(self) -> list[int]:
        """Offsets of the possible ground-truth frames from img0 (t = offset / gap)."""
        if not self.arbitrary_t:
            return [self.gap // 2]
        return list(range(1, self.gap))

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
        from vfi.core.graph_spec import context_input_names, context_offsets

        first, gap = self.first, self.gap
        context_positions = [first + offset * gap for offset in context_offsets(self.context)]
        frame0, gt, frame1, *context = self._frames(item, [first, first + k, first + gap, *context_positions])
        if any(f.shape != frame0.shape for f in (gt, frame1, *context)):
            sizes = ", ".join(f"{f.shape[1]}x{f.shape[0]}" for f in (frame0, gt, frame1, *context))
            raise InputError(f"{self._where(item)}: frames differ in size ({sizes}); expected equal sizes")
        if self.crop is not None and (frame0.shape[0] < self.crop[0] or frame0.shape[1] < self.crop[1]):
            raise InputError(
                f"{self._where(item)}: frames are {frame0.shape[1]}x{frame0.shape[0]}, smaller than the crop "
                f"{self.crop[1]}x{self.crop[0]}; pass a smaller crop"
            )
        sample = make_sample(frame0, frame1, gt, k / gap, dict(zip(context_input_names(self.context), context)))
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
