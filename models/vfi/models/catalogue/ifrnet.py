"""IFRNet (Kong et al., CVPR 2022): the paper's small, medium and large models (no weights yet)."""

from vfi.models.registry import Variant, register_family, register_variant

#: Hyper-parameters of the paper's three sizes (its reference code, IFRNet_S / IFRNet / IFRNet_L):
#: encoder width per pyramid level (fine to coarse), the residual blocks' side width, and the
#: first encoder kernel.
IFRNET_SMALL = {"widths": [24, 36, 54, 72], "side_channels": 24, "first_kernel": 3}
IFRNET_MEDIUM = {"widths": [32, 48, 72, 96], "side_channels": 32, "first_kernel": 3}
IFRNET_LARGE = {"widths": [64, 96, 144, 192], "side_channels": 64, "first_kernel": 7}

#: Published cost (paper, Table 1): parameters and multiply-accumulates of one 1280x720 frame.
PUBLISHED_COST = {
    "ifrnet-s": {"params": 2.8e6, "macs": 0.12e12},
    "ifrnet": {"params": 5.0e6, "macs": 0.21e12},
    "ifrnet-l": {"params": 19.7e6, "macs": 0.79e12},
}

register_family("ifrnet", "vfi.models.ifrnet:IFRNet")

register_variant(
    Variant(
        name="ifrnet-s",
        family="ifrnet",
        hparams=dict(IFRNET_SMALL),
        description="IFRNet-S (4-level encoder, joint flow + intermediate-feature decoders), any t, no weights",
    )
)
register_variant(
    Variant(
        name="ifrnet",
        family="ifrnet",
        hparams=dict(IFRNET_MEDIUM),
        description="IFRNet (4-level encoder, joint flow + intermediate-feature decoders), any t, no weights",
    )
)
register_variant(
    Variant(
        name="ifrnet-l",
        family="ifrnet",
        hparams=dict(IFRNET_LARGE),
        description="IFRNet-L (4-level encoder, 7x7 stem, joint flow + feature decoders), any t, no weights",
    )
)
