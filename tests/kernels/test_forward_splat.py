"""Parity matrix of forward_splat: the reference against explicit per-pixel loops, every facet
against the float64 reference (every mode, fp32 / fp16), gradients, softmax safety, the zero-weight
rule, FLOP counting, PTX generation, the TensorRT plugin's signature and the export lint."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest
import torch

from vfi.core.errors import InputError
from vfi.core.tolerance import assert_close
from vfi.kernels.forward_splat import forward_splat
from vfi.kernels.forward_splat.reference import MODES, forward_splat_reference
from vfi.kernels.registry import OPS

SPEC = OPS["forward_splat"]

# (name, N, C, H, W, flow scale, non-finite flows): odd sizes, C = 1 / 3 / 17, flows far out of
# the frame, NaN / inf flows; small flows on small frames make many collisions.
PARAMS = [
    ("odd_c3", 2, 3, 7, 9, 2.5, True),
    ("c1_far_out", 1, 1, 5, 11, 40.0, False),
    ("c17_collide", 1, 17, 6, 5, 1.5, True),
]
DTYPES = ["float32", "float16"]


def make_inputs(n, c, h, w, scale, nonfinite=False, mode="soft", seed=0):
    """float64 img in [0, 1], flow ~ N(0, scale) pixels, metric of `mode`: positive for "linear"
    (a ratio of sums of mixed-sign weights is ill-conditioned), N(0, 4) for "soft"."""
    gen = torch.Generator().manual_seed(seed)
    img = torch.rand(n, c, h, w, generator=gen, dtype=torch.float64)
    flow = torch.randn(n, 2, h, w, generator=gen, dtype=torch.float64) * scale
    if mode == "linear":
        metric = torch.rand(n, 1, h, w, generator=gen, dtype=torch.float64) + 0.1
    else:
        metric = torch.randn(n, 1, h, w, generator=gen, dtype=torch.float64) * 2
    if nonfinite:
        flow[0, 0, 1, 1] = float("nan")
        flow[0, 1, 2, 3] = float("inf")
        flow[-1, 0, 3, 2] = float("-inf")
        metric[0, 0, 1, 1] = 50.0  # a dead pixel's metric must not set the soft maximum
    return img, flow, metric


def expected_for(img, flow, metric, mode):
    """float64 reference on exactly the (possibly rounded) inputs the facet received."""
    return forward_splat_reference(img.double(), flow.double(), None if metric is None else metric.double(), mode)


def splat_loops(img, flow, metric, mode):
    """Independent float64 implementation of the contract, one source pixel and one neighbour at a
    time (no vectorisation, no shared code with the package)."""
    img, flow = np.asarray(img, np.float64), np.asarray(flow, np.float64)
    n, c, h, w = img.shape
    num = np.zeros((n, c, h, w))
    den = np.zeros((n, h, w))
    for b in range(n):
        if mode == "soft":
            finite_metrics = [
                metric[b, 0, y, x]
                for y in range(h)
                for x in range(w)
                if math.isfinite(flow[b, 0, y, x]) and math.isfinite(flow[b, 1, y, x])
            ]
            top = max(finite_metrics, default=0.0)
        for y in range(h):
            for x in range(w):
                fx, fy = flow[b, 0, y, x], flow[b, 1, y, x]
                if not (math.isfinite(fx) and math.isfinite(fy)):
                    continue
                qx, qy = x + fx, y + fy
                if mode == "linear":
                    importance = metric[b, 0, y, x]
                elif mode == "soft":
                    importance = math.exp(metric[b, 0, y, x] - top)
                else:
                    importance = 1.0
                for ux in (math.floor(qx), math.floor(qx) + 1):
                    for uy in (math.floor(qy), math.floor(qy) + 1):
                        if not (0 <= ux < w and 0 <= uy < h):
                            continue
                        weight = (1 - abs(qx - ux)) * (1 - abs(qy - uy)) * importance
                        for ch in range(c):
                            num[b, ch, uy, ux] += weight * img[b, ch, y, x]
                        den[b, uy, ux] += weight
    if mode == "sum":
        return num
    out = np.zeros_like(num)
    for b in range(n):
        for y in range(h):
            for x in range(w):
                if den[b, y, x] != 0:
                    out[b, :, y, x] = num[b, :, y, x] / den[b, y, x]
    return out


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("params", PARAMS, ids=[p[0] for p in PARAMS])
def test_reference_matches_per_pixel_loops(params, mode):
    _, n, c, h, w, scale, nonfinite = params
    img, flow, metric = make_inputs(n, c, h, w, scale, nonfinite, mode)
    actual = forward_splat_reference(img, flow, metric, mode)
    expected = torch.from_numpy(splat_loops(img.numpy(), flow.numpy(), metric.numpy(), mode))
    assert_close(actual, expected, SPEC.tolerance("float64"), f"reference vs loops {params[0]} {mode}")


def run_triton(img, flow, metric, mode):
    return SPEC.facet("triton")(img, flow, metric, mode)


def run_torch_op(img, flow, metric, mode):
    return SPEC.facet("torch_op")(img, flow, metric, mode)


def run_public(img, flow, metric, mode):
    return forward_splat(img, flow, metric, mode)


FACETS = {"triton": run_triton, "torch_op": run_torch_op, "public": run_public}


@pytest.mark.parametrize("facet", list(FACETS))
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("params", PARAMS, ids=[p[0] for p in PARAMS])
def test_parity_cpu(params, dtype, mode, facet):
    _, n, c, h, w, scale, nonfinite = params
    img, flow, metric = (t.to(getattr(torch, dtype)) for t in make_inputs(n, c, h, w, scale, nonfinite, mode))
    actual = FACETS[facet](img, flow, metric, mode)
    assert actual.dtype == img.dtype and actual.shape == img.shape
    assert_close(actual, expected_for(img, flow, metric, mode), SPEC.tolerance(dtype), f"{facet} {params[0]} {dtype} {mode}")


def test_metric_may_be_none_for_sum_and_avg():
    img, flow, metric = make_inputs(1, 2, 4, 5, 1.0)
    for mode in ("sum", "avg"):
        assert torch.equal(forward_splat(img, flow, None, mode), forward_splat(img, flow, metric, mode))
        assert_close(
            run_triton(img.float(), flow.float(), None, mode), expected_for(img, flow, None, mode), SPEC.tolerance("float32")
        )


def test_zero_flow_is_identity():
    img, _, metric = make_inputs(1, 3, 6, 8, 0, mode="linear")
    zero = torch.zeros(1, 2, 6, 8, dtype=torch.float64)
    for mode in MODES:
        assert_close(forward_splat_reference(img, zero, metric, mode), img, SPEC.tolerance("float64"), mode)
    assert torch.equal(forward_splat_reference(img, zero, None, "avg"), img)
    assert torch.equal(run_triton(img.float(), zero.float(), None, "avg"), img.float())


def test_collisions_sum_and_average():
    # Every source pixel of a 4x5 frame lands exactly on (2, 1): sum = total, avg = mean.
    h, w = 4, 5
    img = torch.rand(1, 2, h, w, dtype=torch.float64)
    ys, xs = torch.meshgrid(torch.arange(h), torch.arange(w), indexing="ij")
    flow = torch.stack((2 - xs, 1 - ys)).to(torch.float64)[None]
    for fn in (
        forward_splat_reference,
        lambda *a: run_triton(*(t.float() if t is not None else t for t in a[:3]), a[3]).double(),
    ):
        total = fn(img, flow, None, "sum")
        mean = fn(img, flow, None, "avg")
        assert_close(total[0, :, 1, 2], img.sum((2, 3))[0], SPEC.tolerance("float32"))
        assert_close(mean[0, :, 1, 2], img.mean((2, 3))[0], SPEC.tolerance("float32"))
        assert total.abs().sum() == total[0, :, 1, 2].abs().sum()  # nothing anywhere else


def test_out_of_frame_neighbours_are_dropped_alone():
    # Half a pixel to the right from the last column: the in-frame neighbour keeps its half.
    img = torch.rand(1, 1, 3, 4, dtype=torch.float64)
    flow = torch.zeros(1, 2, 3, 4, dtype=torch.float64)
    flow[0, 0, :, 3] = 0.5
    out = forward_splat_reference(img, flow, None, "sum")
    assert torch.equal(out[..., 3], 0.5 * img[..., 3])
    assert torch.equal(forward_splat_reference(img, flow, None, "avg")[..., 3], img[..., 3])


def test_nonfinite_flow_contributes_nothing():
    img, flow, metric = make_inputs(1, 2, 5, 6, 1.2, mode="soft")
    gone = flow.clone()
    gone[0, 0, 2, 2] = 1e4  # far outside: contributes nothing by the out-of-frame rule
    for bad in (float("nan"), float("inf"), float("-inf")):
        dead = flow.clone()
        dead[0, 1, 2, 2] = bad
        for mode in MODES:
            expected = forward_splat_reference(img, gone, metric, mode)
            assert torch.equal(forward_splat_reference(img, dead, metric, mode), expected), (bad, mode)
            assert_close(run_triton(img.float(), dead.float(), metric.float(), mode), expected, SPEC.tolerance("float32"))


def test_zero_weight_targets_are_zero_not_nan():
    img, _, _ = make_inputs(1, 3, 5, 6, 0)
    flow = torch.zeros(1, 2, 5, 6, dtype=torch.float64)
    flow[:, 0] = 2.0  # columns 0 and 1 receive nothing
    zero_metric = torch.zeros(1, 1, 5, 6, dtype=torch.float64)  # linear: every weight is 0
    for mode, metric in (("avg", None), ("soft", zero_metric), ("linear", zero_metric)):
        for out in (forward_splat_reference(img, flow, metric, mode), run_triton(img.float(), flow.float(), metric, mode)):
            assert torch.isfinite(out).all()
            assert (out[..., :2] == 0).all()
            if mode == "linear":
                assert (out == 0).all()


def test_softmax_is_safe_for_large_metrics():
    # Two sources land exactly on one target with metrics 1000 and 998: exp(1000) overflows
    # without the per-image shift; with it the larger metric wins (weight ratio e^2 ~ 7.4).
    img = torch.tensor([[[[0.2, 0.9, 0.5]]]], dtype=torch.float64)
    flow = torch.zeros(1, 2, 1, 3, dtype=torch.float64)
    flow[0, 0, 0, 0] = 1.0  # pixel 0 -> 1, collides with pixel 1
    metric = torch.tensor([[[[998.0, 1000.0, 1000.0]]]], dtype=torch.float64)
    expected = (0.2 * math.exp(-2) + 0.9) / (math.exp(-2) + 1)
    for dtype in (torch.float64, torch.float32, torch.float16):
        out = forward_splat(img.to(dtype), flow.to(dtype), metric.to(dtype), "soft").double()
        assert torch.isfinite(out).all()
        assert abs(out[0, 0, 0, 1].item() - expected) < 1e-3 and out[0, 0, 0, 0] == 0
    # Metric gaps of >= 1000 (random metrics x 1000): argmax behaviour, every target takes the value
    # of its highest-metric contributor among exact (integer-flow) collisions.
    img, _, metric = make_inputs(1, 2, 6, 7, 0, mode="soft", seed=4)
    flow = torch.randint(-2, 3, (1, 2, 6, 7), generator=torch.Generator().manual_seed(1)).to(torch.float64)
    metric = torch.randperm(42, generator=torch.Generator().manual_seed(2)).to(torch.float64).view(1, 1, 6, 7) * 1000
    best = {}
    for y in range(6):
        for x in range(7):
            t = (y + int(flow[0, 1, y, x]), x + int(flow[0, 0, y, x]))
            if 0 <= t[0] < 6 and 0 <= t[1] < 7 and (t not in best or metric[0, 0, y, x] > metric[0, 0, best[t][0], best[t][1]]):
                best[t] = (y, x)
    for out in (
        forward_splat_reference(img, flow, metric, "soft"),
        run_triton(img.float(), flow.float(), metric.float(), "soft"),
    ):
        assert torch.isfinite(out).all()
        for (ty, tx), (sy, sx) in best.items():
            value = out[0, :, ty, tx].double()
            # Targets whose best source is >87 below the image's maximum underflow to 0 in fp32:
            # the documented price of one shift per image.
            if value.abs().sum() > 0:
                assert_close(value, img[0, :, sy, sx], SPEC.tolerance("float32"), f"target {(ty, tx)}")


def _fractional_flow(flow):
    # Bilinear splatting has kinks where a target crosses an integer coordinate: keep every target
    # at fractional part 0.3..0.7 (the target's fraction is the flow's, pixel positions being integers).
    frac = flow - flow.floor()
    return flow - frac + 0.3 + 0.4 * frac


@pytest.mark.parametrize("mode", MODES)
def test_gradcheck_float64(mode):
    from vfi.kernels.forward_splat.torch_op import forward_splat_op

    img, flow, metric = make_inputs(1, 2, 4, 5, 1.5, mode=mode, seed=3)
    flow = _fractional_flow(flow)
    flow[0, 0, 0, 0] = 30.0  # far out of frame: zero gradient
    inputs = [img.requires_grad_(True), flow.requires_grad_(True)]
    if mode in ("linear", "soft"):
        inputs.append(metric.requires_grad_(True))
    for fn in (forward_splat_op, forward_splat):
        assert torch.autograd.gradcheck(lambda *t, fn=fn: fn(t[0], t[1], t[2] if len(t) > 2 else None, mode), tuple(inputs))


def test_bad_mode_and_shapes_raise_input_error():
    img, flow, metric = make_inputs(1, 3, 4, 5, 1.0)
    from vfi.kernels.forward_splat.torch_op import forward_splat_op

    for fn in (forward_splat, forward_splat_op, run_triton):
        with pytest.raises(InputError, match="mode must be one of sum, avg, linear, soft"):
            fn(img, flow, metric, "softmax")
        with pytest.raises(InputError, match="flow must be"):
            fn(img, flow[:, :1], metric, "avg")
        with pytest.raises(InputError, match="metric must be"):
            fn(img, flow, metric[:, :, :2], "soft")
        with pytest.raises(InputError, match="needs a metric"):
            fn(img, flow, None, "linear")


def test_flop_counter_counts_the_op():
    from torch.utils.flop_counter import FlopCounterMode

    from vfi.kernels.forward_splat.torch_op import forward_splat_op

    img, flow, metric = make_inputs(2, 3, 4, 5, 1.0)
    for mode, per_pixel in (("sum", 10 + 8 * 3), ("soft", 10 + 8 * 3 + 5 + 4 + 3)):
        with FlopCounterMode(display=False) as counter:
            forward_splat_op(img, flow, metric, mode)
        expected = SPEC.facet("flops")(img.shape, flow.shape, metric.shape, mode)
        assert expected == 2 * 4 * 5 * per_pixel
        assert counter.get_total_flops() == expected


def test_torch_export_keeps_custom_op_and_cpu_path_is_builtin():
    from vfi.kernels.forward_splat.torch_op import forward_splat_op

    class Op(torch.nn.Module):
        def forward(self, img, flow, metric):
            return forward_splat_op(img, flow, metric, "soft")

    class Public(torch.nn.Module):
        def forward(self, img, flow, metric):
            return forward_splat(img, flow, metric, "soft")

    args = tuple(t.float() for t in make_inputs(1, 2, 4, 5, 1.0))
    assert "vfi.forward_splat" in str(torch.export.export(Op(), args).graph)
    graph = str(torch.export.export(Public(), args).graph)
    assert "vfi." not in graph and "scatter_add" in graph


# ----- ONNX: both flavours, one export each (exports cost seconds on 2 cores) -----


class AllModes(torch.nn.Module):
    def forward(self, img, flow, metric):
        return tuple(forward_splat(img, flow, metric, mode) for mode in MODES)


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    """{(flavour, dtype): ONNX path} of `AllModes`: tensorrt fp32 with dynamic N/H/W (run at every
    shape), tensorrt fp16, portable fp32 (static: the dynamic export takes ~30 s here)."""
    from vfi.kernels.onnx_exporter import export_module

    folder = tmp_path_factory.mktemp("splat_onnx")
    names = dict(input_names=["img", "flow", "metric"], output_names=list(MODES))
    paths = {}
    for flavour, dtype, dynamic in (
        ("tensorrt", "float32", True),
        ("tensorrt", "float16", False),
        ("portable", "float32", False),
    ):
        _, n, c, h, w, scale, nonfinite = PARAMS[0]
        args = tuple(t.to(getattr(torch, dtype)) for t in make_inputs(n, c, h, w, scale, nonfinite))
        paths[(flavour, dtype)] = export_module(
            AllModes(), args, folder / f"{flavour}-{dtype}.onnx", flavour=flavour, dynamic=dynamic, **names
        )
    return paths


def _feeds(session_inputs, img, flow, metric):
    values = {"img": img.numpy(), "flow": flow.numpy(), "metric": metric.numpy()}
    return {name: values[name] for name in session_inputs}


# The graphs have static channels (dynamic N, H, W): the dynamic one runs at a second shape of C = 3.
ONNX_SHAPES = [PARAMS[0], ("c3_far_out", 1, 3, 5, 11, 40.0, False)]


def _onnx_cases():
    cases = [("tensorrt", "float32", p) for p in ONNX_SHAPES]
    return cases + [("tensorrt", "float16", PARAMS[0]), ("portable", "float32", PARAMS[0])]


@pytest.mark.parametrize(("flavour", "dtype", "params"), _onnx_cases(), ids=[f"{f}-{d}-{p[0]}" for f, d, p in _onnx_cases()])
def test_onnx_parity(flavour, dtype, params, exported):
    _, n, c, h, w, scale, nonfinite = params
    # "linear" wants positive metrics, "soft" any: positive ones serve both.
    img, flow, metric = (t.to(getattr(torch, dtype)) for t in make_inputs(n, c, h, w, scale, nonfinite, "linear"))
    path = exported[(flavour, dtype)]
    if flavour == "portable":
        import onnxruntime as ort

        session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
        outputs = session.run(None, _feeds([i.name for i in session.get_inputs()], img, flow, metric))
    else:
        from vfi.kernels.onnx_executors import reference_evaluator

        evaluator = reference_evaluator(path)
        outputs = evaluator.run(None, _feeds(evaluator.input_names, img, flow, metric))
    for mode, out in zip(MODES, outputs):
        out = torch.from_numpy(out)
        assert out.dtype == img.dtype and out.shape == img.shape
        assert_close(out, expected_for(img, flow, metric, mode), SPEC.tolerance(dtype), f"{flavour} {dtype} {params[0]} {mode}")


def test_tensorrt_flavour_nodes(exported):
    import onnx

    from vfi.kernels.forward_splat import onnx_lowering
    from vfi.kernels.onnx_lint import builtin_op_types, lint

    model = onnx.load(str(exported[("tensorrt", "float32")]))
    nodes = [n for n in model.graph.node if n.domain == "vfi"]
    assert [n.op_type for n in nodes] == [SPEC.onnx_op_type] * len(MODES)
    for node, mode in zip(nodes, MODES):
        attrs = {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}
        assert attrs == {"mode": mode.encode(), "plugin_namespace": b"vfi", "plugin_version": SPEC.plugin_version.encode()}
        assert len(node.input) == 4
    assert onnx_lowering.PLUGIN_VERSION == SPEC.plugin_version and onnx_lowering.OP_TYPE == SPEC.onnx_op_type
    assert SPEC.onnx_op_type not in builtin_op_types()
    assert model.graph.input[0].type.tensor_type.shape.dim[2].dim_param  # H stays dynamic
    for dtype in ("float32", "float16"):
        assert lint(exported[("tensorrt", dtype)], "tensorrt") == []


def test_portable_flavour_is_scatter_elements_add(exported):
    import onnx

    from vfi.core.graph_spec import DEFAULT_OPSET
    from vfi.kernels.onnx_lint import default_opset, lint

    model = onnx.load(str(exported[("portable", "float32")]))
    scatters = [n for n in model.graph.node if n.op_type in ("ScatterElements", "ScatterND")]
    assert scatters and default_opset(model) == DEFAULT_OPSET >= 16
    for node in scatters:
        assert {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}.get("reduction") == b"add"
    assert not any(n.domain == "vfi" for n in model.graph.node)
    assert lint(model, "portable") == []


# ----- PTX and the TensorRT plugin (no TensorRT builder here) -----


@pytest.fixture(scope="module")
def ptx_fp16_soft():
    from vfi.kernels.forward_splat.ptx import generate_ptx_subprocess

    return generate_ptx_subprocess(dtype="float16", mode="soft", arch=90)


def test_ptx_generation_in_subprocess(ptx_fp16_soft):
    from vfi.kernels.forward_splat.triton_kernel import KERNEL_PARAMS

    kernel = ptx_fp16_soft
    assert kernel.name in kernel.ptx and f".entry {kernel.name}(" in kernel.ptx
    assert ".version" in kernel.ptx and ".target sm_90" in kernel.ptx
    # The relaxed atomic adds (result unused) compile to `red.global...add.f32`; "soft" has an exp.
    assert re.search(r"\b(red|atom)\.global\.[\w.]*add\.f32", kernel.ptx) and "ex2" in kernel.ptx
    # Exactly what the plugin passes: img, flow, metric, accumulator (u64), C, H, W, P (u32), out (u64).
    assert len(kernel.params) == len(KERNEL_PARAMS) == 9
    decl = kernel.ptx[kernel.ptx.index(f".entry {kernel.name}(") :]
    decl = decl[: decl.index(")")]
    kinds = [".u64" if ".u64" in d else ".u32" for d in decl.split(",")]
    assert kinds == [".u64"] * 4 + [".u32"] * 4 + [".u64"]
    assert kernel.threads_per_block == 32 * kernel.num_warps and kernel.block == 256


def test_trt_plugin_without_tensorrt_raises_backend_unavailable():
    try:
        import tensorrt.plugin  # noqa: F401

        pytest.skip("TensorRT is installed here; the missing-TensorRT error cannot be observed")
    except (ImportError, OSError):
        pass
    from vfi.core.errors import BackendUnavailable

    with pytest.raises(BackendUnavailable, match="NVIDIA's package index"):
        import vfi.kernels.forward_splat.trt_plugin  # noqa: F401


def test_trt_plugin_signature_matches_kernel_and_onnx_attributes():
    # Static check (no TensorRT needed): the descriptor declares exactly the ONNX node's plugin
    # fields, and the AOT implementation passes one int scalar per i32 kernel parameter.
    import ast
    import importlib.util
    import inspect
    from pathlib import Path

    from vfi.kernels.forward_splat import onnx_lowering
    from vfi.kernels.forward_splat.triton_kernel import KERNEL_PARAMS, forward_splat_kernel

    tree = ast.parse(Path(importlib.util.find_spec(SPEC.trt_plugin).origin).read_text())
    funcs = {f.name: f for f in tree.body if isinstance(f, ast.FunctionDef)}
    desc_args = [a.arg for a in funcs["forward_splat_desc"].args.args]
    assert desc_args[4:] == list(onnx_lowering.PLUGIN_FIELDS)  # after img, flow, metric, accumulator
    assert [ast.unparse(a.annotation) for a in funcs["forward_splat_desc"].args.args[4:]] == ["str"]
    src = ast.unparse(funcs["forward_splat_aot"])
    n_int = sum(1 for _, kind in KERNEL_PARAMS if kind == "i32")
    assert f"SymIntExprs({n_int})" in src
    assert [p for p in inspect.signature(forward_splat_kernel.fn).parameters][:-2] == [p for p, _ in KERNEL_PARAMS]


def test_trt_plugin_aot_impl_with_stub_tensorrt(monkeypatch, ptx_fp16_soft):
    # Runs the plugin module against a minimal stand-in for `tensorrt.plugin` (plain ints for the
    # symbolic shapes) to check the launch it describes; TensorRT's own plugin package is exercised
    # by tests/kernels/test_trt_plugins_against_tensorrt.py, an engine only on a TensorRT machine.
    import importlib
    import sys
    import types

    from vfi.kernels.forward_splat import ptx as ptx_facet

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
    monkeypatch.delitem(sys.modules, "vfi.kernels.forward_splat.trt_plugin", raising=False)
    requested = []
    monkeypatch.setattr(ptx_facet, "generate_ptx_subprocess", lambda **kw: requested.append(kw) or ptx_fp16_soft)
    monkeypatch.setattr(ptx_facet, "generate_ptx", lambda **kw: requested.append(kw) or ptx_fp16_soft)
    plugin = importlib.import_module("vfi.kernels.forward_splat.trt_plugin")
    monkeypatch.setattr(plugin, "_device_arch", lambda: 90)
    try:
        assert ("register", "vfi::VfiForwardSplat") in registered
        img = types.SimpleNamespace(dtype=trt.float16, shape_expr=(2, 64, 1080, 1920))
        flow = types.SimpleNamespace(dtype=trt.float16, shape_expr=(2, 2, 1080, 1920))
        fp32 = types.SimpleNamespace(dtype=trt.float32, shape_expr=(2, 65, 1080, 1920))
        aot = registered[("aot_impl", "vfi::VfiForwardSplat")]
        name, ptx, launch, scalars = aot(img, flow, fp32, fp32, "soft", (fp32,), 0)
        with pytest.raises(ValueError, match="must both be fp32 or both fp16"):
            aot(img, types.SimpleNamespace(dtype=trt.float32, shape_expr=flow.shape_expr), fp32, fp32, "soft", (fp32,), 0)
        aliased = types.SimpleNamespace(aliased=lambda: "aliased accumulator")
        assert registered[("register", "vfi::VfiForwardSplat")](img, flow, fp32, aliased, "avg") == "aliased accumulator"
        with pytest.raises(ValueError, match="mode must be one of"):
            registered[("register", "vfi::VfiForwardSplat")](img, flow, fp32, aliased, "max")
    finally:
        sys.modules.pop("vfi.kernels.forward_splat.trt_plugin", None)
    pixels = 2 * 1080 * 1920
    assert requested == [{"dtype": "float16", "mode": "soft", "arch": 90}]
    assert name in ptx and ".target sm_90" in ptx
    assert scalars == [("i32", 64), ("i32", 1080), ("i32", 1920), ("i32", pixels)]
    assert launch.grid_x == math.ceil(pixels / 256) and launch.block_x == 128 and launch.shared_mem == 0


# ----- GPU twins: the same parity on CUDA (compiled Triton kernel, atomics in any order) -----

gpu = pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device on this machine")
GPU_PARAMS = PARAMS + [("hd_c64", 1, 64, 1080, 1920, 20.0, True)]


@pytest.mark.gpu
@gpu
@pytest.mark.parametrize("facet", list(FACETS))
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("params", GPU_PARAMS, ids=[p[0] for p in GPU_PARAMS])
def test_parity_gpu(params, dtype, mode, facet):
    _, n, c, h, w, scale, nonfinite = params
    img, flow, metric = make_inputs(n, c, h, w, scale, nonfinite, mode)
    img, flow, metric = (t.to("cuda", getattr(torch, dtype)) for t in (img, flow, metric))
    actual = FACETS[facet](img, flow, metric, mode)
    assert actual.is_cuda
    expected = expected_for(img, flow, metric, mode).cpu()  # the float64 composition, on the GPU (fast at 1080p)
    assert_close(actual.cpu(), expected, SPEC.tolerance(dtype), f"cuda {facet} {params[0]} {dtype} {mode}")


@pytest.mark.gpu
@gpu
def test_gpu_atomics_run_to_run_within_tolerance():
    # Atomic adds commit in a different order each run: results may differ in the last bits, never
    # by more than the fp32 tolerance.
    img, flow, metric = (t.float().cuda() for t in make_inputs(1, 8, 256, 256, 0.7, mode="soft"))
    first = run_triton(img, flow, metric, "soft")
    for _ in range(3):
        assert_close(run_triton(img, flow, metric, "soft").cpu(), first.cpu(), SPEC.tolerance("float32"), "run to run")


@pytest.mark.gpu
@gpu
@pytest.mark.parametrize("mode", MODES)
def test_gradients_gpu_match_cpu(mode):
    from vfi.kernels.forward_splat.torch_op import forward_splat_op

    img, flow, metric = make_inputs(1, 3, 16, 24, 3.0, mode=mode)
    grads = []
    for device in ("cpu", "cuda"):
        inputs = [t.float().to(device).requires_grad_(True) for t in (img, flow, metric)]
        forward_splat_op(*inputs, mode).square().sum().backward()
        grads.append([t.grad.cpu() if t.grad is not None else torch.zeros_like(t).cpu() for t in inputs])
    for name, cuda_grad, cpu_grad in zip(("img", "flow", "metric"), grads[1], grads[0]):
        assert_close(cuda_grad, cpu_grad, SPEC.tolerance("float32"), f"grad {name} cuda vs cpu ({mode})")


# ----- TensorRT: engine parity (needs the builder and a GPU) -----


def _tensorrt_or_skip():
    try:
        import tensorrt  # noqa: F401
        import tensorrt.plugin  # noqa: F401
    except (ImportError, OSError) as exc:
        pytest.skip(f"TensorRT (with tensorrt.plugin) not importable: {exc}")
    if not torch.cuda.is_available():
        pytest.skip("no CUDA device on this machine")


@pytest.mark.tensorrt
@pytest.mark.parametrize("mode", MODES)
def test_tensorrt_engine_parity(mode, tmp_path):
    _tensorrt_or_skip()
    import tensorrt as trt

    import vfi.kernels.forward_splat.trt_plugin  # noqa: F401  (registers vfi::VfiForwardSplat)
    from vfi.kernels.onnx_exporter import export_module

    class One(torch.nn.Module):
        def forward(self, img, flow, metric):
            return forward_splat(img, flow, metric, mode)

    img, flow, metric = (t.float() for t in make_inputs(1, 3, 33, 47, 6.0, True, mode))
    path = export_module(
        One(),
        (img, flow, metric),
        tmp_path / "s.onnx",
        flavour="tensorrt",
        input_names=["img", "flow", "metric"],
        output_names=["out"],
    )
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
    tensors = {"img": img.cuda(), "flow": flow.cuda(), "metric": metric.cuda()}
    names = {engine.get_tensor_name(i) for i in range(engine.num_io_tensors)}
    out = torch.empty_like(tensors["img"])
    for name, tensor in {**tensors, "out": out}.items():
        if name in names:  # "sum"/"avg" graphs have no metric input
            context.set_tensor_address(name, tensor.data_ptr())
    assert context.execute_async_v3(torch.cuda.current_stream().cuda_stream)
    torch.cuda.synchronize()
    assert_close(out.cpu(), expected_for(img, flow, metric, mode), SPEC.tolerance("float32"), f"TensorRT engine {mode}")
