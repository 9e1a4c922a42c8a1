"""The one way the toolkit imports TensorRT: builder, runtime and plugin API.

Full TensorRT (builder and runtime) comes from NVIDIA's package index, not PyPI (PyPI's
``tensorrt-cu13-libs`` is a stub); PyPI does carry the lean runtime (``tensorrt-lean-cu13``), which
runs version-compatible engines only. Each helper returns the modules it needs or raises
`BackendUnavailable` with one line saying what is missing and where it comes from. Nothing here
imports TensorRT at module import time.
"""

from __future__ import annotations

from vfi.core.errors import BackendUnavailable
from vfi.core.messages import short_error

#: oldest TensorRT the builder and plugins are written for (strongly typed networks, QDP plugins)
MIN_TENSORRT = (10, 8)
INSTALL_HINT = (
    "install TensorRT >= 10.8 with its builder on a CUDA machine from NVIDIA's package index "
    "(pip install tensorrt-cu13 with that index as an extra index; PyPI's tensorrt-cu13-libs is a stub "
    "and tensorrt-lean-cu13 only runs prebuilt version-compatible engines)"
)


def _version_tuple(text: str) -> tuple[int, ...]:
    return tuple(int(p) for p in text.split(".")[:2] if p.isdigit())


def import_builder():
    """The `tensorrt` module with a working builder; `BackendUnavailable` (one line) otherwise."""
    try:
        import tensorrt as trt
    except (ImportError, OSError) as exc:  # the bindings without the libraries raise OSError
        raise BackendUnavailable(
            f"TensorRT builder not available ({short_error(exc, 160, with_type=True)}); {INSTALL_HINT}"
        ) from None
    if _version_tuple(trt.__version__) < MIN_TENSORRT:
        raise BackendUnavailable(f"TensorRT {trt.__version__} is too old (need >= 10.8); {INSTALL_HINT}")
    try:
        trt.Builder(trt.Logger(trt.Logger.ERROR))
    except Exception as exc:  # no builder library / no CUDA device: the same user-facing answer
        raise BackendUnavailable(f"TensorRT builder cannot start ({short_error(exc, 160)}); {INSTALL_HINT}") from None
    return trt


def import_runtime():
    """(module, "full" | "lean"): `tensorrt` when it imports, else the lean runtime `tensorrt_lean`.

    Raises:
        BackendUnavailable: neither imports (the message says how to get either).
    """
    try:
        import tensorrt

        return tensorrt, "full"
    except (ImportError, OSError):  # no bindings, or bindings without their libraries
        pass
    try:
        import tensorrt_lean
    except (ImportError, OSError) as exc:
        raise BackendUnavailable(
            f"neither tensorrt nor tensorrt_lean can be imported ({short_error(exc, 160, with_type=True)}); {INSTALL_HINT}, "
            "or the lean runtime from PyPI: pip install -e '.[tensorrt-lean]'"
        ) from None
    return tensorrt_lean, "lean"


def import_plugin_api(plugin_id: str):
    """The modules ``(tensorrt, tensorrt.plugin)``; `BackendUnavailable` saying that the TensorRT
    plugin `plugin_id` needs TensorRT >= 10.7 with its builder, and where that comes from."""
    try:
        import tensorrt
        import tensorrt.plugin
    except (ImportError, OSError) as exc:  # bindings without the builder library raise OSError
        raise BackendUnavailable(
            f"TensorRT plugin {plugin_id} needs TensorRT >= 10.7 with its builder ({short_error(exc, 160)}); {INSTALL_HINT}"
        ) from exc
    return tensorrt, tensorrt.plugin
