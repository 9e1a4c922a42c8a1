"""Distance-indexed variants (Zhong et al., 2023): models that take a per-pixel distance map D_t."""

from vfi.models.catalogue import ifrnet as _ifrnet  # noqa: F401  (registers the "ifrnet" family first)
from vfi.models.catalogue import rife as _rife  # noqa: F401  (registers the "rife" family first)
from vfi.models.catalogue.ifrnet import IFRNET_MEDIUM
from vfi.models.registry import Variant, register_alias, register_family, register_variant

register_family("rife-di", "vfi.models.distance_indexing:RIFEDI")

register_variant(
    Variant(
        name="ifrnet-di",
        family="ifrnet",
        hparams={**IFRNET_MEDIUM, "timestep_mode": "map"},
        description="IFRNet with distance indexing (per-pixel distance map D_t instead of t), no weights",
    )
)
# No distance-indexed RIFE weights are published. RIFE 4.0's pretrained weights fit this
# architecture exactly and are the natural start for fine-tuning with D_t maps, but `pretrained`
# stays None: loading a registered name reads the checkpoint's own card, which would rebuild the
# time-indexed "rife-4.0" family and claim weights this variant never had. Use
# `vfi.models.distance_indexing.rife_di_from_pretrained()` to initialise from them.
register_variant(
    Variant(
        name="rife-4.0-di",
        family="rife-di",
        hparams={"mode": "full"},
        description="RIFE 4.0 taking a distance map D_t; fine-tune from rife-4.0 weights (rife_di_from_pretrained)",
    )
)
register_alias("rife-hdv3-di", "rife-4.0-di")
register_alias("rife-hdv3-di", "rife-di", family=True)
