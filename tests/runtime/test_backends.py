"""Runner backends: registry, availability errors, torch runner, ONNX Runtime export and parity."""

from __future__ import annotations

import numpy as np
import pytest
from runtime_doubles import make_tiny_warp_net

from vfi.core.errors import BackendUnavailable, InputError
from vfi.core.graph_spec import DEFAULT_OPSET
from vfi.runtime.backends import BACKENDS, create_runner, runner_class


def _inputs(n=3, height=64, width=96, seed=0):
    rng = np.random.default_rng(seed)
    return (
        rng.random((n, 3, height, width), dtype=np.float32),
        rng.random((n, 3, height, width), dtype=np.float32),
        np.linspace(0.25, 0.75, n).astype(np.float32),
    )


def test_registry_classes_answer_doctor_questions():
    for name in BACKENDS:
        cls = runner_class(name)
        ok, reason = cls.is_available()
        assert isinstance(ok, bool) and isinstance(reason, str)
        assert isinstance(cls.version(), str)
        assert cls.name == name


def test_unknown_names_are_input_errors_and_missing_capabilities_unavailable():
    with pytest.raises(InputError, match="backend 'nope' is unknown"):
        create_runner("nope", "rife-4.0")
    with pytest.raises(InputError, match="device 'tpu' is unknown"):
        create_runner("torch", "rife-4.0", device="tpu")
    with pytest.raises(InputError, match="precision 'fp64' is unknown"):
        create_runner("torch", "rife-4.0", precision="fp64")
    with pytest.raises(InputError, match="threads must be >= 1") as info:
        create_runner("torch", "rife-4.0", threads=0)
    assert info.value.parameters == ("threads",)
    with pytest.raises(BackendUnavailable, match="precision fp16 is not offered by the torch backend on cpu; it offers fp32"):
        create_runner("torch", "rife-4.0", device="cpu", precision="fp16")


def test_backend_options_are_checked_against_the_constructor_signature(tiny_net):
    from vfi.runtime.backends import backend_options, runner_class

    assert backend_options(runner_class("torch")) == ("channels_last", "cuda_graphs")
    assert backend_options(runner_class("tensorrt")) == ("cuda_graphs", "slots")
    with pytest.raises(InputError, match="does not take option.s. slots; its options: channels_last, cuda_graphs"):
        create_runner("torch", tiny_net, slots=2)
    with pytest.raises(InputError, match="does not take option"):
        create_runner("onnxruntime", tiny_net, channels_last=True)


def test_timings_are_running_statistics_and_threads_are_restored(tiny_net):
    import torch

    before = torch.get_num_threads()
    img0, img1, t = _inputs(1, 16, 16)
    runner = create_runner("torch", tiny_net, threads=1 if before != 1 else 2)
    with runner:
        assert torch.get_num_threads() == runner.threads
        for _ in range(5):
            runner.infer(img0, img1, t)
    assert torch.get_num_threads() == before
    stats = runner.timings
    assert stats.count == 5 and stats.minimum <= stats.mean <= stats.maximum and stats.total > 0
    assert not hasattr(stats, "append")  # a fixed-size summary, not a list growing with the video


def test_cuda_without_cuda_is_unavailable():
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    with pytest.raises(BackendUnavailable, match="device cuda requested"):
        create_runner("torch", "rife-4.0", device="cuda")


def test_torch_runner_context_manager_and_timings(tiny_net):
    import torch

    img0, img1, t = _inputs()
    with create_runner("torch", tiny_net) as runner:
        assert runner.pad_multiple == 8 and runner.timestep_mode == "scalar"
        out = runner.infer(img0, img1, t)
        runner.infer(img0, img1, t)
    assert out.dtype == np.float32 and out.shape == img0.shape
    assert runner.timings.count == 2 and runner.timings.minimum > 0
    with torch.inference_mode():
        expected = tiny_net(torch.from_numpy(img0), torch.from_numpy(img1), torch.from_numpy(t)).numpy()
    np.testing.assert_allclose(out, expected, atol=1e-6)


