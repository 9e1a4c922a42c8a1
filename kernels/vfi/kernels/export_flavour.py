"""Which ONNX lowering the custom ops emit while `torch.onnx.export` traces a model.

    with onnx_flavour("tensorrt"):   # one custom node per op, domain "vfi" (TensorRT plugins)
        torch.onnx.export(model, ...)
    with onnx_flavour("portable"):   # standard ONNX only (GridSample, DeformConv, Conv + Where)
        torch.onnx.export(model, ...)

Each op's public function checks `torch.onnx.is_in_onnx_export()` and dispatches on
`current_flavour()`. Outside any `with` block the flavour is "portable".
"""

from __future__ import annotations

import contextlib
import contextvars

FLAVOURS = ("tensorrt", "portable")

_flavour: contextvars.ContextVar[str] = contextvars.ContextVar("vfi_onnx_flavour", default="portable")


def current_flavour() -> str:
    """The flavour set by the innermost `onnx_flavour` block ("portable" by default)."""
    return _flavour.get()


@contextlib.contextmanager
def onnx_flavour(name: str):
    """Select the ONNX lowering of every custom op inside the block."""
    if name not in FLAVOURS:
        raise ValueError(f"unknown ONNX flavour {name!r}; choose one of {FLAVOURS}")
    token = _flavour.set(name)
    try:
        yield
    finally:
        _flavour.reset(token)
