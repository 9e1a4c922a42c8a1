"""The one import of TensorRT's plugin API that every op's `trt_plugin` module goes through."""

from __future__ import annotations

from vfi.core.errors import BackendUnavailable


def require_tensorrt_plugin_api(plugin_id: str):
    """Return the modules ``(tensorrt, tensorrt.plugin)`` or raise one `BackendUnavailable` line
    saying that the TensorRT plugin `plugin_id` needs TensorRT's builder and where it comes from."""
    try:
        import tensorrt
        import tensorrt.plugin
    except (ImportError, OSError) as exc:  # bindings without the builder library raise OSError
        raise BackendUnavailable(
            f"TensorRT plugin {plugin_id} needs TensorRT >= 10.7 with its builder library ({exc}); "
            "the builder comes from NVIDIA's package index, not PyPI (`tensorrt-cu13-libs` on PyPI "
            "is a stub). Install TensorRT on a CUDA machine."
        ) from exc
    return tensorrt, tensorrt.plugin
