"""The `tensorrt` backend's own logic on CPU: slots and double buffering, CUDA-graph capture and
replay, padding to a static engine, full vs lean runtime, cleanup.

TensorRT and the CUDA runtime are replaced by `tensorrt_doubles`, which keep CUDA's ordering rules
(queued work runs at synchronisation) and whose every name is checked against the real Python APIs
(`tensorrt_lean`, `cuda.bindings.runtime`). A real engine run is the `tensorrt`-marked test in
tests/export/test_tensorrt_builder.py.
"""

from __future__ import annotations

import importlib.util
import json

import numpy as np
import pytest

from vfi.core.errors import BackendUnavailable

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("tensorrt_lean") is None or importlib.util.find_spec("cuda.bindings") is None,
    reason="needs the lean TensorRT runtime and cuda-bindings (pip install -e '.[dev]')",
)


@pytest.fixture(scope="module")
def onnx_graph(tmp_path_factory):
    """The tiny warp net exported tensorrt-flavoured, static 1x3x16x24."""
    from runtime_doubles import make_tiny_warp_net

    from vfi.export.onnx_artifact import ExportOptions, export_onnx

    folder = tmp_path_factory.mktemp("trt")
    return export_onnx(make_tiny_warp_net(), folder / "t.onnx", ExportOptions(flavour="tensorrt", shape=(16, 24))).path


def _engine(onnx_graph, folder, **options):
    """An engine file (the doubles' plan) with the sidecar `vfi build` would write for `options`."""
    import tensorrt_doubles

    from vfi.core.sidecar import write_sidecar
    from vfi.export.tensorrt_builder import BuildOptions, engine_sidecar, plan_profile

    build = BuildOptions(**options)
    side, profile = plan_profile(onnx_graph, build)
    engine = folder / "m.engine"
    engine.write_bytes(tensorrt_doubles.PLAN)
    write_sidecar(engine, engine_sidecar(onnx_graph, side, engine, profile, build, "11.4.0"))
    return engine


@pytest.fixture
def doubles(monkeypatch):
    """Installs the doubles as TensorRT ("full" unless the test changes it) and the CUDA runtime."""
    import cuda.bindings
    import tensorrt_doubles

    from vfi.runtime.backends import tensorrt_backend

    cudart = tensorrt_doubles.FakeCudart()
    trt = tensorrt_doubles.fake_tensorrt(cudart, ["img0", "img1", "timestep"])
    library = {"name": "full"}
    monkeypatch.setattr(cuda.bindings, "runtime", cudart)
    monkeypatch.setitem(__import__("sys").modules, "cuda.bindings.runtime", cudart)
    monkeypatch.setattr(tensorrt_backend, "import_runtime", lambda: (trt, library["name"]))
    return cudart, trt, library


def _frames(n, h=16, w=16, seed=0):
    rng = np.random.default_rng(seed)
    img0, img1 = rng.random((n, 3, h, w), dtype=np.float32), rng.random((n, 3, h, w), dtype=np.float32)
    t = rng.random(n).astype(np.float32)
    return img0, img1, t, (1 - t[:, None, None, None]) * img0 + t[:, None, None, None] * img1


def test_doubles_use_only_names_of_the_real_apis():
    import tensorrt_doubles

    assert tensorrt_doubles.missing_names() == []


