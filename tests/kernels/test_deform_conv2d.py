"""Parity matrix of deform_conv2d: op params x dtype x facet, all against the float64 reference.

Facets: reference (vs ONNX's own DeformConv in onnx.reference, an independent implementation),
Triton kernel under the interpreter (CPU) or compiled (GPU twin), torch op (+ autograd, fake),
tensorrt-flavour export run by the ONNX reference executor with our OpRun, portable export run by
ONNX Runtime, PTX compilation, TensorRT plugin, FLOP formula, benchmark cases.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys

import numpy as np
import pytest
import torch

from vfi.core.tolerance import assert_close
from vfi.kernels.deform_conv2d import deform_conv2d, torch_op  # noqa: F401  (torch_op registers torch.ops.vfi.deform_conv2d)
from vfi.kernels.deform_conv2d.reference import deform_conv2d_reference, output_size
from vfi.kernels.registry import OPS

SPEC = OPS["deform_conv2d"]
HAVE_CUDA = torch.cuda.is_available()

# name -> geometry. Odd sizes everywhere; offsets drawn as integer part * scale + a fraction in
# [0.1, 0.9] so no sample sits on an integer coordinate (bilinear kink) -- needed by gradcheck.
CASES = {
    "base": dict(
        n=1, cin=4, h=7, w=9, cout=6, k=(3, 3), stride=1, padding=1, dilation=1, groups=1, og=1, mask=True, bias=True, scale=2
    ),
    "s2_d2_g2_og2_nomask": dict(
        n=2, cin=4, h=9, w=7, cout=4, k=(3, 3), stride=2, padding=0, dilation=2, groups=2, og=2, mask=False, bias=False, scale=2
    ),
    "large_offsets": dict(
        n=1, cin=4, h=6, w=7, cout=3, k=(3, 3), stride=1, padding=2, dilation=1, groups=1, og=2, mask=True, bias=True, scale=8
    ),
    "rect_kernel": dict(
        n=1,
        cin=2,
        h=5,
        w=8,
        cout=5,
        k=(2, 3),
        stride=(1, 2),
        padding=(1, 0),
        dilation=(2, 1),
        groups=1,
        og=1,
        mask=True,
        bias=False,
        scale=1,
    ),
}


def make_inputs(case, dtype=torch.float64, seed=0):
    g = torch.Generator().manual_seed(seed)
    pair = lambda v: (v, v) if isinstance(v, int) else tuple(v)  # noqa: E731
    kh, kw = case["k"]
    ho, wo = output_size((case["h"], case["w"]), (kh, kw), pair(case["stride"]), pair(case["padding"]), pair(case["dilation"]))
    x = torch.randn(case["n"], case["cin"], case["h"], case["w"], generator=g, dtype=torch.float64)
    taps = case["og"] * kh * kw
    whole = torch.round(torch.randn(case["n"], 2 * taps, ho, wo, generator=g, dtype=torch.float64) * case["scale"])
    offset = whole + 0.1 + 0.8 * torch.rand(whole.shape, generator=g, dtype=torch.float64)
    mask = torch.rand(case["n"], taps, ho, wo, generator=g, dtype=torch.float64) if case["mask"] else None
    fan_in = case["cin"] // case["groups"] * kh * kw
    weight = torch.randn(case["cout"], case["cin"] // case["groups"], kh, kw, generator=g, dtype=torch.float64) / fan_in**0.5
    bias = torch.randn(case["cout"], generator=g, dtype=torch.float64) if case["bias"] else None
    conv = lambda t: t.to(dtype) if t is not None else None  # noqa: E731
    return (
        conv(x),
        conv(offset),
        conv(mask),
        conv(weight),
        conv(bias),
        case["stride"],
        case["padding"],
        case["dilation"],
        case["groups"],
        case["og"],
    )


def reference(case):
    return deform_conv2d_reference(*make_inputs(case))


def as_dtype(args, dtype):
    return tuple(a.to(dtype) if isinstance(a, torch.Tensor) else a for a in args)


# ---------------------------------------------------------------- reference


@pytest.mark.parametrize("name", ["s2_d2_g2_og2_nomask", "rect_kernel"])
def test_reference_matches_onnx_deformconv(name):
    """Our reference vs onnx.reference's DeformConv (independent, loop-based; slow, so small cases)."""
    from onnx.reference.ops.op_deform_conv import DeformConv

    x, off, mask, w, b, s, p, d, g, og = make_inputs(CASES[name])
    pair = lambda v: [v, v] if isinstance(v, int) else list(v)  # noqa: E731
    pads = pair(p)
    got = DeformConv.eval(
        x.numpy(),
        w.numpy(),
        off.numpy(),
        None if b is None else b.numpy(),
        None if mask is None else mask.numpy(),
        dilations=pair(d),
        group=g,
        kernel_shape=list(w.shape[2:]),
        offset_group=og,
        pads=pads + pads,
        strides=pair(s),
    )
    # onnx.reference normalises grid coordinates and back in float32-ish arithmetic: ~1e-6.
    assert_close(got, reference(CASES[name]), SPEC.tolerance("float32"), f"onnx.reference DeformConv {name}")


