"""The runtime backends by name, and `create_runner`.

Backends are stored as "module:Class" strings so that listing them imports neither torch nor
onnxruntime; `vfi doctor` asks each class `is_available()` and `version()`.
"""

from __future__ import annotations

import importlib

from vfi.core.errors import BackendUnavailable

#: backend name -> "module:Class" of its `Runner` subclass
BACKENDS: dict[str, str] = {
    "torch": "vfi.runtime.backends.torch_backend:TorchRunner",
    "onnxruntime": "vfi.runtime.backends.onnxruntime_backend:OnnxRuntimeRunner",
    "tensorrt": "vfi.runtime.backends.tensorrt_backend:TensorRTRunner",
    "compiled": "vfi.runtime.backends.compiled_backend:CompiledRunner",
}


def names() -> list[str]:
    """Registered backend names, in preference order."""
    return list(BACKENDS)


def runner_class(backend: str):
    """The `Runner` subclass registered as `backend`; `BackendUnavailable` for an unknown name."""
    try:
        module_name, attr = BACKENDS[backend].split(":")
    except KeyError:
        raise BackendUnavailable(f"unknown backend {backend!r}; choose one of {', '.join(BACKENDS)}") from None
    return getattr(importlib.import_module(module_name), attr)


def create_runner(backend: str, model, device: str = "cpu", precision: str = "fp32", threads: int | None = None,
                  **options):
    """A runner (not yet loaded) for `model` on `backend`.

    `options` are backend-specific keyword arguments (e.g. ``channels_last``, ``cuda_graphs`` for
    torch; ``cuda_graphs`` for tensorrt); the runner class refuses ones it does not know.

    Raises `BackendUnavailable` with the reason when the backend, device or precision cannot run
    on this machine.
    """
    cls = runner_class(backend)
    ok, reason = cls.is_available()
    if not ok:
        raise BackendUnavailable(f"backend {backend!r} is unavailable: {reason}")
    try:
        return cls(model, device=device, precision=precision, threads=threads, **options)
    except TypeError as exc:
        if options and "unexpected keyword" in str(exc):
            raise BackendUnavailable(f"backend {backend!r} does not take option(s) {', '.join(options)}") from None
        raise
