"""`OpSpec`: every facet of one custom op in one place, and the `OPS` registry.

A new op is added by adding one entry to `OPS` (see `vfi.kernels.registry`). The completeness test
(`tests/kernels/test_completeness.py`) fails when a registered op lacks a facet or a parity test.
Facets are given as "module:attribute" strings and imported on first use, so that listing the ops
(or `vfi --help`) imports neither torch nor triton nor onnx.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from vfi.core.lazy import load_object
from vfi.core.tolerance import Tolerance


@dataclass(frozen=True)
class OpSpec:
    """All facets of one custom op. Each facet is a "module:attribute" path.

    Attributes:
        name: op name, also the `torch.ops.vfi.<name>` overload name.
        reference: plain PyTorch implementation, float64-capable (the semantics).
        triton: Python launcher of the Triton kernel(s) (torch tensors in and out).
        torch_op: callable that invokes `torch.ops.vfi.<name>` (registration happens on import).
        onnx_tensorrt: ONNX lowering to one custom node in domain `vfi` (plugin flavour).
        onnx_portable: ONNX lowering to standard ONNX ops only.
        onnx_executor: `onnx.reference.op_run.OpRun` subclass that executes the custom node on CPU.
        trt_plugin: module whose import registers the TensorRT plugin (`tensorrt.plugin`).
        ptx: function producing (kernel name, PTX text, launch parameters) for the AOT plugin.
        flops: FLOP formula registered with `torch.utils.flop_counter`.
        bench: function returning the GPU benchmark cases of `vfi.benchmarks.kernels` (the op and
            its straightforward PyTorch composition on realistic shapes).
        onnx_op_type: op_type of the custom node; must not equal any built-in ONNX op name.
        plugin_version: TensorRT plugin version string.
        tolerances: dtype name ("float64", "float32", "float16") -> `vfi.core.tolerance.Tolerance`
            vs the float64 reference (per element; no mean bound).
        parity_test: path of the parity test file, relative to the repository root.
    """

    name: str
    reference: str
    triton: str
    torch_op: str
    onnx_tensorrt: str
    onnx_portable: str
    onnx_executor: str
    trt_plugin: str
    ptx: str
    flops: str
    bench: str
    onnx_op_type: str
    plugin_version: str
    tolerances: dict[str, Tolerance] = field(default_factory=dict)
    parity_test: str = ""

    FACETS = (
        "reference",
        "triton",
        "torch_op",
        "onnx_tensorrt",
        "onnx_portable",
        "onnx_executor",
        "trt_plugin",
        "ptx",
        "flops",
        "bench",
    )

    def facet(self, facet: str):
        """Import and return the facet called `facet` (one of `FACETS`)."""
        if facet not in self.FACETS:
            raise KeyError(f"unknown facet {facet!r}; facets: {self.FACETS}")
        return load_object(getattr(self, facet))

    def tolerance(self, dtype) -> Tolerance:
        """Tolerance for `dtype` (a torch dtype or its name)."""
        key = dtype if isinstance(dtype, str) else str(dtype).replace("torch.", "")
        return self.tolerances[key]


@dataclass(frozen=True)
class BenchCase:
    """One GPU benchmark case of an op (returned by each op's `bench.cases()`).

    Attributes:
        op: op name (key of `OPS`).
        label: what is measured, e.g. "1920x1080 C=64".
        dtype: "float32" or "float16".
        make_inputs: (device, torch dtype) -> tuple of arguments for `run` and `baseline`.
        run: the op under test (the torch op; Triton on CUDA).
        baseline: the straightforward PyTorch composition of the same function.
        bytes_moved: minimum bytes read + written by one call (for achieved GB/s).
        flops: FLOPs of one call (0 when not meaningful).
    """

    op: str
    label: str
    dtype: str
    make_inputs: object
    run: object
    baseline: object
    bytes_moved: int
    flops: int = 0