def test_reference_zero_offsets_is_conv2d():
    case = dict(CASES["base"], mask=False)
    x, off, _, w, b, s, p, d, g, og = make_inputs(case)
    got = deform_conv2d_reference(x, torch.zeros_like(off), None, w, b, s, p, d, g, og)
    assert_close(got, torch.nn.functional.conv2d(x, w, b, s, p, d, g), SPEC.tolerance("float64"), "zero offsets")


def test_reference_rejects_bad_offset_shape():
    from vfi.core.errors import InputError

    x, off, mask, w, b, s, p, d, g, og = make_inputs(CASES["base"])
    with pytest.raises(InputError, match="offset must be"):
        deform_conv2d_reference(x, off[:, :-1], mask, w, b, s, p, d, g, og)


# ---------------------------------------------------------------- Triton


def _triton(args, device):
    from vfi.kernels.deform_conv2d.triton_kernel import deform_conv2d_triton

    moved = tuple(a.to(device) if isinstance(a, torch.Tensor) else a for a in args)
    return deform_conv2d_triton(*moved, block_m=32).cpu()


@pytest.mark.skipif(HAVE_CUDA, reason="interpreter variant; the GPU twin runs on CUDA machines")
@pytest.mark.parametrize("dtype", [torch.float32, torch.float16])
@pytest.mark.parametrize("name", list(CASES))
def test_triton_interpreter(name, dtype):
    args = as_dtype(make_inputs(CASES[name]), dtype)
    assert_close(_triton(args, "cpu"), reference(CASES[name]), SPEC.tolerance(dtype), f"triton[interp] {name} {dtype}")


@pytest.mark.gpu
@pytest.mark.skipif(not HAVE_CUDA, reason="needs a CUDA device")
@pytest.mark.parametrize("dtype", [torch.float32, torch.float16])
@pytest.mark.parametrize("name", list(CASES))
def test_triton_gpu(name, dtype):
    args = as_dtype(make_inputs(CASES[name]), dtype)
    assert_close(_triton(args, "cuda"), reference(CASES[name]), SPEC.tolerance(dtype), f"triton[cuda] {name} {dtype}")


# ---------------------------------------------------------------- torch op


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
@pytest.mark.parametrize("name", ["base", "s2_d2_g2_og2_nomask", "large_offsets"])
def test_torch_op_cpu(name, dtype):
    x, off, mask, w, b, s, p, d, g, og = as_dtype(make_inputs(CASES[name]), dtype)
    pair = lambda v: [v, v] if isinstance(v, int) else list(v)  # noqa: E731
    got = torch.ops.vfi.deform_conv2d(x, off, mask, w, b, pair(s), pair(p), pair(d), g, og)
    assert got.dtype == dtype
    assert_close(got, reference(CASES[name]), SPEC.tolerance(dtype), f"torch op {name} {dtype}")
    assert_close(deform_conv2d(x, off, mask, w, b, s, p, d, g, og), got, SPEC.tolerance("float64"), "public function")


@pytest.mark.gpu
@pytest.mark.skipif(not HAVE_CUDA, reason="needs a CUDA device")
@pytest.mark.parametrize("dtype", [torch.float32, torch.float16])
def test_torch_op_cuda(dtype):
    args = tuple(a.to("cuda", dtype) if isinstance(a, torch.Tensor) else a for a in make_inputs(CASES["base"]))
    assert_close(deform_conv2d(*args).cpu(), reference(CASES["base"]), SPEC.tolerance(dtype), f"torch op cuda {dtype}")


@pytest.mark.parametrize("name", ["base", "s2_d2_g2_og2_nomask"])
def test_gradcheck(name):
    """Gradients for x, offset, mask, weight, bias in float64 (tiny shapes; no integer sample positions)."""
    case = dict(CASES[name], n=1, h=5, w=5, cout=2)
    x, off, mask, w, b, s, p, d, g, og = make_inputs(case)
    inputs = [t.requires_grad_() if t is not None else None for t in (x, off, mask, w, b)]

    def fn(x, off, mask, w, b):
        return deform_conv2d(x, off, mask, w, b, s, p, d, g, og)

    assert torch.autograd.gradcheck(fn, tuple(inputs), eps=1e-6, atol=1e-6, fast_mode=True)


