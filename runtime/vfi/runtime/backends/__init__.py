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
        "openvino": "vfi.runtime.backends.openvino_backend:OpenVINORunner",
        # a remote Triton server (`vfi serve`); never picked by "auto"
        "triton": "vfi.runtime.backends.triton_backend:TritonRunner",
    },
    parameter="backend",
)

#: arguments every runner takes (see `vfi.runtime.runner.Runner`)
COMMON_ARGUMENTS = ("model", "device", "precision", "threads", "hparams")


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


#: what `backend="auto"` tries, in order, for a model (name, checkpoint or module) per device;
#: the first one that is available here is used. (tensorrt and compiled run built artifacts only.)
AUTO_MODEL_BACKENDS = {"cpu": ("openvino", "torch"), "cuda": ("torch",)}
#: the backends that run each kind of built artifact, in order of preference per device
AUTO_ARTIFACT_BACKENDS = {
    "onnx": {"cpu": ("openvino", "onnxruntime"), "cuda": ("onnxruntime",)},
    "tensorrt-engine": {"cpu": ("tensorrt",), "cuda": ("tensorrt",)},
    "aoti-package": {"cpu": ("compiled",), "cuda": ("compiled",)},
    "openvino-ir": {"cpu": ("openvino",), "cuda": ("openvino",)},
}


def resolve_device(device: str) -> str:
    """`device`, or for "auto" "cuda" when torch sees a CUDA device, else "cpu".

    Raises:
        InputError: a device name that is neither "auto" nor one of `vfi.runtime.runner.DEVICES`.
    """
    from vfi.runtime.runner import DEVICES

    if device != "auto":
        if device not in DEVICES:
            raise InputError(f"device {device!r} is unknown; choose auto or one of {', '.join(DEVICES)}", "device")
        return device
    try:
        import torch
    except ImportError:
        return "cpu"
    return "cuda" if torch.cuda.is_available() else "cpu"


def resolve_backend(backend: str, model, device: str) -> tuple[str, str]:
    """(backend name, why it was chosen): `backend` itself, or for "auto" the first available one
    of `AUTO_MODEL_BACKENDS` / `AUTO_ARTIFACT_BACKENDS` for `model` on `device`."""
    from vfi.runtime.backends.artifact import artifact_kind

    if backend != "auto":
        return backend, "asked for"
    kind = artifact_kind(model)
    if kind == "onnx":
        _refuse_plugin_graph(model)
    candidates = AUTO_ARTIFACT_BACKENDS[kind].get(device, ()) if kind else AUTO_MODEL_BACKENDS.get(device, ())
    reasons = []
    for name in candidates:
        ok, reason = runner_class(name).is_available()
        if ok:
            skipped = f" ({'; '.join(reasons)})" if reasons else ""
            return name, f"auto: first available of {', '.join(candidates)} for {kind or 'a model'} on {device}{skipped}"
        reasons.append(f"{name}: {reason}")
    raise BackendUnavailable(f"no backend can run {kind or 'this model'} on {device}: " + "; ".join(reasons))


def _refuse_plugin_graph(model) -> None:
    """`InputError` for a tensorrt-flavour ``.onnx``: no backend runs its vfi plugin nodes as a
    graph; TensorRT runs it once built into an engine. (A graph without a readable sidecar is left
    to the backend, which says what is wrong with it.)"""
    from pathlib import Path

    from vfi.core.sidecar import read_sidecar

    try:
        flavour = read_sidecar(model, "onnx").get("flavour")
    except InputError:
        return
    if flavour not in (None, "portable"):
        path = Path(model)
        raise InputError(
            f"{path.name} is a {flavour}-flavour graph whose vfi plugin nodes only TensorRT runs, and only as an engine: "
            f"build one (`vfi build {path} -o {path.with_suffix('.engine').name}`, on a machine with TensorRT) and run "
            "that, or export the portable flavour to run the graph here",
            "model",
        )


#: what ``precision="auto"`` runs a model at, per (backend, device), when the CPU runs it natively:
#: measured within 0.05 dB of fp32 on Middlebury-Other on every sequence (benchmarks/RESULTS.md)
AUTO_REDUCED_PRECISION = {("openvino", "cpu"): "bf16"}


def resolve_precision(precision: str | None, backend: str, model, device: str) -> tuple[str | None, str | None]:
    """(precision to ask the runner for, why): `precision` itself unless it is "auto".

    "auto" runs a built artifact at its own precision (None), and a model at the reduced precision
    of `AUTO_REDUCED_PRECISION` where this machine runs it natively (bf16, with fp32 coordinate
    islands, on the openvino backend on a CPU with AVX512_BF16 or AMX), else at fp32.
    """
    from vfi.runtime.backends.artifact import artifact_kind

    if precision != "auto":
        return precision, None
    if artifact_kind(model):
        return None, "auto: the artifact's own"
    reduced = AUTO_REDUCED_PRECISION.get((backend, device))
    if reduced is not None:
        from vfi.core.openvino import cpu_precisions

        if reduced in cpu_precisions():
            return reduced, f"auto: {reduced} with fp32 coordinates, native on this CPU"
        return "fp32", f"auto: fp32, this CPU has no native {reduced}"
    return "fp32", "auto: fp32"


def create_runner(
    backend: str,
    model,
    device: str = "cpu",
    precision: str | None = None,
    threads: int | None = None,
    hparams: dict | None = None,
    **options,
):
    """A runner (not yet loaded) for `model` on `backend`.

    `backend` "auto", `device` "auto" and `precision` "auto" pick by `resolve_backend`,
    `resolve_device` and `resolve_precision`; the runner says what was picked and why in
    ``backend_choice`` and ``precision_choice`` (None when nothing was picked). `options` are backend-specific keyword
    arguments (e.g. ``channels_last``, ``cuda_graphs`` for torch; ``requests`` for openvino), checked
    against the ones the backend declares; with "auto" only those the chosen backend declares are
    passed on. `hparams` override the model's hyper-parameters (e.g. ``{"flow_scale": 0.5}``).

    Raises:
        InputError: an unknown backend, device or precision name, or an option the backend does
            not declare.
        BackendUnavailable: the backend, device or precision cannot run on this machine (with
            the reason).
    """
    device = resolve_device(device)
    name, why = resolve_backend(backend, model, device)
    cls = runner_class(name)
    declared = backend_options(cls)
    if backend == "auto":
        options = {k: v for k, v in options.items() if k in declared}
    unknown = sorted(set(options) - set(declared))
    if unknown:
        offered = ", ".join(declared) or "none"
        raise InputError(f"backend {name!r} does not take option(s) {', '.join(unknown)}; its options: {offered}")
    ok, reason = cls.is_available()
    if not ok:
        raise BackendUnavailable(f"backend {name!r} is unavailable: {reason}")
    precision, precision_why = resolve_precision(precision, name, model, device)
    runner = cls(model, device=device, precision=precision, threads=threads, hparams=hparams, **options)
    runner.backend_choice = why
    runner.precision_choice = precision_why
    return runner
