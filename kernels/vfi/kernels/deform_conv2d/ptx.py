"""PTX of the deform_conv2d Triton kernel for the TensorRT AOT plugin, compiled without a GPU.

`generate_ptx` runs `triton.compile(ASTSource(...), target=GPUTarget("cuda", arch, 32))` in this
process, which must not have `TRITON_INTERPRET` set; `generate_ptx_subprocess` runs it in a fresh
process without it. The trailing hidden scratch parameters that Triton appends are removed when the
kernel does not read them (`vfi.kernels.backward_warp.ptx.strip_hidden_params`), so the `.entry`
declares exactly inputs, int32 scalars, output: what TensorRT's AOT launcher passes.

`compile_aot` is the generic step, also used by `vfi.kernels.sparse_conv2d.ptx`.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

TRITON_TYPES = {"float32": "fp32", "float16": "fp16"}

# Non-constexpr parameters of `deform_conv2d_kernel`, in order (None = pointer to the data dtype).
KERNEL_PARAMS = (
    ("x_ptr", None),
    ("offset_ptr", None),
    ("mask_ptr", None),
    ("weight_ptr", None),
    ("bias_ptr", None),
    *(
        (name, "i32")
        for name in (
            "N",
            "C",
            "H",
            "W",
            "COUT",
            "HO",
            "WO",
            "STRIDE_H",
            "STRIDE_W",
            "PAD_H",
            "PAD_W",
            "DIL_H",
            "DIL_W",
            "GROUPS",
            "OFFSET_GROUPS",
        )
    ),
    ("out_ptr", None),
)
# fp32 uses IEEE dot (no tensor cores) whose operands are staged in shared memory: smaller N tile
# keeps it under the 48 KiB a launch gets without an opt-in (TensorRT's AOT launcher sets no opt-in).
BLOCKS = {"float16": dict(BLOCK_M=64, BLOCK_N=64, BLOCK_K=16), "float32": dict(BLOCK_M=32, BLOCK_N=32, BLOCK_K=16)}
NUM_WARPS = 4
MAX_STATIC_SHARED = 48 * 1024


def compile_aot(fn, params, constexprs: dict, dtype: str, num_warps: int, arch: int, pointer_types: dict | None = None):
    """Compile Triton `fn` to PTX for sm_`arch`; returns `backward_warp.ptx.PtxKernel`.

    params: ((name, "i32" | None), ...) non-constexpr parameters in order; None = `*<dtype>`;
    pointer_types overrides the type of named pointers (e.g. {"mask_ptr": "*u8"}).
    """
    if os.environ.get("TRITON_INTERPRET", "0") not in ("", "0"):
        raise RuntimeError("PTX cannot be compiled with TRITON_INTERPRET set; use generate_ptx_subprocess")
    import triton
    from triton.backends.compiler import GPUTarget
    from triton.compiler import ASTSource

    from vfi.kernels.backward_warp.ptx import PtxKernel, entry_params, strip_hidden_params

    pointer_types = pointer_types or {}
    signature = {name: kind or pointer_types.get(name, "*" + TRITON_TYPES[dtype]) for name, kind in params}
    signature.update({name: "constexpr" for name in constexprs})
    compiled = triton.compile(
        ASTSource(fn=fn, signature=signature, constexprs=dict(constexprs)),
        target=GPUTarget("cuda", arch, 32),
        options={"num_warps": num_warps, "enable_fp_fusion": True},
    )
    meta = compiled.metadata
    for what in ("global_scratch_size", "profile_scratch_size"):
        if getattr(meta, what, 0):
            raise RuntimeError(f"{meta.name} needs {what}={getattr(meta, what)}; TensorRT AOT plugins cannot provide it")
    if meta.shared > MAX_STATIC_SHARED:
        raise RuntimeError(f"{meta.name} needs {meta.shared} bytes of shared memory (> 48 KiB); use smaller blocks")
    ptx, removed = strip_hidden_params(compiled.asm["ptx"], meta.name, len(params))
    block = constexprs.get("BLOCK_M", constexprs.get("BLOCK_P", 0))
    return PtxKernel(
        name=meta.name,
        ptx=ptx,
        num_warps=meta.num_warps,
        shared_mem=meta.shared,
        block=block,
        params=tuple(entry_params(ptx, meta.name)),
        hidden_params_removed=removed,
    )


def generate_ptx(
    dtype: str = "float16",
    kernel_shape=(3, 3),
    has_mask: bool = True,
    has_bias: bool = True,
    arch: int = 90,
    num_warps: int = NUM_WARPS,
    **blocks,
):
    """PTX of `deform_conv2d_kernel` for data `dtype` ("float32"/"float16") and sm_`arch`.

    The kernel shape and the presence of mask and bias are compile-time constants (plugin attributes);
    all shape-dependent values are int32 kernel arguments. Returns a `PtxKernel`.
    """
    from vfi.kernels.deform_conv2d.triton_kernel import deform_conv2d_kernel

    constexprs = dict(
        KH=int(kernel_shape[0]),
        KW=int(kernel_shape[1]),
        HAS_MASK=bool(has_mask),
        HAS_BIAS=bool(has_bias),
        HALF=dtype == "float16",
        **{**BLOCKS[dtype], **blocks},
    )
    return compile_aot(deform_conv2d_kernel, KERNEL_PARAMS, constexprs, dtype, num_warps, arch)


def run_in_subprocess(module: str, kwargs: dict):
    """Call `<module>.generate_ptx(**kwargs)` in a process without TRITON_INTERPRET; returns a `PtxKernel`."""
    from vfi.kernels.backward_warp.ptx import PtxKernel

    env = {k: v for k, v in os.environ.items() if k != "TRITON_INTERPRET"}
    code = (
        "import json, sys\nfrom dataclasses import asdict\n"
        f"from {module} import generate_ptx\n"
        "json.dump(asdict(generate_ptx(**json.loads(sys.argv[1]))), sys.stdout)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code, json.dumps(kwargs)], env=env, capture_output=True, text=True, timeout=600)
    if proc.returncode != 0:
        raise RuntimeError(f"PTX generation failed:\n{proc.stderr[-3000:]}")
    data = json.loads(proc.stdout)
    data["params"] = tuple(data["params"])
    return PtxKernel(**data)


def generate_ptx_subprocess(**kwargs):
    """`generate_ptx(**kwargs)` in a fresh process without TRITON_INTERPRET (usable under the interpreter)."""
    return run_in_subprocess(__name__, kwargs)
