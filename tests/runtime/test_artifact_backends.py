"""Runners over built artifacts: shape fitting, ONNX Runtime on an exported graph, tensorrt
backend availability (no TensorRT here), interpolate CLI on an artifact."""

from __future__ import annotations

import numpy as np
import pytest

from vfi.core.errors import BackendUnavailable, InputError
from vfi.runtime.backends.artifact import ShapeFitter


def test_shape_fitter_pads_splits_and_crops():
    fitter = ShapeFitter("m.onnx", static_batch=2, static_size=(8, 8))
    calls = []

    def fn(a, b, t, context):
        calls.append((a.shape, t.copy(), [c.shape for c in context]))
        return a + b * 0 + t.reshape(-1, 1, 1, 1) + sum(context, np.zeros_like(a))

    img = np.random.default_rng(0).random((3, 3, 6, 5), dtype=np.float32)
    out = fitter.run(fn, img, img, np.array([0.1, 0.2, 0.3], np.float32))
    assert [c[0] for c in calls] == [(2, 3, 8, 8)] * 2 and calls[1][1].tolist() == pytest.approx([0.3, 0.3])
    np.testing.assert_allclose(out, img + np.array([0.1, 0.2, 0.3], np.float32).reshape(3, 1, 1, 1), rtol=1e-6)
    # Context frames are padded and split with the pair: the same pieces, each frame its own.
    calls.clear()
    context = (np.full_like(img, 2.0), np.full_like(img, 3.0))
    out = fitter.run(fn, img, img, np.array([0.1, 0.2, 0.3], np.float32), context)
    assert [c[2] for c in calls] == [[(2, 3, 8, 8)] * 2] * 2
    np.testing.assert_allclose(out, img + 5.0 + np.array([0.1, 0.2, 0.3], np.float32).reshape(3, 1, 1, 1), rtol=1e-6)
    with pytest.raises(InputError, match="at most 8x8"):
        fitter.check_size(16, 8)
    ranged = ShapeFitter("m.engine", max_batch=4, size_range=((16, 16), (64, 64)))
    with pytest.raises(InputError, match="outside the engine's profile"):
        ranged.check_size(8, 32)


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    """The tiny warp net exported portable (static 1x16x24) and tensorrt-flavoured."""
    from runtime_doubles import make_tiny_warp_net

    from vfi.export.onnx_artifact import ExportOptions, export_onnx

    folder = tmp_path_factory.mktemp("artifacts")
    portable = export_onnx(make_tiny_warp_net(), folder / "p.onnx", ExportOptions(flavour="portable", shape=(16, 24)))
    trt = export_onnx(make_tiny_warp_net(), folder / "t.onnx", ExportOptions(flavour="tensorrt", shape=(16, 24)))
    clip = export_onnx(make_tiny_warp_net(), folder / "c.onnx", ExportOptions(flavour="portable", shape=(40, 48)))
    half = export_onnx(
        make_tiny_warp_net(), folder / "h.onnx", ExportOptions(flavour="portable", shape=(16, 24), precision="fp16")
    )
    return portable.path, trt.path, clip.path, half.path


def test_onnxruntime_runs_exported_graph(exported):
    import torch
    from runtime_doubles import make_tiny_warp_net

    from vfi.runtime.backends import create_runner

    rng = np.random.default_rng(1)
    img0, img1 = rng.random((3, 3, 16, 16), dtype=np.float32), rng.random((3, 3, 16, 16), dtype=np.float32)
    t = np.array([0.25, 0.5, 0.75], np.float32)
    with create_runner("onnxruntime", str(exported[0])) as runner:
        assert runner.pad_multiple == 8 and runner.card.variant == "tiny-warp-test"
        runner.prepare(16, 24)
        with pytest.raises(InputError, match="export a graph of shape 24x24"):
            runner.prepare(24, 24)
        out = runner.infer(img0, img1, t)
    padded = [np.pad(x, [(0, 0), (0, 0), (0, 0), (0, 8)], mode="edge") for x in (img0, img1)]
    with torch.inference_mode():
        ref = make_tiny_warp_net()(*(torch.from_numpy(x) for x in padded), torch.from_numpy(t)).numpy()[..., :16]
    np.testing.assert_allclose(out, ref, atol=1e-5)


def test_onnxruntime_refuses_tensorrt_flavour(exported):
    from vfi.runtime.backends import create_runner

    with pytest.raises(InputError, match="ONNX Runtime cannot run"):
        create_runner("onnxruntime", str(exported[1])).load()


def test_an_artifact_runs_at_its_own_precision(exported):
    """An fp16 graph runs at fp16 when no precision is asked for (onnxruntime used to refuse it);
    asking for another precision is refused in one line that says why."""
    from vfi.runtime.backends import create_runner

    rng = np.random.default_rng(2)
    img0, img1 = rng.random((1, 3, 16, 24), dtype=np.float32), rng.random((1, 3, 16, 24), dtype=np.float32)
    t = np.array([0.5], np.float32)
    with create_runner("onnxruntime", str(exported[3])) as half, create_runner("onnxruntime", str(exported[0])) as full:
        assert half.precision == "fp16" and full.precision == "fp32"
        diff = np.abs(half.infer(img0, img1, t) - full.infer(img0, img1, t)).max()
    assert 0 < diff < 2e-2  # fp16 arithmetic inside, float32 at the boundary
    with create_runner("onnxruntime", str(exported[3]), precision="fp16") as runner:
        assert runner.precision == "fp16"
    with pytest.raises(InputError, match="h.onnx was built at precision fp16, which is fixed in the artifact") as info:
        create_runner("onnxruntime", str(exported[3]), precision="fp32").load()
    assert info.value.parameters == ("precision",)


def test_tensorrt_backend_unavailable_here():
    import importlib.util

    from vfi.runtime.backends import create_runner, runner_class

    if importlib.util.find_spec("tensorrt") is not None:
        pytest.skip("TensorRT is installed here")
    ok, reason = runner_class("tensorrt").is_available()
    if importlib.util.find_spec("tensorrt_lean") is None:
        assert not ok and "NVIDIA" in reason and "tensorrt-lean" in reason
    else:  # the lean runtime imports on CPU; what is missing is a CUDA device
        assert not ok and "CUDA" in reason
    with pytest.raises(BackendUnavailable, match="backend 'tensorrt' is unavailable"):
        create_runner("tensorrt", "m.engine", device="cuda")


def test_tensorrt_backend_module_imports_no_torch():
    import subprocess
    import sys

    code = (
        "import sys, vfi.runtime.backends.tensorrt_backend as m; m.TensorRTRunner.is_available(); print('torch' in sys.modules)"
    )
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip() == "False"


def test_interpolate_cli_with_exported_graph(exported, tmp_path, capsys):
    from PIL import Image

    from vfi.cli.app import main
    from vfi.core.synthetic_scene import make_scene

    frames = tmp_path / "in"
    frames.mkdir()
    scene = make_scene(height=34, width=44, seed=2)  # padded to 40x48, the graph's static size
    for i in range(3):
        Image.fromarray(scene.render(float(i))).save(frames / f"{i:05d}.png")
    main(["interpolate", str(frames), "-o", str(tmp_path / "out"), "--backend", "onnxruntime", "--model", str(exported[2]), "-q"])
    assert len(list((tmp_path / "out").glob("*.png"))) == 5
