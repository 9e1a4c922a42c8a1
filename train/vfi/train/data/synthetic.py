"""Procedural training data: photographs moving as layered sprites, exact frames at any t.

Sample `index` is rendered from a random scene (`vfi.core.synthetic_scene.make_training_scene`)
whose generator is seeded by (seed, split, index): the data set needs no files, is identical in
every process and every epoch, and the val split differs from the train split. The inputs are the
scene at t = 0 and t = 1, the target the scene rendered at t (0.5, or uniform in [0.05, 0.95]
with ``arbitrary_t``), so the ground truth is exact even under non-linear motion.

No augmentation is applied on top: each scene already draws motion directions, layering, textures
and positions at random, and a sample stays a pure function of (seed, split, index).
"""

from __future__ import annotations

import numpy as np
from torch.utils.data import Dataset

from vfi.core.errors import InputError
from vfi.core.synthetic_scene import TRAINING_IMAGES, load_texture_bank, make_training_scene
from vfi.train.augment import crop_size
from vfi.train.data.common import check_split, make_sample

DEFAULT_LENGTH = 10_000
#: Arbitrary-t targets avoid the inputs themselves (t = 0 or 1 teaches nothing).
T_RANGE = (0.05, 0.95)
_SPLIT_STREAM = {"train": 0, "val": 1}


class SyntheticMotion(Dataset):
    """`length` procedurally rendered samples (see the module docstring).

    Options: ``max_motion`` (largest sprite displacement between the inputs, pixels; default 24),
    ``shapes`` ((fewest, most) sprites; default (2, 6)), ``nonlinear`` (acceleration, spin and
    zoom; default True), ``textures`` (scikit-image sample names; default `TRAINING_IMAGES`),
    ``context`` (frames on each side for a multi-frame model; default 1: the context frames are
    the scene rendered at t = -1, 2, ...).
    """

    def __init__(
        self,
        split="train",
        crop=256,
        arbitrary_t=False,
        seed=0,
        length=None,
        max_motion=24.0,
        shapes=(2, 6),
        nonlinear=True,
        textures=TRAINING_IMAGES,
        context=1,
    ):
        from vfi.core.graph_spec import MAX_CONTEXT

        self.split = check_split(split)
        if int(context) != context or not 1 <= context <= MAX_CONTEXT:
            raise InputError(f"context must be an integer in 1..{MAX_CONTEXT} (frames on each side); got {context!r}")
        self.context = int(context)
        size = crop_size(crop if crop is not None else 256)
        if min(size) < 8:
            raise InputError(f"synthetic frames must be at least 8x8 pixels; got crop {crop!r}")
        self.height, self.width = size
        self.arbitrary_t = bool(arbitrary_t)
        self.seed = int(seed)
        self.length = DEFAULT_LENGTH if length is None else int(length)
        if self.length < 1:
            raise InputError(f"synthetic dataset length must be >= 1; got {length}")
        self.max_motion = float(max_motion)
        self.shapes = (int(shapes[0]), int(shapes[1]))
        self.nonlinear = bool(nonlinear)
        self.texture_names = tuple(textures)
        self._textures = None

    def __getstate__(self):
        # Textures are loaded in each worker on first use instead of being pickled to it.
        state = dict(self.__dict__)
        state["_textures"] = None
        return state

    def reseed(self, seed: int) -> None:
        """No-op: samples depend on (seed, split, index) only (kept for `seed_worker`)."""

    def __len__(self) -> int:
        return self.length

    def textures(self) -> list[np.ndarray]:
        if self._textures is None:
            self._textures = load_texture_bank(self.texture_names, seed=self.seed)
        return self._textures

    def __getitem__(self, index: int) -> dict:
        if not 0 <= index < self.length:
            raise IndexError(index)
        rng = np.random.default_rng([self.seed, _SPLIT_STREAM[self.split], int(index)])
        scene = make_training_scene(
            self.height,
            self.width,
            rng,
            self.textures(),
            max_motion=self.max_motion,
            shapes=self.shapes,
            nonlinear=self.nonlinear,
        )
        from vfi.core.graph_spec import context_input_names, context_offsets

        t = float(rng.uniform(*T_RANGE)) if self.arbitrary_t else 0.5
        context = {
            n: scene.render_float(float(o)) for n, o in zip(context_input_names(self.context), context_offsets(self.context))
        }
        return make_sample(scene.render_float(0.0), scene.render_float(1.0), scene.render_float(t), t, context)
