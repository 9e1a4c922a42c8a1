"""Parity matrix of backward_warp: every facet against the float64 reference, plus gradients,
fp32 coordinates at 4K widths, FLOP counting, PTX generation and the export lint."""

from __future__ import annotations

import math

import pytest
import torch

from vfi.core.tolerance import assert_close
from vfi.kernels.backward_warp import backward_warp
from vfi.kernels.backward_warp.reference import backward_warp_grid_sample, backward_warp_reference
from vfi.kernels.registry import OPS

SPEC = OPS["backward_warp"]

# (name, N, C, H, W, flow scale): odd sizes, C = 1 / 3 / 17, large flows far out of bounds.
PARAMS = [
    ("odd_c3", 2, 3, 7, 9, 2.5),
    ("c1_far_out", 1, 1, 5, 11, 40.0),
    ("c17_large", 1, 17, 6, 5, 8.0),
]
DTYPES = ["float32", "float16"]


def make_inputs(n, c, h, w, scale, seed=0):
    gen = torch.Generator().manual_seed(seed)
    img = torch.rand(n, c, h, w, generator=gen, dtype=torch.float64)
    flow = torch.randn(n, 2, h, w, generator=gen, dtype=torch.float64) * scale
    return img, flow


def expected_for(img, flow):
    """float64 reference on exactly the (possibly rounded) inputs the facet received."""
    return backward_warp_reference(img.double(), flow.double())


class WarpModule(torch.nn.Module):
    def forward(self, img, flow):
        return backward_warp(img, flow)


def run_reference_evaluator(img, flow, tmp_path):
    from vfi.kernels.onnx_executors import reference_evaluator
    from vfi.kernels.onnx_exporter import export_module

    path = export_module(
        WarpModule(),
        (img, flow),
        tmp_path / "warp_trt.onnx",
        flavour="tensorrt",
        input_names=["img", "flow"],
        output_names=["out"],
    )
    out = reference_evaluator(path).run(None, {"img": img.numpy(), "flow": flow.numpy()})[0]
    return torch.from_numpy(out)


def run_onnxruntime(img, flow, tmp_path):
    import onnxruntime as ort

    from vfi.kernels.onnx_exporter import export_module

    path = export_module(
        WarpModule(),
        (img, flow),
        tmp_path / "warp_portable.onnx",
        flavour="portable",
        input_names=["img", "flow"],
        output_names=["out"],
    )
    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return torch.from_numpy(sess.run(None, {"img": img.numpy(), "flow": flow.numpy()})[0])


def run_triton(img, flow, tmp_path):
    return SPEC.facet("triton")(img, flow)


def run_torch_op(img, flow, tmp_path):
    return SPEC.facet("torch_op")(img, flow)


def run_public(img, flow, tmp_path):
    return backward_warp(img, flow)


FACETS = {
    "triton": run_triton,
    "torch_op": run_torch_op,
    "public": run_public,
    "onnx_reference_executor": run_reference_evaluator,
    "onnxruntime_portable": run_onnxruntime,
}


@pytest.mark.parametrize("facet", list(FACETS))
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("params", PARAMS, ids=[p[0] for p in PARAMS])
def test_parity_cpu(params, dtype, facet, tmp_path):
    _, n, c, h, w, scale = params
    img, flow = make_inputs(n, c, h, w, scale)
    img, flow = img.to(getattr(torch, dtype)), flow.to(getattr(torch, dtype))
    actual = FACETS[facet](img, flow, tmp_path)
    assert actual.dtype == img.dtype and actual.shape == img.shape
    assert_close(actual, expected_for(img, flow), SPEC.tolerance(dtype), f"{facet} {params[0]} {dtype}")


@pytest.mark.parametrize("params", PARAMS, ids=[p[0] for p in PARAMS])
def test_grid_sample_formula_equals_reference_float64(params):
    _, n, c, h, w, scale = params
    img, flow = make_inputs(n, c, h, w, scale)
    assert_close(
        backward_warp_grid_sample(img, flow),
        backward_warp_reference(img, flow),
        SPEC.tolerance("float64"),
        "grid_sample composition vs reference",
    )


def test_identity_and_integer_shift():
    img, _ = make_inputs(1, 3, 6, 8, 0)
    zero = torch.zeros(1, 2, 6, 8, dtype=torch.float64)
    assert torch.equal(backward_warp_reference(img, zero), img)
    shift = zero.clone()
    shift[:, 0] = 1.0  # sample one pixel to the right; the last column clamps to itself
    out = backward_warp_reference(img, shift)
    assert torch.equal(out[..., :-1], img[..., 1:]) and torch.equal(out[..., -1], img[..., -1])


