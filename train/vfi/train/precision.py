"""Mixed precision for training: which autocast dtype, and whether a gradient scaler is needed.

On CUDA "auto" picks bf16 where the GPU supports it (no scaler: bf16 has fp32's exponent range)
and fp16 otherwise (with `torch.amp.GradScaler`, which skips updates whose gradients overflowed).
On CPU training runs in fp32: CPU autocast rarely speeds up these convolutional networks and
changes results, so asking for it on CPU is refused rather than silently ignored.
"""

from __future__ import annotations

from vfi.core.errors import BackendUnavailable


def resolve_amp(mode: str, device: str):
    """The autocast dtype for `mode` ("auto", "off", "bf16", "fp16") on `device`, or None for fp32."""
    import torch

    if mode == "off" or (mode == "auto" and not str(device).startswith("cuda")):
        return None
    if not str(device).startswith("cuda"):
        raise BackendUnavailable(
            f"mixed precision ({mode}) trains on CUDA only; turn amp off or use device cuda", "amp", "device"
        )
    if mode == "auto":
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    if mode == "bf16" and not torch.cuda.is_bf16_supported():
        raise BackendUnavailable("this GPU does not support bf16; use amp fp16", "amp")
    return torch.bfloat16 if mode == "bf16" else torch.float16


def precision_name(dtype) -> str:
    import torch

    return {None: "fp32", torch.bfloat16: "bf16", torch.float16: "fp16"}[dtype]


def grad_scaler(dtype, device: str):
    """A GradScaler, enabled only for fp16 on CUDA (a pass-through otherwise)."""
    import torch

    enabled = dtype == torch.float16
    return torch.amp.GradScaler("cuda" if enabled else "cpu", enabled=enabled)
