"""Model architectures, the model registry, and checkpoint load/save.

>>> import vfi.models
>>> model = vfi.models.load("rife-4.0")        # pretrained, after `vfi weights import rife`
>>> model = vfi.models.create("rife-4.0-fast")  # random init
>>> vfi.models.save(model, "my.safetensors")
>>> spec = vfi.models.graph_spec(model.card)    # its graph interface (inputs, opset, tolerances)
"""

from vfi.models.card import ModelCard
from vfi.models.registry import aliases, canonical_name, create, get_variant, graph_spec, load, names, save

DEFAULT_MODEL = "rife-4.0"

__all__ = [
    "DEFAULT_MODEL",
    "ModelCard",
    "aliases",
    "canonical_name",
    "create",
    "get_variant",
    "graph_spec",
    "load",
    "names",
    "save",
]
