"""The precisions of the toolkit: one table, and the rules every stage applies to it.

A precision names the arithmetic inside a model, graph or engine. The exchange format between
stages stays float32 at every precision (frames in [0, 1]), and coordinate arithmetic (flow to
sampling positions, interpolation weights) stays fp32 in every reduced precision.

Each runtime backend declares which precisions it can run, per device (`Runner.precisions`); an
exporter or builder declares which it can make. Reduced precisions run the convolutions (and
matrix products) reduced and everything else in fp32 (`vfi.models.precision_islands` for torch
graphs, `vfi.core.openvino` for OpenVINO). The rules are the same everywhere:

* an unknown name is an `InputError`;
* a known precision that a backend or device cannot provide is `BackendUnavailable`, naming the
  ones it can;
* a built artifact (ONNX graph, engine, compiled package) has the precision it was built with:
  asked for nothing, it runs at that precision; asked for another one, it is refused in one line
  (`artifact_precision`), never silently run at a precision nobody asked for.
"""

from __future__ import annotations

from dataclasses import dataclass

from vfi.core.errors import BackendUnavailable, InputError


@dataclass(frozen=True)
class Precision:
    """One row of the table.

    Attributes:
        name: what users type ("fp32").
        torch_dtype: name of the torch dtype (``getattr(torch, torch_dtype)``).
        onnx_type: ONNX TensorProto element type of the arithmetic.
        bits: storage bits per value.
        reduced: below fp32 (coordinate islands apply).
    """

    name: str
    torch_dtype: str
    onnx_type: int
    bits: int
    reduced: bool


#: name -> Precision, in order of preference (the first is the default).
PRECISIONS: dict[str, Precision] = {
    "fp32": Precision("fp32", "float32", onnx_type=1, bits=32, reduced=False),
    "fp16": Precision("fp16", "float16", onnx_type=10, bits=16, reduced=True),
    "bf16": Precision("bf16", "bfloat16", onnx_type=16, bits=16, reduced=True),
}
DEFAULT_PRECISION = "fp32"


def check_precision(name: str) -> Precision:
    """The table row called `name`; `InputError` (parameter ``precision``) for an unknown name."""
    try:
        return PRECISIONS[name]
    except (KeyError, TypeError):
        raise InputError(f"precision {name!r} is unknown; choose one of {', '.join(PRECISIONS)}", "precision") from None


def require_supported(name: str, supported, where: str) -> str:
    """`name` if it is in `supported`, else `BackendUnavailable` saying what `where` supports.

    Args:
        supported: the precision names the backend or tool can provide here.
        where: who is asked, for the message ("the torch backend on cpu").
    """
    check_precision(name)
    if name not in supported:
        offered = ", ".join(supported) if supported else "none"
        raise BackendUnavailable(f"precision {name} is not offered by {where}; it offers {offered}", "precision")
    return name


def artifact_precision(requested: str | None, built: str, artifact: str) -> str:
    """The precision a built artifact runs at: its own (`built`).

    Args:
        requested: what the caller asked for, or None for "whatever the artifact has".
        built: the precision recorded in the artifact's sidecar.
        artifact: the artifact's name, for the message.

    Raises:
        InputError: `requested` is another precision than `built`.
    """
    check_precision(built)
    if requested is None or requested == built:
        return built
    check_precision(requested)
    raise InputError(
        f"{artifact} was built at precision {built}, which is fixed in the artifact; run it at {built} (or leave "
        f"precision unset), or build it again at {requested}",
        "precision",
    )
