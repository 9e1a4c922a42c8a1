"""Training-time augmentation of interpolation samples, and reproducible seeding of data workers.

A sample is a dict with ``img0``, ``img1``, ``gt`` (float32 tensors [3,H,W] in [0, 1]) and ``t``
(a float32 0-d tensor), plus the context frames of a multi-frame model (``img_m1``, ``img2``, ...;
`vfi.core.graph_spec.context_input_names`). Every augmentation here maps a valid sample to a valid
sample of the same scene: flips and channel permutations act on all frames alike, and temporal
reversal swaps the inputs and maps t to 1 - t (the frame at t between I0 and I1 is the frame at
1 - t between I1 and I0), and mirrors the context (I_-1 <-> I_2, I_-2 <-> I_3). Validation
samples are never augmented.

Randomness comes from a `numpy.random.Generator` owned by the dataset's `Augment`, never from the
global NumPy or Python state, so a run is reproducible:

* with ``num_workers=0`` the generator is seeded from the dataset's ``seed``;
* with worker processes, pass ``worker_init_fn=seed_worker`` and a seeded ``generator=`` to the
  `DataLoader`. PyTorch gives worker k the seed ``base_seed + k``, where ``base_seed`` is drawn from
  that generator once per epoch (per iterator); `seed_worker` reseeds the worker's copy of the
  dataset (its `reseed` method) and NumPy's and Python's global generators from it. The sequence of
  augmentations is then a function of the loader's seed, the epoch and the number of workers.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

import numpy as np
import torch

FRAME_KEYS = ("img0", "img1", "gt")


def frame_keys(sample: dict) -> list[str]:
    """The frame entries of `sample`: img0, img1, gt and whichever context frames it holds."""
    from vfi.core.graph_spec import MAX_CONTEXT, context_input_names

    return [*FRAME_KEYS, *(k for k in context_input_names(MAX_CONTEXT) if k in sample)]


def crop(sample: dict, top: int, left: int, height: int, width: int) -> dict:
    """The [top:top+height, left:left+width] window of every frame of `sample`."""
    out = dict(sample)
    for key in frame_keys(sample):
        out[key] = sample[key][..., top : top + height, left : left + width]
    return out


def crop_size(size) -> tuple[int, int] | None:
    """`size` (an int, an (height, width) pair, or None for no crop) as (height, width) or None."""
    if size is None:
        return None
    if isinstance(size, int):
        return (size, size)
    height, width = size
    return (int(height), int(width))


def random_crop(sample: dict, size, rng: np.random.Generator) -> dict:
    """A crop of `size` at a uniformly random position (the same for all frames)."""
    height, width = crop_size(size)
    h, w = sample["gt"].shape[-2:]
    top = int(rng.integers(0, h - height + 1))
    left = int(rng.integers(0, w - width + 1))
    return crop(sample, top, left, height, width)


def center_crop(sample: dict, size) -> dict:
    """The central crop of `size` (deterministic: validation)."""
    height, width = crop_size(size)
    h, w = sample["gt"].shape[-2:]
    return crop(sample, (h - height) // 2, (w - width) // 2, height, width)


def flip_horizontal(sample: dict) -> dict:
    """Mirror left-right (motion's x component changes sign; t is unchanged)."""
    return {**sample, **{k: torch.flip(sample[k], dims=(-1,)) for k in frame_keys(sample)}}


def flip_vertical(sample: dict) -> dict:
    """Mirror top-bottom."""
    return {**sample, **{k: torch.flip(sample[k], dims=(-2,)) for k in frame_keys(sample)}}


def reverse_time(sample: dict) -> dict:
    """Play the clip backwards: swap img0 and img1, t -> 1 - t, and the frame at offset o from
    I_0 becomes the one at 1 - o (img_m1 <-> img2, img_m2 <-> img3)."""
    from vfi.core.graph_spec import MAX_CONTEXT, context_input_names, context_offsets

    out = dict(sample)
    out["img0"], out["img1"] = sample["img1"], sample["img0"]
    out["t"] = (1.0 - sample["t"]).to(sample["t"].dtype)
    name_of = dict(zip(context_offsets(MAX_CONTEXT), context_input_names(MAX_CONTEXT)))
    for offset, name in name_of.items():
        if name in sample:
            out[name] = sample[name_of[1 - offset]]
    return out


def permute_channels(sample: dict, order) -> dict:
    """Reorder the colour channels of every frame by `order` (a permutation of 0, 1, 2)."""
    index = torch.as_tensor(list(order), dtype=torch.long)
    return {**sample, **{k: sample[k].index_select(-3, index) for k in frame_keys(sample)}}


@dataclass
class AugmentConfig:
    """Probabilities of each augmentation (train split only).

    Attributes:
        hflip, vflip: probability of a horizontal / vertical flip.
        reverse: probability of temporal reversal.
        channel_permute: probability of a random permutation of the RGB channels.
    """

    hflip: float = 0.5
    vflip: float = 0.5
    reverse: float = 0.5
    channel_permute: float = 0.5


class Augment:
    """Random crop + flips + temporal reversal + channel permutation, from its own generator.

    `__call__(sample)` crops to `size` (None: keep the full frame) and applies each augmentation of
    `config` with its probability. The random timestep of arbitrary-t data is drawn by the dataset
    (it decides which ground-truth frame to load) from the same generator, `self.rng`.
    """

    def __init__(self, size, seed: int = 0, config: AugmentConfig | None = None):
        self.size = crop_size(size)
        self.config = config or AugmentConfig()
        self.rng = np.random.default_rng(seed)

    def reseed(self, seed: int) -> None:
        """Restart the generator from `seed` (called in each data worker by `seed_worker`)."""
        self.rng = np.random.default_rng(seed)

    def __call__(self, sample: dict) -> dict:
        rng, cfg = self.rng, self.config
        if self.size is not None:
            sample = random_crop(sample, self.size, rng)
        if rng.random() < cfg.hflip:
            sample = flip_horizontal(sample)
        if rng.random() < cfg.vflip:
            sample = flip_vertical(sample)
        if rng.random() < cfg.reverse:
            sample = reverse_time(sample)
        if rng.random() < cfg.channel_permute:
            sample = permute_channels(sample, rng.permutation(3))
        return sample


def seed_worker(worker_id: int) -> None:
    """`DataLoader(worker_init_fn=seed_worker, generator=torch.Generator().manual_seed(seed))`.

    Seeds the worker's dataset copy (``dataset.reseed(s)`` when it has one, e.g. every dataset of
    `vfi.train.data`), NumPy's and Python's global generators with ``s = torch.initial_seed()``,
    which PyTorch sets to the loader's per-epoch base seed + `worker_id`.
    """
    seed = torch.initial_seed() % 2**32
    np.random.seed(seed)
    random.seed(seed)
    info = torch.utils.data.get_worker_info()
    dataset = getattr(info, "dataset", None)
    # A Subset or ConcatDataset wraps the dataset that holds the generator.
    stack = [dataset]
    while stack:
        current = stack.pop()
        if current is None:
            continue
        if hasattr(current, "reseed"):
            current.reseed(seed)
        stack.extend(getattr(current, "datasets", []))
        if hasattr(current, "dataset"):
            stack.append(current.dataset)