def test_double_buffered_slots_give_every_piece_its_own_result(doubles, onnx_graph, tmp_path):
    from vfi.runtime.backends import create_runner

    cudart, trt, _ = doubles
    engine = _engine(onnx_graph, tmp_path)
    img0, img1, t, expected = _frames(5)  # 16x16 frames padded to the 16x24 engine, batch cut to 1
    with create_runner("tensorrt", str(engine), device="cuda") as runner:
        runner.prepare(16, 16)
        out = runner.infer(img0, img1, t)
        (fake_engine,) = trt.runtimes[0].engines
        assert len(fake_engine.contexts) == 2 and fake_engine.executions == 5
        again = runner.infer(img1, img0, 1 - t)  # buffers reused, no new allocations
        allocations = cudart.counts["cudaMalloc"]
    np.testing.assert_allclose(out, expected, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(again, expected, rtol=1e-6, atol=1e-6)
    assert allocations == 2 * 4  # two slots x (img0, img1, timestep, frame)
    assert cudart.live_allocations() == 0, "close() must free every device and pinned buffer"
    assert trt.runtimes[0].engine_host_code_allowed is False


def test_cuda_graphs_are_captured_once_per_slot_and_replayed(doubles, onnx_graph, tmp_path):
    from vfi.runtime.backends import create_runner

    cudart, trt, _ = doubles
    engine = _engine(onnx_graph, tmp_path)
    with create_runner("tensorrt", str(engine), device="cuda", cuda_graphs=True) as runner:
        for seed in range(3):
            img0, img1, t, expected = _frames(4, seed=seed)
            np.testing.assert_allclose(runner.infer(img0, img1, t), expected, rtol=1e-6, atol=1e-6)
    assert cudart.counts["cudaGraphInstantiate"] == 2  # one per slot: a single input shape
    # 12 pieces: the first piece on each slot runs plainly, is captured, then launched; all later ones replay
    assert cudart.counts["cudaGraphLaunch"] == 12
    assert cudart.live_allocations() == 0


def test_lean_runtime_runs_only_version_compatible_engines(doubles, onnx_graph, tmp_path):
    from vfi.runtime.backends import create_runner

    _, trt, library = doubles
    library["name"] = "lean"
    plain = _engine(onnx_graph, tmp_path)
    with pytest.raises(BackendUnavailable, match="not built version-compatible"):
        create_runner("tensorrt", str(plain), device="cuda").load()
    assert trt.runtimes == [], "the engine must be refused before TensorRT is asked"

    compatible = _engine(onnx_graph, tmp_path, version_compatible=True)
    img0, img1, t, expected = _frames(2)
    with create_runner("tensorrt", str(compatible), device="cuda") as runner:
        np.testing.assert_allclose(runner.infer(img0, img1, t), expected, rtol=1e-6, atol=1e-6)
    assert trt.runtimes[-1].engine_host_code_allowed is True  # the plan carries the lean runtime's host code

    excluded = _engine(onnx_graph, tmp_path, version_compatible=True, exclude_lean_runtime=True)
    with create_runner("tensorrt", str(excluded), device="cuda") as runner:
        runner.infer(img0, img1, t)
    assert trt.runtimes[-1].engine_host_code_allowed is False


def test_unloadable_plan_is_one_clear_error(doubles, onnx_graph, tmp_path):
    from vfi.runtime.backends import create_runner

    engine = _engine(onnx_graph, tmp_path)
    engine.write_bytes(b"built elsewhere")
    with pytest.raises(BackendUnavailable, match=r"cannot load m\.engine \(built with TensorRT 11\.4\.0"):
        create_runner("tensorrt", str(engine), device="cuda").load()
    sidecar = json.loads((tmp_path / "m.engine.json").read_text())
    assert sidecar["kind"] == "tensorrt-engine"


def test_real_runtime_library_import_here():
    """Without full TensorRT the backend falls back to the lean runtime, which imports on CPU."""
    from vfi.core.tensorrt import import_runtime
    from vfi.runtime.backends.tensorrt_backend import TensorRTRunner

    module, library = import_runtime()
    if importlib.util.find_spec("tensorrt") is None:
        assert library == "lean" and module.__name__ == "tensorrt_lean"
        assert TensorRTRunner.version().endswith("(lean runtime)")
    ok, reason = TensorRTRunner.is_available()
    if not ok:  # no GPU here: the reason names the CUDA failure, not a missing package
        assert "CUDA" in reason