def test_public_function_keeps_grid_sample_numbers_on_cpu():
    # The RIFE parity test compares against research code that calls grid_sample directly.
    img, flow = make_inputs(1, 3, 9, 13, 4.0)
    img, flow = img.float(), flow.float()
    assert torch.equal(backward_warp(img, flow), backward_warp_grid_sample(img, flow))


def test_gradcheck_float64():
    from vfi.kernels.backward_warp.torch_op import backward_warp_op

    img, flow = make_inputs(1, 2, 5, 6, 1.5, seed=3)
    # Keep sample positions away from integer coordinates and from the clamp boundary, where the
    # bilinear warp is not differentiable.
    pos_frac = flow - flow.floor()
    flow = flow - pos_frac + 0.3 + 0.4 * pos_frac
    xs = torch.arange(6, dtype=torch.float64)
    ys = torch.arange(5, dtype=torch.float64).view(5, 1)
    inside = ((xs + flow[:, 0]) > 0.5) & ((xs + flow[:, 0]) < 4.5) & ((ys + flow[:, 1]) > 0.5) & ((ys + flow[:, 1]) < 3.5)
    far = torch.where(inside, 0.0, 50.0)  # clamped far outside: zero gradient, away from the edge
    flow = torch.stack((torch.where(inside, flow[:, 0], far), torch.where(inside, flow[:, 1], far)), dim=1)
    img.requires_grad_(True)
    flow.requires_grad_(True)
    assert torch.autograd.gradcheck(backward_warp_op, (img, flow))


def test_fp16_coordinates_stay_fp32_at_4k():
    # Alternating 0/1 columns: the output depends strongly on the fractional coordinate. In fp16,
    # x + 0.25 rounds to x beyond 2048 (spacing 2); fp32 coordinates keep the quarter pixel.
    w = 3840
    img = (torch.arange(w) % 2).to(torch.float16).view(1, 1, 1, w).expand(1, 1, 2, w).contiguous()
    flow = torch.zeros(1, 2, 2, w, dtype=torch.float16)
    flow[:, 0] = 0.25
    expected = expected_for(img, flow)
    sl = (..., slice(3790, 3810))
    fp16_coords = (torch.arange(w, dtype=torch.float16) + flow[0, 0, 0]).float()  # what fp16 coordinates give
    assert (fp16_coords[3790:3810] - (torch.arange(3790, 3810) + 0.25)).abs().max() >= 0.25  # the hazard is real
    tol = SPEC.tolerance("float16")
    for name, fn in (("triton", run_triton), ("torch_op", run_torch_op), ("public", run_public)):
        assert_close(fn(img, flow, None)[sl], expected[sl], tol, f"{name} at x~3800")
    from vfi.kernels.backward_warp.onnx_executor import backward_warp_numpy

    assert_close(backward_warp_numpy(img.numpy(), flow.numpy())[sl], expected[sl].numpy(), tol, "executor at x~3800")


def test_flop_counter_counts_the_op():
    from torch.utils.flop_counter import FlopCounterMode

    from vfi.kernels.backward_warp.torch_op import backward_warp_op

    img, flow = make_inputs(2, 3, 4, 5, 1.0)
    with FlopCounterMode(display=False) as counter:
        backward_warp_op(img, flow)
    expected = SPEC.facet("flops")(img.shape)
    assert expected == 2 * 4 * 5 * (10 + 7 * 3)
    assert counter.get_total_flops() == expected


def test_torch_export_keeps_custom_op():
    from vfi.kernels.backward_warp.torch_op import backward_warp_op

    class M(torch.nn.Module):
        def forward(self, img, flow):
            return backward_warp_op(img, flow)

    img, flow = make_inputs(1, 2, 4, 5, 1.0)
    program = torch.export.export(M(), (img.float(), flow.float()))
    assert "vfi.backward_warp" in str(program.graph)


def test_tensorrt_flavour_node(tmp_path):
    import onnx

    from vfi.kernels.backward_warp import onnx_lowering
    from vfi.kernels.onnx_exporter import export_module
    from vfi.kernels.onnx_lint import builtin_op_types

    img, flow = make_inputs(1, 3, 5, 7, 2.0)
    path = export_module(
        WarpModule(),
        (img.float(), flow.float()),
        tmp_path / "w.onnx",
        flavour="tensorrt",
        input_names=["img", "flow"],
        output_names=["out"],
        dynamic=True,
    )
    model = onnx.load(str(path))
    nodes = [n for n in model.graph.node if n.domain == "vfi"]
    assert [n.op_type for n in nodes] == [SPEC.onnx_op_type]
    attrs = {a.name: onnx.helper.get_attribute_value(a) for a in nodes[0].attribute}
    assert attrs == {"plugin_namespace": b"vfi", "plugin_version": SPEC.plugin_version.encode()}
    assert onnx_lowering.PLUGIN_VERSION == SPEC.plugin_version and onnx_lowering.OP_TYPE == SPEC.onnx_op_type
    assert SPEC.onnx_op_type not in builtin_op_types()
    assert model.graph.input[0].type.tensor_type.shape.dim[2].dim_param  # H stays dynamic


