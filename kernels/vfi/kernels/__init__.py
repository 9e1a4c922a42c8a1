"""Custom ops used by the models: `backward_warp`, `deform_conv2d`, `sparse_conv2d`.

Model code calls these functions, never `grid_sample` directly, so that every model exports and
builds through the same op definitions. `OPS` (see `vfi.kernels.registry`) holds every facet of
every op; importing this package imports neither torch nor triton.
"""

from vfi.kernels.backward_warp import backward_warp
from vfi.kernels.registry import OPS

__all__ = ["OPS", "backward_warp"]
