"""The runtime backends by name, and `create_runner`.

Backends are stored as "module:Class" strings (`vfi.core.lazy`) so that listing them imports
neither torch nor onnxruntime; `vfi doctor` asks each class `is_available()` and `version()`.
"""

from __future__ import annotations

import inspect

from vfi.core.errors import BackendUnavailable, InputError
from vfi.core.lazy import LazyRegistry

#: backend name -> "module:Class" of its `Runner` subclass, in preference order
BACKENDS = LazyRegistry(
    "backend",
    {
        "torch": "vfi.runtime.backends.torch_backend:TorchRunner",
        "onnxruntime": "vfi.runtime.backends.onnxruntime_backend:OnnxRuntimeRunner",
        "tensorrt": "vfi.runtime.backends.tensorrt_backend:TensorRTRunner",
        "compiled": "vfi.runtime.backends.compiled_backend:CompiledRunner",
    },
    parameter="backend",
)

#: arguments every runner takes (see `vfi.runtime.runner.Runner`)
COMMON_ARGUMENTS = ("model", "device", "precision", "threads")


def names() -> list[str]:
    """Registered backend names, in preference order."""
    return list(BACKENDS)


def runner_class(backend: str):
    """The `Runner` subclass registered as `backend`; `InputError` for an unknown name."""
    return BACKENDS.load(backend)


def backend_options(cls) -> tuple[str, ...]:
    """The backend-specific keyword options `cls` declares in its constructor's signature."""
    parameters = inspect.signature(cls.__init__).parameters
    return tuple(name for name in parameters if name != "self" and name not in COMMON_ARGUMENTS)


def create_runner(backend: str, model, device: str = "cpu", precision: str | None = None, threads: int | None = None, **options):
    """A runner (not yet loaded) for `model` on `backend`.

    `options` are backend-specific keyword arguments (e.g. ``channels_last``, ``cuda_graphs`` for
    torch; ``cuda_graphs`` for tensorrt), checked against the ones the backend declares.

    Raises:
        InputError: an unknown backend, device or precision name, or an option the backend does
            not declare.
        BackendUnavailable: the backend, device or precision cannot run on this machine (with
            the reason).
    """
    cls = runner_class(backend)
    unknown = sorted(set(options) - set(backend_options(cls)))
    if unknown:
        offered = ", ".join(backend_options(cls)) or "none"
        raise InputError(f"backend {backend!r} does not take option(s) {', '.join(unknown)}; its options: {offered}")
    ok, reason = cls.is_available()
    if not ok:
        raise BackendUnavailable(f"backend {backend!r} is unavailable: {reason}")
    return cls(model, device=device, precision=precision, threads=threads, **options)