def test_portable_flavour_is_gridsample_bilinear(tmp_path):
    import onnx

    from vfi.core.graph_spec import DEFAULT_OPSET
    from vfi.kernels.onnx_exporter import export_module
    from vfi.kernels.onnx_lint import default_opset

    img, flow = make_inputs(1, 3, 5, 7, 2.0)
    path = export_module(WarpModule(), (img.float(), flow.float()), tmp_path / "p.onnx", flavour="portable")
    model = onnx.load(str(path))
    grid_samples = [n for n in model.graph.node if n.op_type == "GridSample"]
    assert len(grid_samples) == 1 and default_opset(model) == DEFAULT_OPSET
    attrs = {a.name: onnx.helper.get_attribute_value(a) for a in grid_samples[0].attribute}
    assert attrs["mode"] == b"bilinear" and attrs["padding_mode"] == b"border" and attrs["align_corners"] == 1
    assert not any(n.domain == "vfi" for n in model.graph.node)


def test_ptx_generation_in_subprocess():
    from vfi.kernels.backward_warp.ptx import generate_ptx_subprocess
    from vfi.kernels.backward_warp.triton_kernel import KERNEL_PARAMS

    kernel = generate_ptx_subprocess("float16")
    assert kernel.name in kernel.ptx and f".entry {kernel.name}(" in kernel.ptx
    assert ".version" in kernel.ptx and ".target sm_90" in kernel.ptx
    # Exactly what the plugin passes: img, flow (u64 pointers), C, H, W, P (u32), out (u64).
    assert len(kernel.params) == len(KERNEL_PARAMS) == 7
    decl = kernel.ptx[kernel.ptx.index(f".entry {kernel.name}(") :]
    decl = decl[: decl.index(")")]
    kinds = [".u64" if ".u64" in d else ".u32" for d in decl.split(",")]
    assert kinds == [".u64", ".u64", ".u32", ".u32", ".u32", ".u32", ".u64"]
    assert kernel.threads_per_block == 32 * kernel.num_warps


def test_strip_hidden_params_refuses_a_read_parameter():
    from vfi.kernels.backward_warp.ptx import strip_hidden_params

    ptx = ".entry k(\n\t.param .u64 k_param_0,\n\t.param .u64 k_param_1\n)\n{\n\tld.param.b64 %rd1, [k_param_1];\n}\n"
    with pytest.raises(RuntimeError, match="k_param_1"):
        strip_hidden_params(ptx, "k", keep=1)
    stripped, removed = strip_hidden_params(ptx.replace("[k_param_1]", "[k_param_0]"), "k", keep=1)
    assert removed == 1 and "k_param_1" not in stripped


# ----- GPU twins: the same parity on CUDA (compiled Triton kernel) -----

gpu = pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device on this machine")


@pytest.mark.gpu
@gpu
@pytest.mark.parametrize("facet", ["triton", "torch_op", "public"])
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("params", PARAMS + [("hd_c64", 1, 64, 1080, 1920, 20.0)], ids=[p[0] for p in PARAMS] + ["hd_c64"])
def test_parity_gpu(params, dtype, facet):
    _, n, c, h, w, scale = params
    img, flow = make_inputs(n, c, h, w, scale)
    img, flow = img.to("cuda", getattr(torch, dtype)), flow.to("cuda", getattr(torch, dtype))
    actual = FACETS[facet](img, flow, None)
    assert actual.is_cuda
    assert_close(actual.cpu(), expected_for(img.cpu(), flow.cpu()), SPEC.tolerance(dtype), f"cuda {facet} {dtype}")


@pytest.mark.gpu
@gpu
def test_gradients_gpu_match_cpu():
    from vfi.kernels.backward_warp.torch_op import backward_warp_op

    img, flow = make_inputs(1, 3, 16, 24, 3.0)
    grads = []
    for device in ("cpu", "cuda"):
        i = img.float().to(device).requires_grad_(True)
        f = flow.float().to(device).requires_grad_(True)
        backward_warp_op(i, f).square().sum().backward()
        grads.append((i.grad.cpu(), f.grad.cpu()))
    assert_close(grads[1][0], grads[0][0], SPEC.tolerance("float32"), "grad img cuda vs cpu")
    assert_close(grads[1][1], grads[0][1], SPEC.tolerance("float32"), "grad flow cuda vs cpu")


# ----- TensorRT: plugin registration and engine parity -----


