"""CSPA-style deformable alignment (after Zhou et al., CVPR 2023, arXiv 2203.10291): middle frame only."""

from vfi.models.registry import Variant, register_family, register_variant

#: Hyper-parameters of the default variant. The paper reports 28.9M parameters; its reference code
#: was not available to us, so the widths and block counts below are our choices, made to land on
#: that size with the paper's module structure (see `vfi.models.cspa`).
CSPA_DEFAULT = {
    "width": 128,
    "stem_downsamples": 2,
    "pyramid_levels": 3,
    "extract_blocks": 5,
    "reconstruct_blocks": 60,
    "deformable_groups": 8,
    "upsample_width": 64,
}

register_family("cspa", "vfi.models.cspa:CSPA")

register_variant(
    Variant(
        name="cspa",
        family="cspa",
        hparams=dict(CSPA_DEFAULT),
        description="CSPA-style cross-scale deformable alignment, attention fusion; middle frame only, no weights",
    )
)
