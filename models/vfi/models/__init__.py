"""Model architectures, the model registry, and checkpoint load/save.

    >>> import vfi.models
    >>> model = vfi.models.load("rife-hdv3")        # pretrained, after `vfi weights import rife`
    >>> model = vfi.models.create("rife-hdv3-fast")  # random init
    >>> vfi.models.save(model, "my.safetensors")
"""

from vfi.models.card import ModelCard
from vfi.models.registry import create, get_variant, load, names, save

DEFAULT_MODEL = "rife-hdv3"

__all__ = ["DEFAULT_MODEL", "ModelCard", "create", "get_variant", "load", "names", "save"]