def test_opcheck_fake_and_schema():
    x, off, mask, w, b, s, p, d, g, og = make_inputs(CASES["base"], torch.float32)
    torch.library.opcheck(
        torch.ops.vfi.deform_conv2d.default,
        (x, off, mask, w, b, [s, s], [p, p], [d, d], g, og),
        test_utils=("test_schema", "test_faketensor", "test_autograd_registration"),
    )


# ---------------------------------------------------------------- ONNX


class _Net(torch.nn.Module):
    def __init__(self, case):
        super().__init__()
        _, _, mask, w, b, *geometry = make_inputs(case, torch.float32)
        self.use_mask = mask is not None
        self.weight = torch.nn.Parameter(w)
        self.bias = torch.nn.Parameter(b) if b is not None else None
        self.geometry = geometry

    def forward(self, x, offset, mask):
        return deform_conv2d(x, offset, mask if self.use_mask else None, self.weight, self.bias, *self.geometry)


def _export(case, flavour, opset):
    from vfi.kernels.export_flavour import onnx_flavour

    x, off, mask, *_ = make_inputs(case, torch.float32)
    mask = mask if mask is not None else torch.ones(1)
    net = _Net(case).eval()
    with onnx_flavour(flavour):
        program = torch.onnx.export(net, (x, off, mask), dynamo=True, opset_version=opset, verbose=False, report=False)
    model = program.model_proto
    feeds = {i.name: t.numpy() for i, t in zip(model.graph.input, (x, off, mask))}
    return model, feeds


@pytest.mark.parametrize("name", ["base", "s2_d2_g2_og2_nomask"])
def test_onnx_tensorrt_flavour_reference_executor(name):
    from onnx.reference import ReferenceEvaluator

    from vfi.kernels.deform_conv2d.onnx_executor import VfiDeformConv2d
    from vfi.kernels.onnx_lint import lint

    model, feeds = _export(CASES[name], "tensorrt", 18)
    nodes = [n for n in model.graph.node if n.domain == "vfi"]
    assert [n.op_type for n in nodes] == [SPEC.onnx_op_type]
    attrs = {a.name for a in nodes[0].attribute}
    assert {
        "plugin_namespace",
        "plugin_version",
        "kernel_shape",
        "stride",
        "padding",
        "dilation",
        "groups",
        "offset_groups",
        "has_mask",
        "has_bias",
    } <= attrs
    assert lint(model) == []
    got = ReferenceEvaluator(model, new_ops=[VfiDeformConv2d]).run(None, feeds)[0]
    assert_close(got, reference(CASES[name]), SPEC.tolerance("float32"), f"onnx reference executor {name}")


@pytest.mark.parametrize("name", ["base", "s2_d2_g2_og2_nomask", "rect_kernel"])
def test_onnx_portable_onnxruntime(name):
    import onnxruntime as ort

    model, feeds = _export(CASES[name], "portable", 19)
    assert [n.op_type for n in model.graph.node if n.op_type == "DeformConv"] == ["DeformConv"]
    assert all(n.domain in ("", "ai.onnx") for n in model.graph.node)
    session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    used = {i.name for i in session.get_inputs()}
    got = session.run(None, {k: v for k, v in feeds.items() if k in used})[0]
    assert_close(got, reference(CASES[name]), SPEC.tolerance("float32"), f"onnxruntime {name}")


def test_onnx_executor_float16():
    from vfi.kernels.deform_conv2d.onnx_executor import deform_conv2d_numpy

    x, off, mask, w, b, s, p, d, g, og = as_dtype(make_inputs(CASES["base"]), torch.float16)
    got = deform_conv2d_numpy(x.numpy(), off.numpy(), mask.numpy(), w.numpy(), b.numpy(), [s, s], [p, p], [d, d], g, og)
    assert got.dtype == np.float16
    assert_close(got, reference(CASES["base"]), SPEC.tolerance("float16"), "onnx executor fp16")


# ---------------------------------------------------------------- PTX / TensorRT


def test_ptx_compiles_for_sm90():
    from vfi.kernels.deform_conv2d.ptx import KERNEL_PARAMS, generate_ptx_subprocess

    for dtype in ("float16", "float32"):
        kernel = generate_ptx_subprocess(dtype=dtype, kernel_shape=[3, 3], has_mask=True, has_bias=False)
        assert ".target sm_90" in kernel.ptx
        assert f".entry {kernel.name}" in kernel.ptx and kernel.name == "deform_conv2d_kernel"
        assert len(kernel.params) == len(KERNEL_PARAMS)  # inputs, int32 scalars, output; no hidden params
        assert kernel.shared_mem <= 48 * 1024


