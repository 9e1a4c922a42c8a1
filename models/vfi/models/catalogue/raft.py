"""RAFT (Teed & Deng, ECCV 2020): an optical flow estimator (no weights obtainable here).

The family is registered like the interpolation families, so that `vfi.models.save` writes and
`vfi.models.load(checkpoint)` reloads a RAFT checkpoint; its card's ``timestep_mode`` is "fixed" and
the model's ``task`` is "flow": ``model(img0, img1)`` returns the flow F_0->1, not a frame. Flow
users pick it by name through `vfi.models.flow_estimators` (see `RAFT_VARIANT`).
"""

from vfi.models.registry import Variant, register_family

#: The paper's full model (5.3M parameters in the paper; ours counts 5,257,536).
RAFT_FULL = {"iters": 12, "radius": 4, "levels": 4}

#: Name of converted official weights in the weights cache, and the command that converts them.
RAFT_PRETRAINED = "raft-things"
RAFT_WEIGHTS_HINT = "python -m vfi.models.weights.raft_import PATH/TO/raft-things.pth"

#: Published cost (paper): parameters.
PUBLISHED_COST = {"raft": {"params": 5.3e6}}

register_family("raft", "vfi.models.raft:RAFT")

#: The registered RAFT model. It is deliberately not in `vfi.models.registry.VARIANTS`: everything
#: that enumerates `vfi.models.names()` (training objectives, the export completeness test, `vfi
#: models`, benchmarks) treats a name as a frame interpolator taking (img0, img1, t). Flow users
#: reach it through `vfi.models.flow_estimators` instead; `vfi.models.load(checkpoint)` works because
#: the family is registered.
RAFT_VARIANT = Variant(
    name="raft",
    family="raft",
    hparams=dict(RAFT_FULL),
    pretrained=RAFT_PRETRAINED,
    weights_hint=RAFT_WEIGHTS_HINT,
    description=(
        "RAFT optical flow estimator (not an interpolator: 4-level all-pairs correlation, 12 GRU "
        "iterations), ~5.3M params; pretrained weights cannot be downloaded here (convert an "
        "official raft-things.pth with vfi.models.weights.raft_import)"
    ),
)
