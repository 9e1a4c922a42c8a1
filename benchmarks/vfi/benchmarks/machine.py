"""Where a measurement was taken: CPU, cores, threads, GPU, library versions; and host memory.

Nothing here imports torch unless asked about CUDA, so describing the machine is cheap.
"""

from __future__ import annotations

import importlib.metadata
import os
import platform
import resource
import sys
from pathlib import Path

#: distributions whose versions every result records (missing ones are written as null)
LIBRARIES = ("vfi", "torch", "numpy", "onnx", "onnxruntime", "onnxruntime-gpu", "openvino", "triton", "tensorrt", "av", "pillow")
#: CPU flags that decide which reduced precisions run natively (named beside every CPU figure)
PRECISION_FLAGS = ("avx2", "avx512f", "avx512_vnni", "avx512_bf16", "avx512_fp16", "amx_bf16", "amx_int8", "amx_fp16")


def cpu_model() -> str:
    """The CPU's model name (from /proc/cpuinfo on Linux; platform otherwise)."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.lower().startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def cpu_flags() -> list[str]:
    """Which of `PRECISION_FLAGS` this CPU has (from /proc/cpuinfo; [] where it cannot be read)."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.lower().startswith("flags"):
                present = set(line.split(":", 1)[1].split())
                return [flag for flag in PRECISION_FLAGS if flag in present]
    except OSError:
        pass
    return []


def usable_cores() -> int:
    """Cores this process may run on (its affinity mask where the OS has one)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def machine_info(device: str = "cpu", threads: int | None = None) -> dict:
    """The machine as results record it. `threads`: intra-op threads the measurement used."""
    info = {
        "cpu": cpu_model(),
        "cpu_flags": cpu_flags(),
        "cpu_cores": os.cpu_count(),
        "usable_cores": usable_cores(),
        "threads": threads,
        "platform": f"{platform.system()} {platform.release()} {platform.machine()}",
        "python": platform.python_version(),
        "device": device,
        "gpu": None,
    }
    if device == "cuda":
        try:
            import torch

            if torch.cuda.is_available():
                index = torch.cuda.current_device()
                info["gpu"] = torch.cuda.get_device_name(index)
                info["cuda"] = torch.version.cuda
        except ImportError:
            pass
    return info


def library_versions() -> dict[str, str | None]:
    """Installed versions of `LIBRARIES` (None where absent); no library is imported."""
    versions = {"python": platform.python_version()}
    for dist in LIBRARIES:
        try:
            versions[dist] = importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            versions[dist] = None
    return versions


class HostPeakMemory:
    """Peak resident memory of this process during a block, above its level at the start (bytes).

    On Linux the kernel's high-water mark (VmHWM) is reset at the start by writing "5" to
    /proc/self/clear_refs, so each block gets its own peak. Elsewhere (or if the reset is refused)
    the process-lifetime peak from `resource.getrusage` is used; then a block that stays below an
    earlier peak reads 0, and `exact` is False.

        with HostPeakMemory() as mem: ...
        mem.delta_bytes
    """

    def __init__(self) -> None:
        self.exact = False
        self.baseline = 0
        self.delta_bytes: int | None = None

    @staticmethod
    def _status_kb(field: str) -> int | None:
        try:
            for line in Path("/proc/self/status").read_text().splitlines():
                if line.startswith(field + ":"):
                    return int(line.split()[1])
        except (OSError, ValueError, IndexError):
            return None
        return None

    @staticmethod
    def _rusage_peak_bytes() -> int:
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return peak if sys.platform == "darwin" else peak * 1024  # bytes on macOS, KiB on Linux

    def __enter__(self) -> HostPeakMemory:
        try:
            Path("/proc/self/clear_refs").write_text("5")
            rss = self._status_kb("VmRSS")
            self.exact = rss is not None
            self.baseline = rss * 1024 if rss is not None else self._rusage_peak_bytes()
        except OSError:
            self.exact = False
            self.baseline = self._rusage_peak_bytes()
        return self

    def __exit__(self, *exc_info) -> None:
        hwm = self._status_kb("VmHWM") if self.exact else None
        peak = hwm * 1024 if hwm is not None else self._rusage_peak_bytes()
        self.delta_bytes = max(0, peak - self.baseline)
