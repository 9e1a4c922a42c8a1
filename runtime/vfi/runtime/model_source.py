"""What a runner runs: a registered model name, a checkpoint path, or an already built module.

Backends call `load_torch_model` to get an eval-mode `torch.nn.Module` that carries its
`ModelCard` in ``.card`` (the torch backend runs it; the ONNX Runtime backend exports it), and
`model_fingerprint` to key the graphs they derive from it.
"""

from __future__ import annotations

import hashlib
import inspect
import os
from pathlib import Path
from typing import Any, Union

#: A registered name ("rife-4.0"), a `.safetensors` path, or a module with ``.card``.
ModelSpec = Union[str, "os.PathLike[str]", Any]


def describe(model: ModelSpec) -> str:
    """A short human name for `model` (for messages and progress output)."""
    if isinstance(model, (str, os.PathLike)):
        return str(model)
    card = getattr(model, "card", None)
    return getattr(card, "variant", type(model).__name__)


def load_torch_model(model: ModelSpec, hparams: dict | None = None):
    """An eval-mode torch module with ``.card`` for `model`.

    Names and paths go through `vfi.models.load` (which raises `WeightsMissing` or
    `CheckpointError`), with `hparams` overriding hyper-parameters that do not change the weights
    (RIFE's ``flow_scale``, ``mode``). A module passed in is used as is (put in eval mode); it must
    carry a `vfi.models.ModelCard` in ``.card`` so the pipeline knows its pad multiple and timestep
    mode, and takes no `hparams`.
    """
    import vfi.models
    from vfi.core.errors import InputError
    from vfi.models.card import ModelCard

    if isinstance(model, (str, os.PathLike)):
        _refuse_artifact(model)
        return vfi.models.load(model, **(hparams or {}))
    if not isinstance(getattr(model, "card", None), ModelCard):
        raise TypeError("a model object passed to a runner must carry a vfi.models.ModelCard in .card")
    if hparams:
        raise InputError(
            f"hyper-parameters {', '.join(hparams)} apply to a model loaded by name or checkpoint, not to a module passed in",
            "hparams",
        )
    return model.eval()


#: artifact kind -> the backends that run it (what to say to someone who gave it to a model backend)
ARTIFACT_BACKENDS = {
    "onnx": "auto, openvino or onnxruntime",
    "tensorrt-engine": "auto or tensorrt",
    "aoti-package": "auto or compiled",
    "openvino-ir": "auto or openvino",
}


def _refuse_artifact(model) -> None:
    """`InputError` for a built artifact handed to a backend that runs models (it would otherwise be
    read as a checkpoint and refused as "not a readable .safetensors")."""
    from vfi.core.errors import InputError
    from vfi.runtime.backends.artifact import KIND_NAMES, artifact_kind

    kind = artifact_kind(model)
    if kind is not None:
        raise InputError(
            f"{model} is a built {KIND_NAMES[kind]}, not a model name or .safetensors checkpoint; run it with "
            f"backend {ARTIFACT_BACKENDS[kind]}",
            "model",
            "backend",
        )


def model_fingerprint(module) -> str:
    """A hex digest of what determines the module's output: weights, card, and model source code.

    Hashing the loaded tensors (not the file path) means a retrained checkpoint saved under the same
    name gets a new key, and the source file's text invalidates graphs when the architecture code
    changes.
    """
    import torch

    digest = hashlib.sha256()
    digest.update(module.card.to_json().encode())
    for name, tensor in sorted(module.state_dict().items()):
        digest.update(name.encode())
        digest.update(str(tensor.dtype).encode() + str(tuple(tensor.shape)).encode())
        data = tensor.detach().contiguous().cpu()
        if data.dtype == torch.bfloat16:  # numpy has no bfloat16; the raw bits are what matter
            data = data.view(torch.int16)
        digest.update(data.numpy().tobytes())
    try:
        source = Path(inspect.getsourcefile(type(module)) or "")
        if source.is_file():
            digest.update(source.read_bytes())
    except TypeError:  # classes defined interactively have no source file
        pass
    return digest.hexdigest()
