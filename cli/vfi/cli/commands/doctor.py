"""`vfi doctor`: which libraries, devices and backends this machine has, and why any is missing."""

from __future__ import annotations

import importlib
import importlib.metadata
import os
import platform
from dataclasses import dataclass


@dataclass
class Check:
    """One line of the doctor's report."""

    name: str
    ok: bool
    version: str
    detail: str


def _version(dist: str) -> str:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return "-"


def _short(exc: BaseException) -> str:
    from vfi.core.messages import short_error

    return short_error(exc, 160, with_type=True)


def check_torch() -> list[Check]:
    try:
        import torch
    except Exception as exc:  # doctor reports every failure instead of raising
        return [Check("torch", False, "-", _short(exc)), Check("cuda", False, "-", "torch missing")]
    checks = [Check("torch", True, torch.__version__, f"{torch.get_num_threads()} CPU threads")]
    if torch.cuda.is_available():
        names = ", ".join(torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count()))
        checks.append(Check("cuda", True, str(torch.version.cuda), names))
    else:
        why = "CPU-only torch build" if torch.version.cuda is None else "no CUDA device visible"
        checks.append(Check("cuda", False, str(torch.version.cuda or "-"), why))
    return checks


def check_onnxruntime() -> Check:
    try:
        import onnxruntime as ort
    except Exception as exc:
        return Check("onnxruntime", False, "-", _short(exc))
    return Check("onnxruntime", True, ort.__version__, "providers: " + ", ".join(ort.get_available_providers()))


def check_triton() -> Check:
    try:
        import triton
    except Exception as exc:
        return Check("triton", False, "-", _short(exc))
    mode = (
        "interpreter (TRITON_INTERPRET=1)" if os.environ.get("TRITON_INTERPRET") == "1" else "compiled kernels need a CUDA device"
    )
    return Check("triton", True, triton.__version__, mode)


def check_tensorrt() -> Check:
    try:
        import tensorrt as trt

        trt.Builder(trt.Logger(trt.Logger.ERROR))
    except Exception as exc:
        return Check(
            "tensorrt",
            False,
            _version("tensorrt") if _version("tensorrt") != "-" else _version("tensorrt-cu13-bindings"),
            "builder unavailable (" + _short(exc) + "); the builder libraries come from NVIDIA's package index",
        )
    return Check("tensorrt", True, trt.__version__, "builder available")


def check_module(name: str, dist: str, purpose: str) -> Check:
    try:
        importlib.import_module(name)
    except Exception as exc:
        return Check(dist, False, "-", f"{purpose}: {_short(exc)}")
    return Check(dist, True, _version(dist), purpose)


def check_backends() -> list[Check]:
    """Ask each registered runtime backend whether it can run here."""
    try:
        from vfi.runtime.backends import BACKENDS, runner_class
    except Exception as exc:
        return [Check("backends", False, "-", _short(exc))]
    checks = []
    for name in BACKENDS:
        try:
            cls = runner_class(name)
            ok, reason = cls.is_available()
            if ok and not reason:
                offered = cls.model_precisions()
                reason = (
                    "model precisions: " + "; ".join(f"{device} {', '.join(p)}" for device, p in offered.items() if p)
                    if offered
                    else "runs built artifacts, each at its own precision"
                )
            checks.append(Check(f"backend {name}", ok, cls.version() if ok else "-", reason))
        except Exception as exc:
            checks.append(Check(f"backend {name}", False, "-", _short(exc)))
    return checks


def run_checks() -> list[Check]:
    """Every check of `vfi doctor`, in report order."""
    checks = [
        Check("python", True, platform.python_version(), f"{platform.system()} {platform.machine()}, {os.cpu_count()} cores")
    ]
    checks += check_torch()
    checks.append(check_onnxruntime())
    checks.append(check_module("onnx", "onnx", "graph checking and the ONNX reference executor"))
    checks.append(check_triton())
    checks.append(check_tensorrt())
    checks.append(
        check_module(
            "tensorrt_lean", "tensorrt-lean-cu13-bindings", "TensorRT lean runtime: runs engines built with --version-compatible"
        )
    )
    checks.append(check_module("cuda.bindings.runtime", "cuda-bindings", "device buffers and streams of the TensorRT runner"))
    checks.append(check_module("av", "av", "video decode/encode (FFmpeg through PyAV)"))
    checks += check_backends()
    return checks


def doctor_command() -> None:
    """Report versions and availability of torch, CUDA, ONNX Runtime, Triton, TensorRT and backends."""
    from rich.table import Table

    from vfi.cli.console import console
    from vfi.core.cache import cache_dir

    table = Table(title=f"vfi doctor (cache: {cache_dir()})")
    for column in ("component", "status", "version", "detail"):
        table.add_column(column, no_wrap=column in ("name", "component"))
    for check in run_checks():
        table.add_row(check.name, "[green]ok[/]" if check.ok else "[yellow]missing[/]", check.version, check.detail)
    console().print(table)
