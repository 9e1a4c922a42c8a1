"""Training losses, one idea per module. Each takes tensors and returns a 0-d tensor (mean).

charbonnier          robust L1: sqrt(d^2 + eps^2)
l1                   plain L1 (CAIN)
census               census-transform (ternary) loss with soft Hamming distance
flow_distillation    IFRNet's task-oriented flow distillation with robustness weights
geometry             IFRNet's geometry consistency (census on decoder vs encoder features)
texture_consistency  CSPA's texture consistency loss (nearest input patch as the target)
ugsp                 UGSP's objective (wraps `UGSP.training_losses`)
distance_index       the distance-indexing target D_t from a teacher's flows
"""

from vfi.train.losses.census import census_loss, census_transform
from vfi.train.losses.charbonnier import charbonnier
from vfi.train.losses.distance_index import distance_index
from vfi.train.losses.flow_distillation import flow_distillation_loss, robustness_weight
from vfi.train.losses.geometry import geometry_consistency
from vfi.train.losses.l1 import l1_loss
from vfi.train.losses.texture_consistency import texture_consistency_loss
from vfi.train.losses.ugsp import ugsp_losses

__all__ = [
    "census_loss",
    "census_transform",
    "charbonnier",
    "distance_index",
    "flow_distillation_loss",
    "geometry_consistency",
    "l1_loss",
    "robustness_weight",
    "texture_consistency_loss",
    "ugsp_losses",
]
