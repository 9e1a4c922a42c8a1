"""Parity matrix of dsep_conv: the reference against an independent per-pixel loop, every facet
(Triton under the interpreter, torch op, public function, NumPy executor, both ONNX flavours)
against the float64 reference at fp32 / fp16, hand-checkable shifts, border clamping, non-finite
offsets, gradients, FLOP counting, export, PTX generation and the TensorRT plugin's signature."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from vfi.core.errors import InputError
from vfi.core.tolerance import assert_close
from vfi.kernels.dsep_conv import dsep_conv
from vfi.kernels.dsep_conv.reference import dsep_conv_reference
from vfi.kernels.registry import OPS

SPEC = OPS["dsep_conv"]

# (name, N, C, H, W, K, offset scale, non-finite offsets): odd sizes, K = 1 / 3 / 5, C = 1 / 3,
# batch > 1, offsets far out of the frame, zero offsets on a frame smaller than the kernel.
PARAMS = [
    ("k5_c3_odd", 2, 3, 7, 9, 5, 2.5, True),
    ("k3_c1_far_out", 1, 1, 5, 11, 3, 40.0, False),
    ("k1_c3_batch", 3, 3, 4, 6, 1, 1.5, True),
    ("k5_c1_zero_tiny", 2, 1, 3, 4, 5, 0.0, False),
]
DTYPES = ["float32", "float16"]


def make_inputs(n, c, h, w, k, scale, nonfinite=False, seed=0):
    """float64 (img, v, h, alpha, beta, mask): img, v, h, mask uniform in [0, 1], offsets ~ N(0, scale)."""
    gen = torch.Generator().manual_seed(seed)

    def rand(*shape):
        return torch.rand(*shape, generator=gen, dtype=torch.float64)

    img, v, hk = rand(n, c, h, w), rand(n, k, h, w), rand(n, k, h, w)
    alpha = torch.randn(n, k * k, h, w, generator=gen, dtype=torch.float64) * scale
    beta = torch.randn(n, k * k, h, w, generator=gen, dtype=torch.float64) * scale
    mask = rand(n, k * k, h, w)
    if nonfinite:
        alpha[0, 0, 1, 1] = float("nan")
        beta[0, -1, 2, 3] = float("inf")
        alpha[-1, k * k // 2, 3, 2] = float("-inf")
        beta[-1, 0, 0, 0] = float("nan")
    return img, v, hk, alpha, beta, mask


def expected_for(*tensors):
    """float64 reference on exactly the (possibly rounded) inputs the facet received."""
    return dsep_conv_reference(*(t.double() for t in tensors))


def dsep_loops(img, v, hk, alpha, beta, mask):
    """Independent float64 implementation of the contract, one output pixel and one tap at a time
    (no vectorisation, no shared code with the package)."""
    img, v, hk, alpha, beta, mask = (np.asarray(t, np.float64) for t in (img, v, hk, alpha, beta, mask))
    n, c, h, w = img.shape
    k = v.shape[1]
    half = (k - 1) // 2

    def clamp(p, hi):
        if math.isnan(p):
            raise AssertionError("positions are finite or infinite here, never NaN")
        return min(max(p, 0.0), hi)

    def bilinear(b, ch, py, px):
        py, px = clamp(py, h - 1), clamp(px, w - 1)
        y0, x0 = math.floor(py), math.floor(px)
        y1, x1 = min(y0 + 1, h - 1), min(x0 + 1, w - 1)
        fy, fx = py - y0, px - x0
        return (
            img[b, ch, y0, x0] * (1 - fy) * (1 - fx)
            + img[b, ch, y0, x1] * (1 - fy) * fx
            + img[b, ch, y1, x0] * fy * (1 - fx)
            + img[b, ch, y1, x1] * fy * fx
        )

    out = np.zeros((n, c, h, w))
    for b in range(n):
        for y in range(h):
            for x in range(w):
                for i in range(k):
                    for j in range(k):
                        t = i * k + j
                        dy = alpha[b, t, y, x]
                        dx = beta[b, t, y, x]
                        dy = 0.0 if math.isnan(dy) else dy
                        dx = 0.0 if math.isnan(dx) else dx
                        weight = v[b, i, y, x] * hk[b, j, y, x] * mask[b, t, y, x]
                        for ch in range(c):
                            out[b, ch, y, x] += weight * bilinear(b, ch, y + i - half + dy, x + j - half + dx)
    return out


@pytest.mark.parametrize("params", PARAMS, ids=[p[0] for p in PARAMS])
def test_reference_matches_per_pixel_loops(params):
    _, n, c, h, w, k, scale, nonfinite = params
    inputs = make_inputs(n, c, h, w, k, scale, nonfinite)
    expected = torch.from_numpy(dsep_loops(*(t.numpy() for t in inputs)))
    assert_close(dsep_conv_reference(*inputs), expected, SPEC.tolerance("float64"), f"reference vs loops {params[0]}")


def run_triton(*tensors):
    return SPEC.facet("triton")(*tensors)


def run_torch_op(*tensors):
    return SPEC.facet("torch_op")(*tensors)


def run_executor(*tensors):
    from vfi.kernels.dsep_conv.onnx_executor import dsep_conv_numpy

    return torch.from_numpy(dsep_conv_numpy(*(t.numpy() for t in tensors)))


FACETS = {"triton": run_triton, "torch_op": run_torch_op, "public": dsep_conv, "executor": run_executor}


@pytest.mark.parametrize("facet", list(FACETS))
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("params", PARAMS, ids=[p[0] for p in PARAMS])
def test_parity_cpu(params, dtype, facet):
    _, n, c, h, w, k, scale, nonfinite = params
    inputs = tuple(t.to(getattr(torch, dtype)) for t in make_inputs(n, c, h, w, k, scale, nonfinite))
    actual = FACETS[facet](*inputs)
    assert actual.dtype == inputs[0].dtype and actual.shape == inputs[0].shape
    assert_close(actual, expected_for(*inputs), SPEC.tolerance(dtype), f"{facet} {params[0]} {dtype}")


def test_fp16_images_keep_fp32_offsets():
    # fp16 data with fp32 offsets (what the tensorrt-flavoured node receives): positions are not
    # rounded to fp16, which at x ~ 100 would move them by up to 1/32 px.
    img, v, hk, alpha, beta, mask = make_inputs(1, 3, 5, 130, 3, 0.7, seed=4)
    half = [t.half() for t in (img, v, hk)] + [alpha.float(), beta.float(), mask.half()]
    expected = expected_for(*half)
    for facet in ("triton", "torch_op", "executor"):
        assert_close(FACETS[facet](*half), expected, SPEC.tolerance("float16"), f"{facet} fp16 data, fp32 offsets")


def one_hot_inputs(img, k, i0, j0, dy=0.0, dx=0.0):
    """v, h one-hot at (i0, j0), mask 1, offsets (dy, dx) on every tap."""
    n, _, h, w = img.shape
    v = torch.zeros(n, k, h, w, dtype=img.dtype)
    hk = torch.zeros(n, k, h, w, dtype=img.dtype)
    v[:, i0] = 1
    hk[:, j0] = 1
    alpha = torch.full((n, k * k, h, w), dy, dtype=img.dtype)
    beta = torch.full((n, k * k, h, w), dx, dtype=img.dtype)
    return img, v, hk, alpha, beta, torch.ones(n, k * k, h, w, dtype=img.dtype)


def shifted(img, sy, sx):
    """img sampled at (y + sy, x + sx) for integers sy, sx, clamped to the border."""
    _, _, h, w = img.shape
    ys = (torch.arange(h) + sy).clamp(0, h - 1)
    xs = (torch.arange(w) + sx).clamp(0, w - 1)
    return img[:, :, ys][:, :, :, xs]


@pytest.mark.parametrize("facet", list(FACETS))
@pytest.mark.parametrize(
    ("k", "i0", "j0", "dy", "dx"), [(5, 0, 4, 0.0, 0.0), (3, 1, 1, 0.0, 0.0), (5, 2, 1, 2.0, -3.0), (1, 0, 0, -1.0, 7.0)]
)
def test_one_hot_kernel_is_a_clamped_shift(facet, k, i0, j0, dy, dx):
    img = make_inputs(2, 3, 5, 6, 1, 0.0)[0].float()
    c = (k - 1) // 2
    actual = FACETS[facet](*one_hot_inputs(img, k, i0, j0, dy, dx))
    expected = shifted(img, i0 - c + int(dy), j0 - c + int(dx))
    assert_close(actual, expected, SPEC.tolerance("float32"), f"{facet} one-hot shift")


def test_half_pixel_offset_averages_neighbours():
    img = torch.arange(12, dtype=torch.float64).reshape(1, 1, 3, 4)
    out = dsep_conv_reference(*one_hot_inputs(img, 1, 0, 0, 0.5, 0.0))
    # rows 0..2 blend with the next row, the last row clamps onto itself
    assert torch.equal(out[0, 0], torch.tensor([[2.0, 3, 4, 5], [6, 7, 8, 9], [8, 9, 10, 11]], dtype=torch.float64))


@pytest.mark.parametrize("facet", list(FACETS))
def test_nonfinite_offsets(facet):
    img, v, hk, alpha, beta, mask = (t.float() for t in make_inputs(1, 2, 4, 5, 3, 1.0, seed=2))
    nan_alpha, nan_beta = alpha.clone(), beta.clone()
    nan_alpha[0, 4, 1, 2] = float("nan")
    nan_beta[0, 7, 2, 3] = float("nan")
    zero_alpha, zero_beta = alpha.clone(), beta.clone()
    zero_alpha[0, 4, 1, 2] = 0.0
    zero_beta[0, 7, 2, 3] = 0.0
    run = FACETS[facet]
    # NaN counts as offset 0 for that tap
    assert torch.equal(run(img, v, hk, nan_alpha, nan_beta, mask), run(img, v, hk, zero_alpha, zero_beta, mask))
    # +-inf clamps to the border like a far offset
    inf_alpha, far_alpha = alpha.clone(), alpha.clone()
    inf_alpha[0, :, 2, 1], far_alpha[0, :, 2, 1] = float("inf"), 1e6
    inf_beta, far_beta = beta.clone(), beta.clone()
    inf_beta[0, :, 0, 0], far_beta[0, :, 0, 0] = float("-inf"), -1e6
    out = run(img, v, hk, inf_alpha, inf_beta, mask)
    assert torch.isfinite(out).all()
    assert torch.equal(out, run(img, v, hk, far_alpha, far_beta, mask))


def _fractional(offset):
    # Bilinear sampling has kinks at integer coordinates: keep every position's fractional part in
    # 0.3..0.7 (pixel positions are integers, so the position's fraction is the offset's).
    frac = offset - offset.floor()
    return offset - frac + 0.3 + 0.4 * frac


def _grad_inputs(n, h, w, seed):
    img, v, hk, alpha, beta, mask = make_inputs(n, 2, h, w, 3, 0.8, seed=seed)
    alpha, beta = _fractional(alpha), _fractional(beta)
    alpha[0, 0, 0, 0] = 30.3  # far out of frame: zero gradient w.r.t. this offset
    beta[0, 0, 0, 0] = 1.5  # x = -1 + 1.5: inside, so its gradient is not zero
    return tuple(t.requires_grad_(True) for t in (img, v, hk, alpha, beta, mask))


def test_gradcheck_float64():
    from vfi.kernels.dsep_conv.torch_op import dsep_conv_op

    # every element of every input (a small frame), then batch 2 with random projections
    assert torch.autograd.gradcheck(dsep_conv_op, _grad_inputs(1, 2, 3, seed=3))
    inputs = _grad_inputs(2, 3, 4, seed=5)
    for fn in (dsep_conv_op, dsep_conv):
        assert torch.autograd.gradcheck(fn, inputs, fast_mode=True)
    dsep_conv_op(*inputs).sum().backward()
    alpha, beta = inputs[3], inputs[4]
    assert alpha.grad[0, 0, 0, 0] == 0 and beta.grad[0, 0, 0, 0] != 0


def test_gradient_only_for_requested_inputs():
    from vfi.kernels.dsep_conv.torch_op import dsep_conv_op

    img, v, hk, alpha, beta, mask = (t.float() for t in make_inputs(1, 3, 4, 5, 3, 1.0))
    alpha.requires_grad_(True)
    dsep_conv_op(img, v, hk, alpha, beta, mask).sum().backward()
    assert alpha.grad is not None and alpha.grad.shape == alpha.shape and img.grad is None


def test_bad_shapes_raise_input_error():
    from vfi.kernels.dsep_conv.torch_op import dsep_conv_op

    img, v, hk, alpha, beta, mask = make_inputs(1, 3, 4, 5, 3, 1.0)
    for fn in (dsep_conv, dsep_conv_op, run_triton):
        with pytest.raises(InputError, match="must be odd"):
            fn(img, v[:, :2], hk[:, :2], alpha[:, :4], beta[:, :4], mask[:, :4])
        with pytest.raises(InputError, match="h must be"):
            fn(img, v, hk[:, :1], alpha, beta, mask)
        with pytest.raises(InputError, match="mask must be"):
            fn(img, v, hk, alpha, beta, mask[:, :, :2])
        with pytest.raises(InputError, match="4-D"):
            fn(img[0], v, hk, alpha, beta, mask)


def test_flop_counter_counts_the_op():
    from torch.utils.flop_counter import FlopCounterMode

    from vfi.kernels.dsep_conv.torch_op import dsep_conv_op

    inputs = make_inputs(2, 3, 4, 5, 3, 1.0)
    with FlopCounterMode(display=False) as counter:
        dsep_conv_op(*inputs)
    expected = SPEC.facet("flops")(inputs[0].shape, inputs[1].shape)
    assert expected == 2 * 4 * 5 * 9 * (8 + 9 * 3)
    assert counter.get_total_flops() == expected


def test_torch_export_keeps_custom_op_and_cpu_path_is_builtin():
    from vfi.kernels.dsep_conv.torch_op import dsep_conv_op

    class Op(torch.nn.Module):
        def forward(self, *tensors):
            return dsep_conv_op(*tensors)

    class Public(torch.nn.Module):
        def forward(self, *tensors):
            return dsep_conv(*tensors)

    args = tuple(t.float() for t in make_inputs(1, 2, 4, 5, 3, 1.0))
    assert "vfi.dsep_conv" in str(torch.export.export(Op(), args).graph)
    graph = str(torch.export.export(Public(), args).graph)
    assert "vfi." not in graph and "gather" in graph


def test_bench_cases_describe_the_op():
    cases = SPEC.facet("bench")(height=8, width=16)
    assert {(c.label, c.dtype) for c in cases} == {(f"16x8 C={c} K=5", d) for c in (3, 64) for d in DTYPES}
    case = cases[0]
    inputs = case.make_inputs("cpu", torch.float32)
    assert_close(case.run(*inputs), case.baseline(*inputs), SPEC.tolerance("float32"), "bench op vs baseline")
    assert case.flops == SPEC.facet("flops")(inputs[0].shape, inputs[1].shape)


# ----- ONNX: both flavours of a tiny module using the op, one export each -----


class Synthesis(torch.nn.Module):
    """A tiny module using the op as LDMVFI does: synthesis from one frame plus a residual."""

    def forward(self, img, v, h, alpha, beta, mask):
        return dsep_conv(img, v, h, alpha, beta, mask) + 0.25 * img


NAMES = ["img", "v", "h", "alpha", "beta", "mask"]
# Graphs have static channels and K: the dynamic ones also run at a second shape of the same C, K.
EXPORTS = {
    # (flavour, dtype, dynamic): (export-time params, run-time params)
    ("tensorrt", "float32", True): (PARAMS[0], [PARAMS[0], ("k5_c3_far_out", 1, 3, 6, 11, 5, 30.0, False)]),
    ("tensorrt", "float16", False): (PARAMS[0], [PARAMS[0]]),
    # the portable graph unrolls K rows of gathers: K = 3 keeps its export at ~5 s on 2 cores
    ("portable", "float32", False): (PARAMS[1], [PARAMS[1]]),
}
SLOW_EXPORTS = {("portable", "float32", True): (PARAMS[0], [PARAMS[0], ("k5_c3_far_out", 1, 3, 6, 11, 5, 30.0, False)])}


def _export(folder, key, params):
    from vfi.kernels.onnx_exporter import export_module

    flavour, dtype, dynamic = key
    _, n, c, h, w, k, scale, nonfinite = params
    args = tuple(t.to(getattr(torch, dtype)) for t in make_inputs(n, c, h, w, k, scale, nonfinite))
    path = folder / f"{flavour}-{dtype}-{'dynamic' if dynamic else 'static'}.onnx"
    return export_module(Synthesis(), args, path, flavour=flavour, dynamic=dynamic, input_names=NAMES, output_names=["out"])


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    """{(flavour, dtype, dynamic): ONNX path} of `Synthesis` for `EXPORTS`."""
    folder = tmp_path_factory.mktemp("dsep_onnx")
    return {key: _export(folder, key, params) for key, (params, _) in EXPORTS.items()}


def _run_graph(path, flavour, params, dtype):
    _, n, c, h, w, k, scale, nonfinite = params
    inputs = tuple(t.to(getattr(torch, dtype)) for t in make_inputs(n, c, h, w, k, scale, nonfinite, seed=1))
    feeds = dict(zip(NAMES, (t.numpy() for t in inputs)))
    if flavour == "portable":
        import onnxruntime as ort

        (out,) = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"]).run(None, feeds)
    else:
        from vfi.kernels.onnx_executors import reference_evaluator

        (out,) = reference_evaluator(path).run(None, feeds)
    out = torch.from_numpy(out)
    assert out.dtype == inputs[0].dtype and out.shape == inputs[0].shape
    expected = Synthesis()(*(t.double() for t in inputs))
    assert_close(out, expected, SPEC.tolerance(dtype), f"{flavour} {dtype} {params[0]}")


ONNX_CASES = [(key, p) for key, (_, runs) in EXPORTS.items() for p in runs]


@pytest.mark.parametrize(("key", "params"), ONNX_CASES, ids=[f"{'-'.join(map(str, k))}-{p[0]}" for k, p in ONNX_CASES])
def test_onnx_parity(key, params, exported):
    """portable: ONNX Runtime; tensorrt: our executor of the custom node in onnx.reference."""
    _run_graph(exported[key], key[0], params, key[1])


@pytest.mark.slow
def test_onnx_parity_portable_dynamic_k5(tmp_path):
    ((key, (params, runs)),) = SLOW_EXPORTS.items()
    path = _export(tmp_path, key, params)
    for run in runs:
        _run_graph(path, key[0], run, key[1])


def test_tensorrt_flavour_nodes(exported):
    import onnx

    from vfi.kernels.dsep_conv import onnx_lowering
    from vfi.kernels.onnx_lint import builtin_op_types, lint

    for key, data_type in (
        (("tensorrt", "float32", True), onnx.TensorProto.FLOAT),
        (("tensorrt", "float16", False), onnx.TensorProto.FLOAT16),
    ):
        model = onnx.shape_inference.infer_shapes(onnx.load(str(exported[key])))
        nodes = [n for n in model.graph.node if n.domain == "vfi"]
        assert [n.op_type for n in nodes] == [SPEC.onnx_op_type]
        types = {v.name: v.type.tensor_type.elem_type for v in [*model.graph.input, *model.graph.value_info]}
        for node in nodes:
            attrs = {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}
            assert attrs == {"plugin_namespace": b"vfi", "plugin_version": SPEC.plugin_version.encode()}
            # alpha and beta reach the node in fp32 at every precision
            assert [types[i] for i in node.input] == [data_type] * 3 + [onnx.TensorProto.FLOAT] * 2 + [data_type]
        assert lint(model, "tensorrt") == []
    assert model.graph.input[0].type.tensor_type.shape.dim[3].dim_param or key[2] is False  # W dynamic
    assert onnx_lowering.PLUGIN_VERSION == SPEC.plugin_version and onnx_lowering.OP_TYPE == SPEC.onnx_op_type
    assert SPEC.onnx_op_type not in builtin_op_types()


def test_portable_flavour_is_standard_gathers(exported):
    import onnx

    from vfi.kernels.onnx_lint import lint

    model = onnx.load(str(exported[("portable", "float32", False)]))
    ops = {n.op_type for n in model.graph.node}
    assert "GatherElements" in ops and "GridSample" not in ops
    assert not any(n.domain == "vfi" for n in model.graph.node)
    assert lint(model, "portable") == []


# ----- PTX and the TensorRT plugin (no TensorRT builder here) -----


@pytest.fixture(scope="module")
def ptx_fp16():
    from vfi.kernels.dsep_conv.ptx import generate_ptx_subprocess

    return generate_ptx_subprocess(dtype="float16", arch=90)


def test_ptx_generation_in_subprocess(ptx_fp16):
    from vfi.kernels.dsep_conv.triton_kernel import BLOCK, KERNEL_PARAMS

    kernel = ptx_fp16
    assert kernel.name in kernel.ptx and f".entry {kernel.name}(" in kernel.ptx
    assert ".version" in kernel.ptx and ".target sm_90" in kernel.ptx
    # Exactly what the plugin passes: 6 pointers (u64), C, H, W, K, P (u32), out (u64).
    assert len(kernel.params) == len(KERNEL_PARAMS) == 12
    decl = kernel.ptx[kernel.ptx.index(f".entry {kernel.name}(") :]
    decl = decl[: decl.index(")")]
    kinds = [".u64" if ".u64" in d else ".u32" for d in decl.split(",")]
    assert kinds == [".u64"] * 6 + [".u32"] * 5 + [".u64"]
    assert kernel.threads_per_block == 32 * kernel.num_warps and kernel.block == BLOCK


def test_trt_plugin_signature_matches_kernel_and_onnx_attributes():
    # Static check (no TensorRT needed): the descriptor declares exactly the ONNX node's inputs and
    # plugin fields, and the AOT implementation passes one int scalar per i32 kernel parameter.
    import ast
    import importlib.util
    import inspect
    from pathlib import Path

    from vfi.kernels.dsep_conv import onnx_lowering
    from vfi.kernels.dsep_conv.triton_kernel import KERNEL_PARAMS, dsep_conv_kernel

    tree = ast.parse(Path(importlib.util.find_spec(SPEC.trt_plugin).origin).read_text())
    funcs = {f.name: f for f in tree.body if isinstance(f, ast.FunctionDef)}
    desc_args = [a.arg for a in funcs["dsep_conv_desc"].args.args]
    assert desc_args == NAMES + list(onnx_lowering.PLUGIN_FIELDS)
    src = ast.unparse(funcs["dsep_conv_aot"])
    n_int = sum(1 for _, kind in KERNEL_PARAMS if kind == "i32")
    assert f"SymIntExprs({n_int})" in src
    assert [p for p in inspect.signature(dsep_conv_kernel.fn).parameters][:-2] == [p for p, _ in KERNEL_PARAMS]


def test_trt_plugin_aot_impl_with_stub_tensorrt(monkeypatch, ptx_fp16):
    # The plugin module against a minimal stand-in for `tensorrt.plugin` (plain ints for symbolic
    # shapes) to check the launch it describes; TensorRT's own plugin package is exercised by
    # tests/kernels/test_trt_plugins_against_tensorrt.py, an engine only on a TensorRT machine.
    import importlib
    import sys
    import types

    from vfi.kernels.dsep_conv import ptx as ptx_facet

    registered = {}

    def recorder(kind):
        def deco_factory(plugin_id):
            def deco(fn):
                registered[(kind, plugin_id)] = fn
                return fn

            return deco

        return deco_factory

    class LaunchParams:
        grid_x = grid_y = grid_z = block_x = block_y = block_z = shared_mem = None

    trt = types.ModuleType("tensorrt")
    trt.float32, trt.float16 = "trt.float32", "trt.float16"
    trtp = types.ModuleType("tensorrt.plugin")
    trtp.register, trtp.autotune, trtp.aot_impl = recorder("register"), recorder("autotune"), recorder("aot_impl")
    trtp.TensorDesc = object
    trtp.AutoTuneCombination = lambda *a: a
    trtp.KernelLaunchParams = LaunchParams
    trtp.cdiv = lambda a, b: -(-a // b)
    trtp.SymInt32 = lambda x: ("i32", x)
    trtp.SymIntExprs = lambda k: [None] * k
    trt.plugin = trtp
    monkeypatch.setitem(sys.modules, "tensorrt", trt)
    monkeypatch.setitem(sys.modules, "tensorrt.plugin", trtp)
    monkeypatch.delitem(sys.modules, "vfi.kernels.dsep_conv.trt_plugin", raising=False)
    requested = []
    monkeypatch.setattr(ptx_facet, "generate_ptx_subprocess", lambda **kw: requested.append(kw) or ptx_fp16)
    monkeypatch.setattr(ptx_facet, "generate_ptx", lambda **kw: requested.append(kw) or ptx_fp16)
    plugin = importlib.import_module("vfi.kernels.dsep_conv.trt_plugin")
    monkeypatch.setattr(plugin, "_device_arch", lambda: 90)
    try:
        assert ("register", "vfi::VfiDsepConv") in registered
        data = {name: types.SimpleNamespace(dtype=trt.float16, shape_expr=(2, 3, 1080, 1920)) for name in ("img", "out")}
        kernel = types.SimpleNamespace(dtype=trt.float16, shape_expr=(2, 5, 1080, 1920))
        taps = types.SimpleNamespace(dtype=trt.float16, shape_expr=(2, 25, 1080, 1920))
        offsets = types.SimpleNamespace(dtype=trt.float32, shape_expr=(2, 25, 1080, 1920))
        aot = registered[("aot_impl", "vfi::VfiDsepConv")]
        name, ptx, launch, scalars = aot(data["img"], kernel, kernel, offsets, offsets, taps, (data["out"],), 0)
        with pytest.raises(ValueError, match="alpha and beta must be fp32"):
            aot(data["img"], kernel, kernel, taps, offsets, taps, (data["out"],), 0)
        with pytest.raises(ValueError, match="must share fp32 or fp16"):
            aot(data["img"], kernel, offsets, offsets, offsets, taps, (data["out"],), 0)
    finally:
        sys.modules.pop("vfi.kernels.dsep_conv.trt_plugin", None)
    pixels = 2 * 1080 * 1920
    assert requested == [{"dtype": "float16", "arch": 90, "block_c": 4}]
    assert name in ptx and ".target sm_90" in ptx
    assert scalars == [("i32", 3), ("i32", 1080), ("i32", 1920), ("i32", 5), ("i32", pixels)]
    assert launch.grid_x == math.ceil(pixels / ptx_fp16.block) and launch.grid_y == 1
    assert launch.block_x == 32 * ptx_fp16.num_warps and launch.shared_mem == ptx_fp16.shared_mem


# ----- GPU twins: the same parity on CUDA (compiled Triton kernel) -----

gpu = pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device on this machine")
GPU_PARAMS = PARAMS + [("hd_k5_c3", 1, 3, 1080, 1920, 5, 8.0, True), ("c64_k3", 1, 64, 96, 160, 3, 4.0, False)]


@pytest.mark.gpu
@gpu
@pytest.mark.parametrize("facet", ["triton", "torch_op", "public"])
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("params", GPU_PARAMS, ids=[p[0] for p in GPU_PARAMS])
def test_parity_gpu(params, dtype, facet):
    _, n, c, h, w, k, scale, nonfinite = params
    inputs = tuple(t.to("cuda", getattr(torch, dtype)) for t in make_inputs(n, c, h, w, k, scale, nonfinite))
    actual = FACETS[facet](*inputs)
    assert actual.is_cuda
    assert_close(actual.cpu(), expected_for(*inputs).cpu(), SPEC.tolerance(dtype), f"cuda {facet} {params[0]} {dtype}")


@pytest.mark.gpu
@gpu
def test_gradients_gpu_match_cpu():
    from vfi.kernels.dsep_conv.torch_op import dsep_conv_op

    tensors = make_inputs(2, 3, 16, 24, 5, 3.0)
    grads = []
    for device in ("cpu", "cuda"):
        inputs = [t.float().to(device).requires_grad_(True) for t in tensors]
        dsep_conv_op(*inputs).square().sum().backward()
        grads.append([t.grad.cpu() for t in inputs])
    for name, cuda_grad, cpu_grad in zip(NAMES, grads[1], grads[0]):
        assert_close(cuda_grad, cpu_grad, SPEC.tolerance("float32"), f"grad {name} cuda vs cpu")


# ----- TensorRT: engine parity (needs the builder and a GPU) -----


def _tensorrt_or_skip():
    try:
        import tensorrt  # noqa: F401
        import tensorrt.plugin  # noqa: F401
    except (ImportError, OSError) as exc:
        pytest.skip(f"TensorRT (with tensorrt.plugin) not importable: {exc}")
    if not hasattr(tensorrt, "Builder"):
        pytest.skip("TensorRT's builder is not installed (lean runtime only)")
    if not torch.cuda.is_available():
        pytest.skip("no CUDA device on this machine")


@pytest.mark.tensorrt
def test_tensorrt_engine_parity(tmp_path):
    _tensorrt_or_skip()
    import tensorrt as trt

    import vfi.kernels.dsep_conv.trt_plugin  # noqa: F401  (registers vfi::VfiDsepConv)
    from vfi.kernels.onnx_exporter import export_module

    inputs = tuple(t.float() for t in make_inputs(1, 3, 33, 47, 5, 6.0, True))
    path = export_module(Synthesis(), inputs, tmp_path / "d.onnx", flavour="tensorrt", input_names=NAMES, output_names=["out"])
    logger = trt.Logger(trt.Logger.WARNING)
    builder = trt.Builder(logger)
    network = builder.create_network(1 << int(trt.NetworkDefinitionCreationFlag.STRONGLY_TYPED))
    parser = trt.OnnxParser(network, logger)
    assert parser.parse_from_file(str(path)), [parser.get_error(i) for i in range(parser.num_errors)]
    config = builder.create_builder_config()
    config.plugins_to_serialize = []
    engine_bytes = builder.build_serialized_network(network, config)
    assert engine_bytes is not None
    engine = trt.Runtime(logger).deserialize_cuda_engine(engine_bytes)
    context = engine.create_execution_context()
    tensors = {name: t.cuda() for name, t in zip(NAMES, inputs)}
    out = torch.empty_like(tensors["img"])
    for name, tensor in {**tensors, "out": out}.items():
        context.set_tensor_address(name, tensor.data_ptr())
    assert context.execute_async_v3(torch.cuda.current_stream().cuda_stream)
    torch.cuda.synchronize()
    assert_close(out.cpu(), Synthesis()(*(t.double() for t in inputs)), SPEC.tolerance("float32"), "TensorRT engine")
