"""Parity matrix of sparse_conv2d: op params x mask kind x dtype x facet, against the float64 reference.

Facets: reference (vs dense conv2d + where by construction, and the CPU gather path), both Triton
kernels (compacted index list; tile-skipping kernel of the TensorRT plugin) under the interpreter or
on CUDA, torch op (+ dense-masked autograd, fake), tensorrt-flavour export run by the ONNX reference
executor, portable export (Conv + Where) run by ONNX Runtime, PTX, TensorRT plugin, FLOPs, bench.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys

import pytest
import torch

from vfi.core.tolerance import assert_close
from vfi.kernels.registry import OPS
from vfi.kernels.sparse_conv2d import sparse_conv2d, torch_op  # noqa: F401  (torch_op registers the op)
from vfi.kernels.sparse_conv2d.reference import cpu_gather_conv, output_size, sparse_conv2d_reference

SPEC = OPS["sparse_conv2d"]
HAVE_CUDA = torch.cuda.is_available()

CASES = {
    "base": dict(n=2, cin=5, h=9, w=11, cout=7, k=(3, 3), stride=1, padding=1, dilation=1, bias=True),
    "s2_d2": dict(n=1, cin=3, h=11, w=9, cout=6, k=(3, 3), stride=2, padding=2, dilation=2, bias=False),
    "rect": dict(n=1, cin=4, h=7, w=8, cout=5, k=(1, 3), stride=(1, 2), padding=(0, 1), dilation=1, bias=True),
}
MASKS = ("empty", "full", "random", "blobs")


def make_inputs(case, mask_kind="random", fallback=True, dtype=torch.float64, seed=0):
    g = torch.Generator().manual_seed(seed)
    pair = lambda v: (v, v) if isinstance(v, int) else tuple(v)  # noqa: E731
    kh, kw = case["k"]
    ho, wo = output_size((case["h"], case["w"]), (kh, kw), pair(case["stride"]), pair(case["padding"]), pair(case["dilation"]))
    n = case["n"]
    x = torch.randn(n, case["cin"], case["h"], case["w"], generator=g, dtype=torch.float64)
    weight = torch.randn(case["cout"], case["cin"], kh, kw, generator=g, dtype=torch.float64) / (case["cin"] * kh * kw) ** 0.5
    bias = torch.randn(case["cout"], generator=g, dtype=torch.float64) if case["bias"] else None
    fb = torch.randn(n, case["cout"], ho, wo, generator=g, dtype=torch.float64) if fallback else None
    if mask_kind == "empty":
        mask = torch.zeros(n, 1, ho, wo, dtype=torch.bool)
    elif mask_kind == "full":
        mask = torch.ones(n, 1, ho, wo, dtype=torch.bool)
    elif mask_kind == "random":
        mask = torch.rand(n, 1, ho, wo, generator=g) < 0.3
    else:  # two rectangles: coherent like uncertainty masks
        mask = torch.zeros(n, 1, ho, wo, dtype=torch.bool)
        mask[:, :, : ho // 2, : wo // 3] = True
        mask[:, :, ho - 2 :, wo // 2 :] = True
    conv = lambda t: t.to(dtype) if t is not None else None  # noqa: E731
    return conv(x), mask, conv(weight), conv(bias), conv(fb), case["stride"], case["padding"], case["dilation"]


def reference(case, mask_kind="random", fallback=True):
    return sparse_conv2d_reference(*make_inputs(case, mask_kind, fallback))


def as_dtype(args, dtype):
    return tuple(a.to(dtype) if isinstance(a, torch.Tensor) and a.is_floating_point() else a for a in args)


MATRIX = [
    ("base", "random", True),
    ("base", "empty", True),
    ("base", "full", False),
    ("s2_d2", "blobs", False),
    ("s2_d2", "random", True),
    ("rect", "blobs", True),
]


# ---------------------------------------------------------------- reference / CPU path


def test_reference_is_masked_dense_conv():
    x, mask, w, b, fb, s, p, d = make_inputs(CASES["base"])
    dense = torch.nn.functional.conv2d(x, w, b, s, p, d)
    got = sparse_conv2d_reference(x, mask, w, b, fb, s, p, d)
    assert torch.equal(got[mask.expand_as(got)], dense[mask.expand_as(dense)])
    assert torch.equal(got[~mask.expand_as(got)], fb[~mask.expand_as(fb)])


@pytest.mark.parametrize("name,mask_kind,fallback", MATRIX)
def test_cpu_gather_path(name, mask_kind, fallback):
    args = make_inputs(CASES[name], mask_kind, fallback)
    assert_close(
        cpu_gather_conv(*args),
        reference(CASES[name], mask_kind, fallback),
        SPEC.tolerance("float64"),
        f"cpu gather {name} {mask_kind}",
    )


def test_reference_rejects_non_bool_mask():
    from vfi.core.errors import InputError

    x, mask, w, b, fb, s, p, d = make_inputs(CASES["base"])
    with pytest.raises(InputError, match="mask must be bool"):
        sparse_conv2d_reference(x, mask.float(), w, b, fb, s, p, d)


# ---------------------------------------------------------------- Triton


def _triton(args, device, dense_kernel):
    from vfi.kernels.sparse_conv2d.triton_kernel import sparse_conv2d_triton, sparse_conv2d_triton_dense

    fn = sparse_conv2d_triton_dense if dense_kernel else sparse_conv2d_triton
    moved = tuple(a.to(device) if isinstance(a, torch.Tensor) else a for a in args)
    return fn(*moved, block_p=16).cpu()


@pytest.mark.skipif(HAVE_CUDA, reason="interpreter variant; the GPU twin runs on CUDA machines")
@pytest.mark.parametrize("kernel", ["indexed", "tile_skipping"])
@pytest.mark.parametrize("dtype", [torch.float32, torch.float16])
@pytest.mark.parametrize("name,mask_kind,fallback", MATRIX[:4])
def test_triton_interpreter(name, mask_kind, fallback, dtype, kernel):
    args = as_dtype(make_inputs(CASES[name], mask_kind, fallback), dtype)
    assert_close(
        _triton(args, "cpu", kernel == "tile_skipping"),
        reference(CASES[name], mask_kind, fallback),
        SPEC.tolerance(dtype),
        f"triton[interp,{kernel}] {name} {mask_kind} {dtype}",
    )


@pytest.mark.gpu
@pytest.mark.skipif(not HAVE_CUDA, reason="needs a CUDA device")
@pytest.mark.parametrize("kernel", ["indexed", "tile_skipping"])
@pytest.mark.parametrize("dtype", [torch.float32, torch.float16])
@pytest.mark.parametrize("name,mask_kind,fallback", MATRIX)
def test_triton_gpu(name, mask_kind, fallback, dtype, kernel):
    args = as_dtype(make_inputs(CASES[name], mask_kind, fallback), dtype)
    assert_close(
        _triton(args, "cuda", kernel == "tile_skipping"),
        reference(CASES[name], mask_kind, fallback),
        SPEC.tolerance(dtype),
        f"triton[cuda,{kernel}] {name} {mask_kind} {dtype}",
    )


# ---------------------------------------------------------------- torch op


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
@pytest.mark.parametrize("name,mask_kind,fallback", MATRIX[:3])
def test_torch_op_cpu(name, mask_kind, fallback, dtype):
    x, mask, w, b, fb, s, p, d = as_dtype(make_inputs(CASES[name], mask_kind, fallback), dtype)
    pair = lambda v: [v, v] if isinstance(v, int) else list(v)  # noqa: E731
    got = torch.ops.vfi.sparse_conv2d(x, mask, w, b, fb, pair(s), pair(p), pair(d))
    assert got.dtype == dtype
    assert_close(got, reference(CASES[name], mask_kind, fallback), SPEC.tolerance(dtype), f"torch op {name} {dtype}")
    assert_close(sparse_conv2d(x, mask, w, b, fb, s, p, d), got, SPEC.tolerance("float64"), "public function")


@pytest.mark.gpu
@pytest.mark.skipif(not HAVE_CUDA, reason="needs a CUDA device")
@pytest.mark.parametrize("dtype", [torch.float32, torch.float16])
def test_torch_op_cuda(dtype):
    args = tuple(a.to("cuda") for a in as_dtype(make_inputs(CASES["base"]), dtype)[:5]) + (1, 1, 1)
    assert_close(sparse_conv2d(*args).cpu(), reference(CASES["base"]), SPEC.tolerance(dtype), f"torch op cuda {dtype}")


@pytest.mark.parametrize("fallback", [True, False])
def test_gradcheck_dense_masked_backward(fallback):
    """Grads for x, weight, bias, fallback through the dense masked form, float64, tiny shapes."""
    case = dict(CASES["base"], n=1, cin=2, h=5, w=6, cout=3)
    x, mask, w, b, fb, s, p, d = make_inputs(case, "random", fallback)
    leaves = [t.requires_grad_() if t is not None else None for t in (x, w, b, fb)]

    def fn(x, w, b, fb):
        return sparse_conv2d(x, mask, w, b, fb, s, p, d)

    assert torch.autograd.gradcheck(fn, tuple(leaves), eps=1e-6, atol=1e-6, fast_mode=True)


def test_opcheck_fake_and_schema():
    x, mask, w, b, fb, s, p, d = make_inputs(CASES["base"], dtype=torch.float32)
    torch.library.opcheck(
        torch.ops.vfi.sparse_conv2d.default,
        (x, mask, w, b, fb, [s, s], [p, p], [d, d]),
        test_utils=("test_schema", "test_faketensor", "test_autograd_registration"),
    )


# ---------------------------------------------------------------- ONNX


class _Net(torch.nn.Module):
    def __init__(self, case, fallback):
        super().__init__()
        _, _, w, b, _, *geometry = make_inputs(case, dtype=torch.float32)
        self.weight = torch.nn.Parameter(w)
        self.bias = torch.nn.Parameter(b) if b is not None else None
        self.use_fallback = fallback
        self.geometry = geometry

    def forward(self, x, mask, fallback):
        return sparse_conv2d(x, mask, self.weight, self.bias, fallback if self.use_fallback else None, *self.geometry)


def _export(case, mask_kind, fallback, flavour):
    from vfi.kernels.export_flavour import onnx_flavour

    x, mask, _, _, fb, *_ = make_inputs(case, mask_kind, True, torch.float32)
    with onnx_flavour(flavour):
        program = torch.onnx.export(
            _Net(case, fallback).eval(), (x, mask, fb), dynamo=True, opset_version=18, verbose=False, report=False
        )
    model = program.model_proto
    feeds = {i.name: t.numpy() for i, t in zip(model.graph.input, (x, mask, fb))}
    return model, feeds


@pytest.mark.parametrize("name,mask_kind,fallback", [MATRIX[0], MATRIX[3]])
def test_onnx_tensorrt_flavour_reference_executor(name, mask_kind, fallback):
    from onnx.reference import ReferenceEvaluator

    from vfi.kernels.onnx_lint import lint
    from vfi.kernels.sparse_conv2d.onnx_executor import VfiSparseConv2d

    model, feeds = _export(CASES[name], mask_kind, fallback, "tensorrt")
    nodes = [n for n in model.graph.node if n.domain == "vfi"]
    assert [n.op_type for n in nodes] == [SPEC.onnx_op_type]
    assert {
        "plugin_namespace",
        "plugin_version",
        "kernel_shape",
        "stride",
        "padding",
        "dilation",
        "has_bias",
        "has_fallback",
    } <= {a.name for a in nodes[0].attribute}
    assert lint(model) == []
    got = ReferenceEvaluator(model, new_ops=[VfiSparseConv2d]).run(None, feeds)[0]
    assert_close(got, reference(CASES[name], mask_kind, fallback), SPEC.tolerance("float32"), f"onnx reference executor {name}")


@pytest.mark.parametrize("name,mask_kind,fallback", [MATRIX[0], MATRIX[3], MATRIX[5]])
def test_onnx_portable_onnxruntime(name, mask_kind, fallback):
    import onnxruntime as ort

    model, feeds = _export(CASES[name], mask_kind, fallback, "portable")
    assert {"Conv", "Where"} <= {n.op_type for n in model.graph.node}
    assert all(n.domain in ("", "ai.onnx") for n in model.graph.node)
    session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    used = {i.name for i in session.get_inputs()}
    got = session.run(None, {k: v for k, v in feeds.items() if k in used})[0]
    assert_close(got, reference(CASES[name], mask_kind, fallback), SPEC.tolerance("float32"), f"onnxruntime {name}")


def test_onnx_executor_float16_and_empty_mask():
    from vfi.kernels.sparse_conv2d.onnx_executor import sparse_conv2d_numpy

    for mask_kind in ("random", "empty"):
        x, mask, w, b, fb, s, p, d = as_dtype(make_inputs(CASES["base"], mask_kind), torch.float16)
        got = sparse_conv2d_numpy(x.numpy(), mask.numpy(), w.numpy(), b.numpy(), fb.numpy(), [s, s], [p, p], [d, d])
        assert_close(got, reference(CASES["base"], mask_kind), SPEC.tolerance("float16"), f"onnx executor fp16 {mask_kind}")


# ---------------------------------------------------------------- PTX / TensorRT


def test_ptx_compiles_for_sm90():
    from vfi.kernels.sparse_conv2d.ptx import KERNEL_PARAMS, generate_ptx_subprocess

    for dtype in ("float16", "float32"):
        kernel = generate_ptx_subprocess(dtype=dtype, kernel_shape=[3, 3], has_bias=True, has_fallback=False)
        assert ".target sm_90" in kernel.ptx
        assert f".entry {kernel.name}" in kernel.ptx and kernel.name == "sparse_conv2d_dense_kernel"
        assert len(kernel.params) == len(KERNEL_PARAMS)
        assert kernel.shared_mem <= 48 * 1024


@pytest.mark.skipif(importlib.util.find_spec("tensorrt") is not None, reason="TensorRT is installed here")
def test_trt_plugin_import_without_tensorrt():
    from vfi.core.errors import BackendUnavailable

    proc = subprocess.run(
        [sys.executable, "-c", "import vfi.kernels.sparse_conv2d.trt_plugin"],
        capture_output=True,
        text=True,
        env=dict(os.environ),
    )
    assert proc.returncode != 0 and "BackendUnavailable" in proc.stderr and "TensorRT" in proc.stderr
    with pytest.raises(BackendUnavailable):
        import vfi.kernels.sparse_conv2d.trt_plugin  # noqa: F401


@pytest.mark.tensorrt
@pytest.mark.skipif(importlib.util.find_spec("tensorrt") is None or not HAVE_CUDA, reason="needs TensorRT and a CUDA device")
@pytest.mark.parametrize("name,mask_kind,fallback", [MATRIX[0], MATRIX[3]])
def test_tensorrt_engine_parity(name, mask_kind, fallback):
    from tests.kernels.test_deform_conv2d import run_tensorrt

    model, feeds = _export(CASES[name], mask_kind, fallback, "tensorrt")
    got = run_tensorrt(model, feeds, "vfi.kernels.sparse_conv2d.trt_plugin")
    assert_close(got, reference(CASES[name], mask_kind, fallback), SPEC.tolerance("float32"), f"TensorRT plugin {name}")


# ---------------------------------------------------------------- FLOPs, bench


@pytest.mark.parametrize("mask_kind", ["empty", "random", "full"])
def test_flop_counter_counts_active_outputs(mask_kind):
    from torch.utils.flop_counter import FlopCounterMode

    x, mask, w, b, fb, s, p, d = make_inputs(CASES["base"], mask_kind, dtype=torch.float32)
    with FlopCounterMode(display=False) as counter:
        sparse_conv2d(x, mask, w, b, fb, s, p, d)
    cout, cin, kh, kw = w.shape
    assert counter.get_total_flops() == int(mask.sum()) * cout * (2 * cin * kh * kw + 1)


def test_flops_under_fake_tensors_is_dense_bound():
    from torch._subclasses.fake_tensor import FakeTensorMode
    from torch.utils.flop_counter import FlopCounterMode

    from vfi.kernels.sparse_conv2d.flops import dense_flops

    x, mask, w, b, fb, s, p, d = make_inputs(CASES["base"], dtype=torch.float32)
    with FakeTensorMode(allow_non_fake_inputs=True) as mode:
        fx, fm, fw, fbias = (mode.from_tensor(t) for t in (x, mask, w, b))
        with FlopCounterMode(display=False) as counter:
            sparse_conv2d(fx, fm, fw, fbias, None, s, p, d)
    assert counter.get_total_flops() == dense_flops(x.shape, w.shape, mask.shape[2:], True)


def test_bench_cases_run_on_cpu():
    from vfi.kernels.sparse_conv2d.bench import FRACTIONS, cases

    all_cases = cases()
    assert len(all_cases) == 2 * len(FRACTIONS)
    small = cases(height=40, width=48, channels=4, fractions=(0.2,), dtypes=("float32",))[0]
    args = small.make_inputs("cpu", torch.float32)
    assert_close(small.run(*args), small.baseline(*args), SPEC.tolerance("float32"), "bench op vs dense baseline")