def test_onnxruntime_matches_torch_and_caches_graph(tiny_net, graph_cache, monkeypatch):
    import onnx

    img0, img1, t = _inputs()
    with create_runner("torch", tiny_net) as runner:
        expected = runner.infer(img0, img1, t)
    with create_runner("onnxruntime", tiny_net, threads=1) as runner:
        out = runner.infer(img0, img1, t)
        single = runner.infer(img0[:1], img1[:1], t[:1])  # dynamic batch dimension
        (path,) = runner.graph_paths.values()
    np.testing.assert_allclose(out, expected, atol=1e-4)
    np.testing.assert_allclose(single, expected[:1], atol=1e-4)

    assert path.parent == graph_cache / "graphs"
    graph = onnx.load(str(path))
    assert graph.opset_import[0].version == DEFAULT_OPSET
    assert [i.name for i in graph.graph.input] == ["img0", "img1", "timestep"]
    assert [o.name for o in graph.graph.output] == ["frame"]
    modes = [a.s.decode() for n in graph.graph.node if n.op_type == "GridSample" for a in n.attribute if a.name == "mode"]
    assert modes and set(modes) == {"bilinear"}  # not opset-20 "linear" (TensorRT would run nearest)
    assert not list(path.parent.glob("*.partial"))

    # A second runner of the same weights and size reuses the cached file instead of exporting.
    import vfi.runtime.backends.graph_cache as graph_cache

    monkeypatch.setattr(graph_cache, "export_graph", lambda *a, **k: pytest.fail("exported again"))
    with create_runner("onnxruntime", tiny_net) as runner:
        np.testing.assert_allclose(runner.infer(img0, img1, t), out, atol=1e-6)

    # Different weights: a different key.
    with create_runner("onnxruntime", make_tiny_warp_net(seed=1)) as runner:
        runner.load()
        from vfi.runtime.backends.graph_cache import graph_path
        from vfi.runtime.model_source import model_fingerprint

        assert graph_path(model_fingerprint(runner._module), 64, 96, DEFAULT_OPSET) != path


def test_onnxruntime_refuses_fp16_on_cpu_for_a_model(tiny_net):
    with pytest.raises(BackendUnavailable, match="precision fp16 is not offered by the onnxruntime backend on cpu"):
        create_runner("onnxruntime", tiny_net, precision="fp16")


@pytest.mark.slow
def test_onnxruntime_matches_torch_on_rife_checkpoint(tmp_path, graph_cache):
    """RIFE 4.0 (fast mode, random weights) exported through a saved checkpoint (about 15 s)."""
    import vfi.models

    model = vfi.models.create("rife-4.0-fast")
    checkpoint = vfi.models.save(model, tmp_path / "rife-fast.safetensors")
    img0, img1, t = _inputs(2, 64, 64)
    with create_runner("torch", checkpoint) as runner:
        expected = runner.infer(img0, img1, t)
    with create_runner("onnxruntime", checkpoint, threads=1) as runner:
        out = runner.infer(img0, img1, t)
    np.testing.assert_allclose(out, expected, atol=1e-4)


@pytest.mark.gpu
@pytest.mark.parametrize(
    "backend,precision,atol", [("torch", "fp32", 1e-4), ("torch", "fp16", 2e-2), ("onnxruntime", "fp32", 1e-4)]
)
def test_cuda_runner_matches_cpu(tiny_net, graph_cache, backend, precision, atol):
    import torch

    if not torch.cuda.is_available():
        pytest.skip("needs a CUDA device")
    try:
        runner = create_runner(backend, tiny_net, device="cuda", precision=precision)
    except BackendUnavailable as exc:
        pytest.skip(str(exc))
    img0, img1, t = _inputs()
    with create_runner("torch", make_tiny_warp_net()) as cpu:
        expected = cpu.infer(img0, img1, t)
    with runner:
        out = runner.infer(img0, img1, t)
    np.testing.assert_allclose(out, expected, atol=atol)


def test_context_model_runs_alike_on_torch_and_onnxruntime(graph_cache):
    """A model with context frames: its graph takes them by name, and both backends agree."""
    from runtime_doubles import make_tiny_context_net

    net = make_tiny_context_net()
    img0, img1, t = _inputs(n=2, height=32, width=48)
    context = tuple(np.random.default_rng(1).random((2, 2, 3, 32, 48), dtype=np.float32))
    with create_runner("torch", net) as runner:
        assert runner.context == 2
        expected = runner.infer(img0, img1, t, context)
        moved = runner.infer(img0, img1, t, (context[1], context[0]))
        with pytest.raises(ValueError, match="takes 2 context frames"):
            runner.infer(img0, img1, t)
    assert np.abs(moved - expected).max() > 1e-3  # the context frames matter, and in their order
    with create_runner("onnxruntime", net) as runner:
        out = runner.infer(img0, img1, t, context)
        (path,) = runner.graph_paths.values()
    np.testing.assert_allclose(out, expected, atol=1e-5)
    import onnx

    assert [i.name for i in onnx.load(str(path)).graph.input] == ["img0", "img1", "timestep", "img_m1", "img2"]


def test_flow_estimators_are_refused_for_interpolation():
    from runtime_doubles import make_tiny_context_net

    with pytest.raises(InputError, match="estimates optical flow"):
        create_runner("torch", make_tiny_context_net(flow_net=True)).load()
