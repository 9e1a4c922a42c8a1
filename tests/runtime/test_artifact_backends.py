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


# -- `--backend auto` picks the backend of the artifact's kind ------------------------------------


def _pretend_available(monkeypatch, available: set[str]):
    """Make `is_available` of each backend class answer by `available` (no library is loaded)."""
    from vfi.runtime import backends

    for name in backends.names():
        cls = backends.runner_class(name)
        answer = (name in available, "" if name in available else f"{name} is not installed (pretend)")
        monkeypatch.setattr(cls, "is_available", classmethod(lambda c, answer=answer: answer))


@pytest.mark.parametrize(
    "name, device, available, expected",
    [
        ("m.onnx", "cpu", {"openvino", "onnxruntime", "torch"}, "openvino"),
        ("m.onnx", "cpu", {"onnxruntime", "torch"}, "onnxruntime"),
        ("m.ONNX", "cpu", {"onnxruntime", "torch"}, "onnxruntime"),
        ("m.onnx", "cuda", {"openvino", "onnxruntime"}, "onnxruntime"),
        ("m.pt2", "cpu", {"compiled", "torch", "openvino"}, "compiled"),
        ("m.engine", "cuda", {"tensorrt", "torch"}, "tensorrt"),
        ("m.plan", "cuda", {"tensorrt", "torch"}, "tensorrt"),
        ("m.xml", "cpu", {"openvino", "torch", "onnxruntime"}, "openvino"),
        ("rife-4.0", "cpu", {"openvino", "torch"}, "openvino"),
        ("m.safetensors", "cpu", {"torch"}, "torch"),
    ],
)
def test_auto_backend_follows_the_artifact_suffix(monkeypatch, name, device, available, expected):
    from vfi.runtime.backends import resolve_backend

    _pretend_available(monkeypatch, available)
    chosen, why = resolve_backend("auto", name, device)
    assert chosen == expected and why.startswith("auto:")


def test_auto_backend_without_a_runner_for_the_kind_says_which_were_tried(monkeypatch):
    from vfi.runtime.backends import resolve_backend

    _pretend_available(monkeypatch, {"torch", "onnxruntime"})
    with pytest.raises(BackendUnavailable, match="no backend can run openvino-ir on cpu: openvino: openvino is not installed"):
        resolve_backend("auto", "m.xml", "cpu")


def test_auto_backend_on_real_artifacts_creates_the_matching_runner(exported, tmp_path):
    """Through `create_runner`, as `vfi interpolate --model X` calls it: a portable .onnx runs on
    openvino (or onnxruntime without it), never as a .safetensors checkpoint."""
    from vfi.runtime.backends import create_runner, runner_class

    expected = "openvino" if runner_class("openvino").is_available()[0] else "onnxruntime"
    with create_runner("auto", str(exported[0]), device="cpu") as runner:
        assert runner.name == expected and runner.card.variant == "tiny-warp-test"
    upper = tmp_path / "P.ONNX"
    upper.write_bytes(exported[0].read_bytes())
    (tmp_path / "P.ONNX.json").write_text(exported[0].with_name(exported[0].name + ".json").read_text())
    with create_runner("auto", str(upper), device="cpu") as runner:
        assert runner.name == expected


def test_auto_backend_on_a_tensorrt_flavour_graph_says_build_an_engine(exported):
    from vfi.runtime.backends import create_runner

    with pytest.raises(InputError, match=r"tensorrt-flavour graph .*`vfi build .*t\.onnx -o t\.engine`") as info:
        create_runner("auto", str(exported[1]), device="cpu")
    assert "\n" not in str(info.value)


@pytest.mark.parametrize("backend", ["onnxruntime", "openvino"])
def test_a_truncated_graph_is_one_line_on_each_onnx_backend(exported, tmp_path, backend):
    from vfi.runtime.backends import create_runner, runner_class

    if not runner_class(backend).is_available()[0]:
        pytest.skip(f"{backend} is not installed here")
    graph = tmp_path / "cut.onnx"
    graph.write_bytes(exported[0].read_bytes()[:300])
    (tmp_path / "cut.onnx.json").write_text(exported[0].with_name(exported[0].name + ".json").read_text())
    with pytest.raises(InputError, match=r"cut\.onnx: not a readable ONNX graph .*export or build cut\.onnx again") as info:
        with create_runner(backend, str(graph)) as runner:
            runner.prepare(16, 24)
    assert "\n" not in str(info.value)


def test_a_sidecar_with_a_malformed_card_names_the_field(exported, tmp_path):
    import json

    from vfi.runtime.backends.artifact import load_artifact

    graph = tmp_path / "g.onnx"
    graph.write_bytes(exported[0].read_bytes())
    side = json.loads(exported[0].with_name(exported[0].name + ".json").read_text())
    side["model_card"]["pad_multiple"] = "8"
    (tmp_path / "g.onnx.json").write_text(json.dumps(side))
    with pytest.raises(InputError, match="model card field 'pad_multiple' must be an integer"):
        load_artifact(graph, "onnx")


def test_a_corrupt_package_and_engine_are_one_line(tmp_path, monkeypatch):
    """The compiled and tensorrt backends open their file through `open_artifact_file`: whatever
    the library raises becomes one InputError line."""
    from vfi.runtime.backends.artifact import open_artifact_file
    from vfi.runtime.backends.compiled_backend import _load_package

    package = tmp_path / "m.pt2"
    package.write_bytes(b"PK\x03\x04 truncated")
    with pytest.raises(InputError, match=r"m\.pt2: not a readable AOTInductor package \(not a zip archive"):
        open_artifact_file(package, "aoti-package", lambda: _load_package(package))

    def deserialize():
        raise RuntimeError("IRuntime::deserializeCudaEngine: Error Code 1: Serialization (magic tag does not match)\nmore")

    with pytest.raises(InputError, match=r"m\.engine: not a readable TensorRT engine \(IRuntime::deserializeCudaEngine") as info:
        open_artifact_file(tmp_path / "m.engine", "tensorrt-engine", deserialize)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize("name", ["m.onnx", "m.pt2", "m.engine", "m.xml"])
def test_a_model_backend_given_an_artifact_names_the_backends_that_run_it(tmp_path, name):
    from vfi.runtime.backends import create_runner

    (tmp_path / name).write_bytes(b"built")
    with pytest.raises(InputError, match=r"is a built .*not a model name or \.safetensors checkpoint; run it with backend auto"):
        create_runner("torch", str(tmp_path / name)).load()