def test_ptx_refuses_interpreter(monkeypatch):
    from vfi.kernels.deform_conv2d.ptx import generate_ptx

    monkeypatch.setenv("TRITON_INTERPRET", "1")
    with pytest.raises(RuntimeError, match="TRITON_INTERPRET"):
        generate_ptx()


@pytest.mark.skipif(importlib.util.find_spec("tensorrt") is not None, reason="TensorRT is installed here")
def test_trt_plugin_import_without_tensorrt():
    from vfi.core.errors import BackendUnavailable

    code = "import vfi.kernels.deform_conv2d.trt_plugin"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=dict(os.environ))
    assert proc.returncode != 0 and "BackendUnavailable" in proc.stderr and "TensorRT" in proc.stderr
    with pytest.raises(BackendUnavailable):
        import vfi.kernels.deform_conv2d.trt_plugin  # noqa: F401


def run_tensorrt(model, feeds: dict, plugin_module: str):
    """Parse `model` (ModelProto) with TensorRT, build an engine with our AOT plugin, run it on CUDA."""
    import importlib

    import tensorrt as trt

    importlib.import_module(plugin_module)  # registers the plugin
    logger = trt.Logger(trt.Logger.WARNING)
    builder = trt.Builder(logger)
    network = builder.create_network(0)
    parser = trt.OnnxParser(network, logger)
    assert parser.parse(model.SerializeToString()), [str(parser.get_error(i)) for i in range(parser.num_errors)]
    engine_bytes = builder.build_serialized_network(network, builder.create_builder_config())
    assert engine_bytes is not None, "TensorRT engine build failed"
    engine = trt.Runtime(logger).deserialize_cuda_engine(engine_bytes)
    context = engine.create_execution_context()
    keep = []
    for name, value in feeds.items():
        if engine.get_tensor_mode(name) != trt.TensorIOMode.INPUT:
            continue
        tensor = torch.from_numpy(value).cuda().contiguous()
        keep.append(tensor)
        context.set_input_shape(name, tuple(tensor.shape))
        context.set_tensor_address(name, tensor.data_ptr())
    out_name = model.graph.output[0].name
    out = torch.empty(
        tuple(context.get_tensor_shape(out_name)),
        device="cuda",
        dtype=torch.float16 if engine.get_tensor_dtype(out_name) == trt.float16 else torch.float32,
    )
    context.set_tensor_address(out_name, out.data_ptr())
    assert context.execute_async_v3(torch.cuda.current_stream().cuda_stream)
    torch.cuda.synchronize()
    return out.cpu()


@pytest.mark.tensorrt
@pytest.mark.skipif(importlib.util.find_spec("tensorrt") is None or not HAVE_CUDA, reason="needs TensorRT and a CUDA device")
@pytest.mark.parametrize("name", ["base", "s2_d2_g2_og2_nomask"])
def test_tensorrt_engine_parity(name):
    model, feeds = _export(CASES[name], "tensorrt", 18)
    got = run_tensorrt(model, feeds, "vfi.kernels.deform_conv2d.trt_plugin")
    assert_close(got, reference(CASES[name]), SPEC.tolerance("float32"), f"TensorRT plugin {name}")


# ---------------------------------------------------------------- FLOPs, bench


def test_flop_counter():
    from torch.utils.flop_counter import FlopCounterMode

    from vfi.kernels.deform_conv2d.flops import deform_conv2d_flops

    x, off, mask, w, b, s, p, d, g, og = make_inputs(CASES["base"], torch.float32)
    with FlopCounterMode(display=False) as counter:
        deform_conv2d(x, off, mask, w, b, s, p, d, g, og)
    n, cin, h, wd = x.shape
    cout, cin_g, kh, kw = w.shape
    ho, wo = off.shape[2:]
    expected = (
        2 * n * cout * ho * wo * cin_g * kh * kw  # GEMM
        + n * cin * kh * kw * ho * wo * 9  # blend (8) + modulation (1)
        + n * og * kh * kw * ho * wo * 10  # coordinates and corner weights
        + n * cout * ho * wo
    )  # bias
    assert (
        counter.get_total_flops()
        == expected
        == deform_conv2d_flops(x.shape, off.shape, mask.shape, w.shape, b.shape, s, p, d, g, og)
    )


def test_bench_cases_run_on_cpu():
    from vfi.kernels.deform_conv2d.bench import cases

    all_cases = cases()
    assert {c.dtype for c in all_cases} == {"float32", "float16"} and len(all_cases) == 4
    small = cases(height=9, width=11, channels=8, offset_groups=(8,), dtypes=("float32",))[0]
    args = small.make_inputs("cpu", torch.float32)
    assert_close(small.run(*args), small.baseline(*args), SPEC.tolerance("float32"), "bench op vs baseline")
