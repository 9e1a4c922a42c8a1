"""PTX of the fused Triton kernel for the TensorRT AOT plugin, compiled without a GPU.

`generate_ptx` runs `triton.compile(ASTSource(...), target=GPUTarget("cuda", arch, 32))`. It must
run in a process where `TRITON_INTERPRET` is unset (under the interpreter the kernel is not
compilable); `generate_ptx_subprocess` does that for callers that live under the interpreter
(tests on CPU machines).

Triton >= 3.3 appends hidden parameters to every kernel (`global_scratch`, and since 3.5
`profile_scratch`). TensorRT's AOT launcher passes only inputs, the declared int32 scalars and
outputs, so the PTX handed to it must declare exactly those. When the compiled kernel uses no
scratch memory (sizes 0, checked), the trailing hidden parameters are never read and are removed
from the `.entry` declaration; a kernel that does need scratch is refused.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass

_TRITON_TYPES = {"float32": "fp32", "float16": "fp16"}


@dataclass(frozen=True)
class PtxKernel:
    """One compiled kernel: what the AOT plugin returns to TensorRT."""

    name: str
    ptx: str
    num_warps: int
    shared_mem: int
    block: int
    params: tuple[str, ...]  # kernel parameter names in launch order (after stripping)
    hidden_params_removed: int

    @property
    def threads_per_block(self) -> int:
        return self.num_warps * 32


def kernel_signature(dtype: str, flow_dtype: str | None = None) -> dict[str, str]:
    """Triton signature of `backward_warp_kernel` for data `dtype` ("float32"/"float16")."""
    from vfi.kernels.backward_warp.triton_kernel import KERNEL_PARAMS

    data = _TRITON_TYPES[dtype]
    flow = _TRITON_TYPES[flow_dtype or dtype]
    sig = {}
    for name, kind in KERNEL_PARAMS:
        if kind is None:
            kind = "*" + (flow if name == "flow_ptr" else data)
        sig[name] = kind
    sig["BLOCK"] = "constexpr"
    return sig


def entry_params(ptx: str, name: str) -> list[str]:
    """Parameter names declared by `.entry name(...)` in `ptx`."""
    match = re.search(r"\.entry\s+" + re.escape(name) + r"\s*\((.*?)\)", ptx, re.S)
    if match is None:
        raise ValueError(f"no .entry {name} in PTX")
    return re.findall(r"(" + re.escape(name) + r"_param_\d+)", match.group(1))


def strip_hidden_params(ptx: str, name: str, keep: int) -> tuple[str, int]:
    """Remove the `.entry` parameters after the first `keep`, after checking that none is read."""
    params = entry_params(ptx, name)
    hidden = params[keep:]
    match = re.search(r"(\.entry\s+" + re.escape(name) + r"\s*\()(.*?)(\))", ptx, re.S)
    body = ptx[match.end() :]
    for param in hidden:
        if re.search(re.escape(param) + r"\b", body):
            raise RuntimeError(f"Triton kernel {name} reads hidden parameter {param}; it cannot run as a TensorRT AOT plugin")
    decls = [d.strip() for d in match.group(2).split(",") if d.strip()]
    kept = ",\n\t".join(decls[:keep])
    return ptx[: match.start(2)] + "\n\t" + kept + "\n" + ptx[match.end(2) :], len(hidden)


def generate_ptx(
    dtype: str = "float16", flow_dtype: str | None = None, block: int | None = None, num_warps: int | None = None, arch: int = 90
) -> PtxKernel:
    """Compile `backward_warp_kernel` for data `dtype` and compute capability `arch` (e.g. 90).

    Needs triton but no GPU; raises RuntimeError under `TRITON_INTERPRET=1`.
    """
    if os.environ.get("TRITON_INTERPRET", "0") not in ("", "0"):
        raise RuntimeError("generate_ptx cannot run with TRITON_INTERPRET set; use generate_ptx_subprocess")
    import triton
    from triton.backends.compiler import GPUTarget
    from triton.compiler import ASTSource

    from vfi.kernels.backward_warp import triton_kernel as tk

    block = block or tk.BLOCK
    num_warps = num_warps or tk.NUM_WARPS
    src = ASTSource(fn=tk.backward_warp_kernel, signature=kernel_signature(dtype, flow_dtype), constexprs={"BLOCK": block})
    compiled = triton.compile(src, target=GPUTarget("cuda", arch, 32), options={"num_warps": num_warps, "enable_fp_fusion": True})
    meta = compiled.metadata
    for what in ("global_scratch_size", "profile_scratch_size"):
        if getattr(meta, what, 0):
            raise RuntimeError(f"backward_warp_kernel needs {what}={getattr(meta, what)}; TensorRT AOT plugins cannot provide it")
    keep = len(tk.KERNEL_PARAMS)
    ptx, removed = strip_hidden_params(compiled.asm["ptx"], meta.name, keep)
    return PtxKernel(
        name=meta.name,
        ptx=ptx,
        num_warps=meta.num_warps,
        shared_mem=meta.shared,
        block=block,
        params=tuple(entry_params(ptx, meta.name)),
        hidden_params_removed=removed,
    )


def generate_ptx_subprocess(dtype: str = "float16", **kwargs) -> PtxKernel:
    """`generate_ptx` in a fresh Python process without `TRITON_INTERPRET` (usable under the interpreter)."""
    env = {k: v for k, v in os.environ.items() if k != "TRITON_INTERPRET"}
    env.setdefault("TRITON_DEFAULT_FP_FUSION", "1")
    code = (
        "import json, sys\n"
        "from dataclasses import asdict\n"
        "from vfi.kernels.backward_warp.ptx import generate_ptx\n"
        "k = generate_ptx(**json.loads(sys.argv[1]))\n"
        "json.dump(asdict(k), sys.stdout)\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code, json.dumps({"dtype": dtype, **kwargs})], env=env, capture_output=True, text=True, timeout=300
    )
    if proc.returncode != 0:
        raise RuntimeError(f"PTX generation failed:\n{proc.stderr[-3000:]}")
    data = json.loads(proc.stdout)
    data["params"] = tuple(data["params"])
    return PtxKernel(**data)


__all__ = ["PtxKernel", "generate_ptx", "generate_ptx_subprocess", "kernel_signature"]
