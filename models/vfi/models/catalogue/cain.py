"""CAIN (Choi et al., AAAI 2020): pixel-shuffle + channel-attention trunk, middle frame only."""

from vfi.models.registry import Variant, register_family, register_variant

#: Published figures: 42.8M parameters, Vimeo90K 34.65 dB (paper). Architecture hyper-parameters
#: of the paper's model (reference code: depth 3, 5 residual groups of 12 RCABs, reduction 16).
CAIN_PAPER = {
    "shuffle_scale": 8,
    "groups": 5,
    "blocks": 12,
    "reduction": 16,
}

register_family("cain", "vfi.models.cain:CAIN")

register_variant(
    Variant(
        name="cain",
        family="cain",
        hparams=dict(CAIN_PAPER),
        description="CAIN (channel attention, 8x8 pixel shuffle, 5x12 RCABs); middle frame only, no weights",
    )
)
