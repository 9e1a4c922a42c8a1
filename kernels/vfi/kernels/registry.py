"""`OPS`: every custom op of the toolkit, one `OpSpec` each (no torch import here).

Every op lives in its own package `vfi.kernels.<op>` (kernels/vfi/kernels/<op>/) with one file per facet, named by convention:

    reference.py      <op>_reference            plain PyTorch, float64-capable (the semantics)
    triton_kernel.py  <op>_triton               launcher of the Triton kernel(s)
    torch_op.py       <op>_op                   calls torch.ops.vfi.<op> (registers it on import)
    onnx_lowering.py  lower_tensorrt, lower_portable
    onnx_executor.py  <OnnxOpType>              onnx.reference OpRun class of the custom node
    trt_plugin.py     (module)                  tensorrt.plugin registration (needs TensorRT)
    ptx.py            generate_ptx              PTX for the AOT plugin (no GPU needed)
    flops.py          <op>_flops                FLOP formula (registered with flop_counter)
    bench.py          cases                     GPU benchmark cases for vfi.benchmarks.kernels

and its parity tests in `tests/kernels/test_<op>.py`. `conventional_spec` builds an entry from
that convention; an op that departs from it spells its paths out in `OpSpec(...)`.
"""

from __future__ import annotations

from vfi.core.tolerance import Tolerance
from vfi.kernels.spec import OpSpec


def conventional_spec(name: str, onnx_op_type: str, tolerances: dict[str, Tolerance], plugin_version: str = "1") -> OpSpec:
    """The `OpSpec` of op `name` laid out by the folder convention above."""
    pkg = f"vfi.kernels.{name}"
    return OpSpec(
        name=name,
        reference=f"{pkg}.reference:{name}_reference",
        triton=f"{pkg}.triton_kernel:{name}_triton",
        torch_op=f"{pkg}.torch_op:{name}_op",
        onnx_tensorrt=f"{pkg}.onnx_lowering:lower_tensorrt",
        onnx_portable=f"{pkg}.onnx_lowering:lower_portable",
        onnx_executor=f"{pkg}.onnx_executor:{onnx_op_type}",
        trt_plugin=f"{pkg}.trt_plugin",
        ptx=f"{pkg}.ptx:generate_ptx",
        flops=f"{pkg}.flops:{name}_flops",
        bench=f"{pkg}.bench:cases",
        onnx_op_type=onnx_op_type,
        plugin_version=plugin_version,
        tolerances=dict(tolerances),
        parity_test=f"tests/kernels/test_{name}.py",
    )


OPS: dict[str, OpSpec] = {
    # Tolerances vs the float64 reference on inputs in [0, 1], images up to 2048 pixels wide.
    # float32: coordinate rounding (<= 1.2e-7 * W pixels) times the image gradient, plus blending.
    # float16: one fp16 rounding of the output (<= 4.9e-4 for values <= 1), coordinates stay fp32.
    "backward_warp": conventional_spec(
        "backward_warp",
        "VfiBackwardWarp",
        {"float64": Tolerance(1e-12), "float32": Tolerance(2e-5, 1e-5), "float16": Tolerance(1e-3, 1e-3)},
    ),
    # Tolerances vs the float64 reference on img in [0, 1] (outputs are weighted means, or for "sum"
    # sums of a few colliding values, hence the rtol). float32: fp32 coordinates (<= 1.2e-7 * W
    # pixels) in the weights plus fp32 sums; on a GPU the atomic adds land in a different order
    # from run to run (a few ulp of each sum), measured within 1e-6 on CPU (interpreter), so
    # 2e-5 leaves room for the order. float16: one fp16 rounding of the output (<= 4.9e-4 for
    # values <= 1, relative for larger sums); coordinates and sums stay fp32.
    "forward_splat": conventional_spec(
        "forward_splat",
        "VfiForwardSplat",
        {"float64": Tolerance(1e-12, 1e-12), "float32": Tolerance(2e-5, 2e-5), "float16": Tolerance(1e-3, 1e-3)},
    ),
    # Tolerances vs the float64 reference on img in [0, 1]; outputs are sums of K*K weighted
    # samples (up to ~3 with unnormalised weights in [0, 1], hence the rtol). float32: fp32
    # positions (<= 1.2e-7 * W pixels) times the image gradient, plus K*K fp32 products and adds
    # (measured <= 5e-7 on CPU, interpreter). float16: one fp16 rounding of the output and of v, h,
    # mask (<= 4.9e-4 relative each); positions and sums stay fp32.
    "dsep_conv": conventional_spec(
        "dsep_conv",
        "VfiDsepConv",
        {"float64": Tolerance(1e-12, 1e-12), "float32": Tolerance(2e-5, 2e-5), "float16": Tolerance(1e-3, 1e-3)},
    ),
    # Owned by the deform_conv2d / sparse_conv2d work; tolerances are theirs to tighten.
    "deform_conv2d": conventional_spec(
        "deform_conv2d",
        "VfiDeformConv2d",
        {"float64": Tolerance(1e-10, 1e-10), "float32": Tolerance(1e-4, 1e-4), "float16": Tolerance(1e-2, 1e-2)},
    ),
    "sparse_conv2d": conventional_spec(
        "sparse_conv2d",
        "VfiSparseConv2d",
        {"float64": Tolerance(1e-10, 1e-10), "float32": Tolerance(1e-4, 1e-4), "float16": Tolerance(1e-2, 1e-2)},
    ),
}
