"""Training and validation data: `build_dataset(kind, ...)` gives a `torch.utils.data.Dataset`.

Every dataset yields samples ``{"img0", "img1", "gt": float32 [3,H,W] in [0, 1], "t": float32 0-d}``,
which the default collate batches to [N,3,H,W] and [N]. Kinds:

    synthetic   procedural photographs moving as sprites (no files; `length` samples)
    vimeo90k    Vimeo-90K triplets, or septuplets for arbitrary t (root = the dataset folder)
    video       windows of frames decoded from video files (root = a file or a folder of them)
    frames      windows of frames from folders of images (root = a clip folder or a folder of them)

``split="train"`` crops at random and augments (`vfi.train.augment`); ``split="val"`` takes
centre crops and no random choice at all, so it is the same set in every run. For reproducible
training with worker processes use `vfi.train.augment.seed_worker` (see that module).
"""

from __future__ import annotations

from torch.utils.data import Dataset

from vfi.core.errors import InputError
from vfi.core.lazy import LazyRegistry

#: kind -> "module:Class"
KINDS = LazyRegistry(
    "dataset kind",
    {
        "synthetic": "vfi.train.data.synthetic:SyntheticMotion",
        "vimeo90k": "vfi.train.data.vimeo90k:Vimeo90K",
        "video": "vfi.train.data.video:VideoFiles",
        "frames": "vfi.train.data.frames:FrameFolders",
    },
    parameter="kind",
)


def build_dataset(
    kind: str,
    root: str | None = None,
    split: str = "train",
    crop: int | tuple[int, int] | None = 256,
    arbitrary_t: bool = False,
    seed: int = 0,
    length: int | None = None,
    **options,
) -> Dataset:
    """A dataset of interpolation samples.

    Args:
        kind: one of `KINDS` ("synthetic", "vimeo90k", "video", "frames").
        root: where the data lies (ignored by "synthetic"); see each kind's module.
        split: "train" (random crops, augmentation, random t for arbitrary-t data) or "val"
            (deterministic: centre crops, fixed targets).
        crop: crop size in pixels, an int (square) or (height, width); None keeps whole frames
            (all frames of a data set must then have one size to batch). For "synthetic" it is
            the rendered size.
        arbitrary_t: targets at any t (septuplets / wider windows / random t) rather than t = 0.5.
        seed: seeds the augmentation generator (train) and the synthetic scenes.
        length: number of samples (synthetic; default 10,000), or a cap for the file-based kinds.
        options: kind-specific options (e.g. ``window``, ``stride``, ``max_motion``, ``layout``).

    Raises:
        InputError: unknown kind or option, or a missing / malformed root (the message names the
            file and what was expected).
    """
    import inspect

    cls = KINDS.load(kind)
    common = dict(split=split, crop=crop, arbitrary_t=arbitrary_t, seed=seed, length=length)
    if kind != "synthetic":
        common["root"] = root
    accepted = set(inspect.signature(cls).parameters) - set(common)
    unknown = sorted(set(options) - accepted)
    if unknown:
        raise InputError(
            f"unknown option(s) {', '.join(unknown)} for dataset kind {kind!r}; it accepts: {', '.join(sorted(accepted))}"
        )
    return cls(**common, **options)


__all__ = ["KINDS", "build_dataset"]
