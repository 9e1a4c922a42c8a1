"""RIFE HDv3: the pretrained default model and its fast mode."""

from vfi.models.registry import Variant, register_family, register_variant

RIFE_WEIGHTS_HINT = "vfi weights import rife"

register_family("rife-hdv3", "vfi.models.rife_hdv3:RIFEHDv3")

register_variant(
    Variant(
        name="rife-hdv3",
        family="rife-hdv3",
        hparams={"mode": "full"},
        pretrained="rife-hdv3",
        weights_hint=RIFE_WEIGHTS_HINT,
        description="RIFE HDv3 (IFNet + context net + refine U-Net), pretrained; the default model",
    )
)
register_variant(
    Variant(
        name="rife-hdv3-fast",
        family="rife-hdv3",
        hparams={"mode": "fast"},
        pretrained="rife-hdv3",
        weights_hint=RIFE_WEIGHTS_HINT,
        description="RIFE HDv3 fast mode (flows + mask merge only, no refinement), same weights",
    )
)
