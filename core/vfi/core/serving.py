"""The serving interface: the tensors a served interpolation model exchanges over Triton, and the
checks every request passes. `vfi serve` binds these tensors, the `triton` client backend sends
them, and the stock-server model repository (`vfi.export.serving`) checks its names and types
against them, so the three cannot drift apart.

Two variants of each served model (names are Triton model names):

* ``<name>``: ``img0``, ``img1`` FP32 [N, 3, H, W] in [0, 1] and ``timestep`` FP32 [N, 1] ->
  ``frame`` FP32 [N, 3, H, W] (the graph interface of `vfi.core.graph_spec`, with t as one
  number per frame whatever the family's timestep mode: the server makes a per-pixel map itself);
* ``<name>-uint8``: ``img0``, ``img1`` UINT8 [N, H, W, 3] (RGB, as decoded) and ``timestep`` FP32
  [N, 1] -> ``frame`` UINT8 [N, H, W, 3], a quarter of the bytes on the wire. A frame decoded as
  8-bit and written as 8-bit loses nothing by it: the server rounds exactly as a local run does.

A model that only predicts the middle frame (timestep mode "fixed") has no ``timestep`` input.
Any size from `MIN_SIDE` to the server's ``max_side`` works: the server pads to the model's
multiple and crops back.

    tensors = io_tensors(timestep=True, uint8=False)   # [ServedTensor("img0", "FP32", (3, -1, -1)), ...]
    check_request({"img0": a, "img1": b, "timestep": t}, uint8=False, max_side=4096)
"""

from __future__ import annotations

from dataclasses import dataclass

from vfi.core.errors import InputError
from vfi.core.graph_spec import IMAGE_INPUTS, OUTPUT_NAME, RGB_CHANNELS, TIMESTEP_INPUT, context_input_names

#: smallest frame side (pixels) a served model accepts (RIFE's coarsest level needs 32)
MIN_SIDE = 32
#: default largest frame side (pixels) `vfi serve` accepts (``--max-side``)
DEFAULT_MAX_SIDE = 4096
#: suffix of the uint8 NHWC variant's model name
UINT8_SUFFIX = "-uint8"
#: default ports of `vfi serve`, as Triton's own defaults
DEFAULT_HTTP_PORT, DEFAULT_GRPC_PORT, DEFAULT_METRICS_PORT = 8000, 8001, 8002
#: default largest batch Triton's dynamic batcher forms, and how long it waits to fill one
DEFAULT_MAX_BATCH = 8
DEFAULT_QUEUE_DELAY_US = 2000


@dataclass(frozen=True)
class ServedTensor:
    """One served tensor: name, Triton data type ("FP32", "UINT8") and dims without the batch
    (-1 for a size that varies per request)."""

    name: str
    datatype: str
    dims: tuple[int, ...]

    @property
    def numpy_dtype(self):
        import numpy as np

        return {"FP32": np.float32, "UINT8": np.uint8}[self.datatype]


def served_name(variant: str) -> str:
    """A Triton model name for a model variant: letters, digits, '.', '-', '_' kept, others '_'."""
    import re

    return re.sub(r"[^A-Za-z0-9._-]+", "_", variant) or "model"


def uint8_name(name: str) -> str:
    """The Triton model name of the uint8 NHWC variant of model `name`."""
    return name + UINT8_SUFFIX


def io_tensors(timestep: bool, uint8: bool, context: int = 1) -> tuple[list[ServedTensor], list[ServedTensor]]:
    """(inputs, outputs) of a served model; `timestep` False for a t = 0.5-only model; `context`
    frames on each side (k > 1 adds the context-frame inputs after the timestep, as the graph
    has them: `vfi.core.graph_spec.context_input_names`)."""
    image = ServedTensor("", "UINT8", (-1, -1, RGB_CHANNELS)) if uint8 else ServedTensor("", "FP32", (RGB_CHANNELS, -1, -1))
    inputs = [ServedTensor(name, image.datatype, image.dims) for name in IMAGE_INPUTS]
    if timestep:
        inputs.append(ServedTensor(TIMESTEP_INPUT, "FP32", (1,)))
    inputs.extend(ServedTensor(name, image.datatype, image.dims) for name in context_input_names(context))
    return inputs, [ServedTensor(OUTPUT_NAME, image.datatype, image.dims)]


def image_size(array, uint8: bool) -> tuple[int, int]:
    """(height, width) of a batch of served images ([N,3,H,W], or [N,H,W,3] for uint8)."""
    return tuple(array.shape[1:3]) if uint8 else tuple(array.shape[2:4])


def check_request(inputs: dict, uint8: bool, max_side: int = DEFAULT_MAX_SIDE, timestep: bool = True, context: int = 1) -> None:
    """Refuse a request the model cannot answer, with one line saying why (`InputError`).

    Triton itself refuses a wrong rank, data type or input name against the declared tensors;
    this checks what it cannot: equal image sizes (context frames too), sides within
    [`MIN_SIDE`, `max_side`], a non-empty batch, a timestep per frame, finite and in [0, 1].
    """
    import numpy as np

    names = [t.name for t in io_tensors(timestep, uint8, context)[0]]
    missing = [n for n in names if n not in inputs]
    if missing:
        raise InputError(f"request lacks input(s) {', '.join(missing)}; a served model takes {', '.join(names)}")
    image_names = [*IMAGE_INPUTS, *context_input_names(context)]
    img0 = inputs[IMAGE_INPUTS[0]]
    layout = "[N,H,W,3]" if uint8 else "[N,3,H,W]"
    for name in image_names:
        array = inputs[name]
        channels = array.shape[-1] if uint8 else array.shape[1]
        if array.ndim != 4 or channels != RGB_CHANNELS:
            raise InputError(f"{name} has shape {list(array.shape)}; expected {layout}")
    for name in image_names[1:]:
        if inputs[name].shape != img0.shape:
            raise InputError(f"img0 {list(img0.shape)} and {name} {list(inputs[name].shape)} differ in shape")
    if img0.shape[0] == 0:
        raise InputError("request holds no frames (batch size 0)")
    height, width = image_size(img0, uint8)
    if min(height, width) < MIN_SIDE or max(height, width) > max_side:
        raise InputError(
            f"frame size {height}x{width} is outside the served range: each side from {MIN_SIDE} to {max_side} pixels"
        )
    if timestep:
        t = np.asarray(inputs[TIMESTEP_INPUT])
        if t.shape != (img0.shape[0], 1):
            raise InputError(f"timestep has shape {list(t.shape)}; expected [{img0.shape[0]}, 1], one t per frame")
        if not np.all(np.isfinite(t)) or np.any((t < 0) | (t > 1)):
            raise InputError("timestep values must be finite and in [0, 1]")