def _tensorrt_or_skip():
    try:
        import tensorrt  # noqa: F401
        import tensorrt.plugin  # noqa: F401
    except (ImportError, OSError) as exc:
        pytest.skip(f"TensorRT (with tensorrt.plugin) not importable: {exc}")
    if not torch.cuda.is_available():
        pytest.skip("no CUDA device on this machine")


@pytest.mark.tensorrt
def test_tensorrt_engine_parity(tmp_path):
    _tensorrt_or_skip()
    import tensorrt as trt

    import vfi.kernels.backward_warp.trt_plugin  # noqa: F401  (registers vfi::VfiBackwardWarp)
    from vfi.kernels.onnx_exporter import export_module

    img, flow = make_inputs(1, 3, 33, 47, 6.0)
    img, flow = img.float(), flow.float()
    path = export_module(
        WarpModule(), (img, flow), tmp_path / "w.onnx", flavour="tensorrt", input_names=["img", "flow"], output_names=["out"]
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
    inputs = {"img": img.cuda(), "flow": flow.cuda()}
    out = torch.empty_like(inputs["img"])
    for name, tensor in {**inputs, "out": out}.items():
        context.set_tensor_address(name, tensor.data_ptr())
    assert context.execute_async_v3(torch.cuda.current_stream().cuda_stream)
    torch.cuda.synchronize()
    assert_close(out.cpu(), expected_for(img, flow), SPEC.tolerance("float32"), "TensorRT engine")


def test_trt_plugin_without_tensorrt_raises_backend_unavailable():
    try:
        import tensorrt.plugin  # noqa: F401

        pytest.skip("TensorRT is installed here; the missing-TensorRT error cannot be observed")
    except (ImportError, OSError):
        pass
    from vfi.core.errors import BackendUnavailable

    with pytest.raises(BackendUnavailable, match="NVIDIA's package index"):
        import vfi.kernels.backward_warp.trt_plugin  # noqa: F401


def test_trt_plugin_signature_matches_kernel_and_onnx_attributes():
    # Static check (no TensorRT needed): the plugin's descriptor declares exactly the ONNX node's
    # plugin fields, and the AOT implementation passes one int scalar per i32 kernel parameter.
    import ast
    import importlib.util
    import inspect
    from pathlib import Path

    from vfi.kernels.backward_warp import onnx_lowering
    from vfi.kernels.backward_warp.triton_kernel import KERNEL_PARAMS, backward_warp_kernel

    tree = ast.parse(Path(importlib.util.find_spec(SPEC.trt_plugin).origin).read_text())
    funcs = {f.name: f for f in tree.body if isinstance(f, ast.FunctionDef)}
    desc_args = [a.arg for a in funcs["backward_warp_desc"].args.args]
    assert desc_args[2:] == list(onnx_lowering.PLUGIN_FIELDS)  # after the tensor descriptors img, flow
    src = ast.unparse(funcs["backward_warp_aot"])
    n_int = sum(1 for _, kind in KERNEL_PARAMS if kind == "i32")
    assert f"SymIntExprs({n_int})" in src
    assert [p for p in inspect.signature(backward_warp_kernel.fn).parameters][:-1] == [p for p, _ in KERNEL_PARAMS]


def test_trt_plugin_aot_impl_with_stub_tensorrt(monkeypatch):
    # Runs the plugin module against a minimal stand-in for `tensorrt.plugin` (plain ints for the
    # symbolic shapes) to check the launch it describes; the real API is exercised by the
    # `tensorrt`-marked test on a machine that has it.
    import importlib
    import sys
    import types

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
    monkeypatch.delitem(sys.modules, "vfi.kernels.backward_warp.trt_plugin", raising=False)
    plugin = importlib.import_module("vfi.kernels.backward_warp.trt_plugin")
    monkeypatch.setattr(plugin, "_device_arch", lambda: 90)
    try:
        assert ("register", "vfi::VfiBackwardWarp") in registered
        desc = types.SimpleNamespace(dtype=trt.float16, shape_expr=(2, 64, 1080, 1920))
        flow_desc = types.SimpleNamespace(dtype=trt.float16, shape_expr=(2, 2, 1080, 1920))
        name, ptx, launch, scalars = registered[("aot_impl", "vfi::VfiBackwardWarp")](desc, flow_desc, (desc,), 0)
    finally:
        sys.modules.pop("vfi.kernels.backward_warp.trt_plugin", None)
    pixels = 2 * 1080 * 1920
    assert name in ptx and ".target sm_90" in ptx
    assert scalars == [("i32", 64), ("i32", 1080), ("i32", 1920), ("i32", pixels)]
    assert launch.grid_x == math.ceil(pixels / 256) and launch.block_x == 128 and launch.shared_mem == 0
