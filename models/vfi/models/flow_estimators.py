"""Optical flow estimators by name: the flow networks that DBVFI, training teachers
(`vfi.train.teacher`) and distance-indexing targets use.

    >>> from vfi.models.flow_estimators import create_flow_estimator, load_flow_estimator
    >>> raft = create_flow_estimator("raft", iters=12)    # random init, carries a ModelCard
    >>> raft = load_flow_estimator("raft")                # converted official weights (cache)
    >>> raft = load_flow_estimator("my-raft.safetensors") # any flow checkpoint
    >>> flow01 = raft(img0, img1)                         # [N,2,H,W] pixels, F_0->1

A flow estimator is a module with ``task = "flow"`` whose ``forward(img0, img1)`` takes float RGB
[N,3,H,W] in [0, 1] (H, W multiples of its ``pad_multiple``) and returns the flow F_0->1 in pixels
(channel 0 = x). Listing `FLOW_ESTIMATORS` imports no torch (entries are "module:Class" strings).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from vfi.core.errors import InputError, WeightsMissing
from vfi.core.lazy import LazyRegistry

#: flow estimator name -> "module:Class"
FLOW_ESTIMATORS = LazyRegistry("flow estimator", {"raft": "vfi.models.raft:RAFT"})
#: the value of a flow estimator's ``task`` attribute
FLOW_TASK = "flow"


def flow_variant(name: str):
    """The `vfi.models.registry.Variant` describing flow estimator `name` (hyper-parameters,
    pretrained file, weights hint); `InputError` listing the known names otherwise."""
    from vfi.models.catalogue.raft import RAFT_VARIANT

    variants = {RAFT_VARIANT.name: RAFT_VARIANT}
    FLOW_ESTIMATORS.path(name)  # InputError naming the known estimators
    return variants[name]


def is_flow_estimator(model) -> bool:
    """True when `model` declares itself a flow estimator (``task == "flow"``)."""
    return getattr(model, "task", None) == FLOW_TASK


def create_flow_estimator(name: str = "raft", **hparams: Any):
    """A freshly initialised flow estimator `name`; `hparams` override its defaults (e.g.
    ``iters=6``). The module carries a `ModelCard` as ``model.card`` (so `vfi.models.save` works)."""
    from vfi.models.registry import card_for

    variant = flow_variant(name)
    merged = {**variant.hparams, **hparams}
    model = FLOW_ESTIMATORS.load(name)(**merged)
    model.card = card_for(variant.family, variant.name, model, merged, provenance={"source": "random-init"})
    return model


def load_flow_estimator(name_or_checkpoint: str | os.PathLike = "raft", **overrides: Any):
    """A flow estimator with weights, in eval mode: a checkpoint path (`vfi.models.save` or an
    importer's output) or a registered name whose converted weights are in the cache.

    `overrides` replace hyper-parameters that do not change weight shapes (``iters``).
    Raises:
        WeightsMissing: a name whose weights were not converted (the message says how).
        InputError: an unknown name, or a checkpoint that is not a flow estimator.
    """
    import vfi.models as vm
    from vfi.core.cache import weights_dir

    text = str(name_or_checkpoint)
    if text in FLOW_ESTIMATORS:
        variant = flow_variant(text)
        path = weights_dir() / f"{variant.pretrained}.safetensors"
        if not path.exists():
            raise WeightsMissing(
                f"weights for flow estimator {text!r} are not in {path.parent}; pretrained weights cannot be "
                f"downloaded here: convert an official checkpoint with `{variant.weights_hint}`"
            )
        overrides = {**variant.hparams, **overrides}
    else:
        path = Path(text).expanduser()
        if path.suffix != ".safetensors" and os.sep not in text and not path.exists():
            FLOW_ESTIMATORS.path(text)  # InputError naming the known estimators
    model = vm.load(path, **overrides)
    if not is_flow_estimator(model):
        raise InputError(f"{path} holds a {model.card.family} model, not a flow estimator (task {FLOW_TASK!r})")
    return model
