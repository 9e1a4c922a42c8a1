"""The openvino backend: models, portable graphs and IRs at fp32 and reduced precision."""

from __future__ import annotations

import numpy as np
import pytest
from runtime_doubles import make_tiny_warp_net

from vfi.core.errors import InputError

ov = pytest.importorskip("openvino")


def _inputs(n=3, h=32, w=48, seed=0):
    rng = np.random.default_rng(seed)
    return (
        rng.random((n, 3, h, w), dtype=np.float32),
        rng.random((n, 3, h, w), dtype=np.float32),
        np.linspace(0.25, 0.75, n).astype(np.float32),
    )


def _reduced():
    from vfi.core.openvino import cpu_precisions

    return [p for p in cpu_precisions() if p != "fp32"]


def _torch(img0, img1, t):
    from vfi.runtime.backends import create_runner

    with create_runner("torch", make_tiny_warp_net()) as runner:
        return runner.infer(img0, img1, t)


def test_fp32_matches_torch_and_sets_the_precision_explicitly(graph_cache):
    from vfi.runtime.backends import create_runner

    img0, img1, t = _inputs()
    with create_runner("openvino", make_tiny_warp_net(), threads=1) as runner:
        out = runner.infer(img0, img1, t)
        assert runner.compile_properties["INFERENCE_PRECISION_HINT"] == "f32"
        assert runner.compile_properties["INFERENCE_NUM_THREADS"] == 1
    np.testing.assert_allclose(out, _torch(img0, img1, t), atol=1e-5)
    assert any((graph_cache / "openvino").iterdir())  # OpenVINO's compiled-model cache is ours


@pytest.mark.parametrize("requests", [1, 3])
def test_reduced_precision_uses_islands_and_async_requests_agree(graph_cache, requests):
    from vfi.core.graph_spec import DEFAULT_TOLERANCES
    from vfi.core.tolerance import compare
    from vfi.runtime.backends import create_runner

    if not _reduced():
        pytest.skip("this CPU runs no reduced precision natively")
    precision = _reduced()[0]
    img0, img1, t = _inputs()
    with create_runner("openvino", make_tiny_warp_net(), precision=precision, requests=requests) as runner:
        out = runner.infer(img0, img1, t)
        assert runner.precision == precision
        # The plugin is told f32: the graph's convolutions carry the reduced type, nothing else does.
        assert runner.compile_properties["INFERENCE_PRECISION_HINT"] == "f32"
    assert compare(out, _torch(img0, img1, t), DEFAULT_TOLERANCES[precision]).passed


def test_refusals(graph_cache, tmp_path):
    from vfi.runtime.backends import create_runner

    with pytest.raises(InputError, match="runs on device cpu"):
        create_runner("openvino", make_tiny_warp_net(), device="cuda")
    with pytest.raises(InputError, match="requests must be >= 1"):
        create_runner("openvino", make_tiny_warp_net(), requests=0)
    with pytest.raises(InputError, match="runs a model, a portable .onnx or an OpenVINO .xml"):
        create_runner("openvino", "m.engine")
    from vfi.core.openvino import cpu_precisions

    if "fp16" not in cpu_precisions():
        from vfi.core.errors import BackendUnavailable

        with pytest.raises(BackendUnavailable, match="precision fp16 is not offered by the openvino backend"):
            create_runner("openvino", make_tiny_warp_net(), precision="fp16").load()


def test_runs_a_portable_graph_at_the_precision_asked(graph_cache, tmp_path):
    from vfi.export.onnx_artifact import ExportOptions, export_onnx
    from vfi.runtime.backends import create_runner

    graph = export_onnx(make_tiny_warp_net(), tmp_path / "p.onnx", ExportOptions(flavour="portable", shape=(32, 48))).path
    img0, img1, t = _inputs(2)
    with create_runner("openvino", str(graph)) as runner:
        np.testing.assert_allclose(runner.infer(img0, img1, t), _torch(img0, img1, t), atol=1e-5)
        assert runner.precision == "fp32"
    for precision in _reduced()[:1]:
        with create_runner("openvino", str(graph), precision=precision) as runner:
            assert runner.precision == precision and np.isfinite(runner.infer(img0, img1, t)).all()


def test_runners_share_one_openvino_core():
    # OpenVINO's CPU plugin swaps the thread's signal stack per Core; Cores destroyed out of order
    # leave a freed one installed (see vfi.core.openvino). One shared Core cannot be.
    from vfi.runtime.backends import create_runner

    first = create_runner("openvino", make_tiny_warp_net(), device="cpu")
    second = create_runner("openvino", make_tiny_warp_net(), device="cpu")
    assert first._core is second._core


def test_auto_precision_is_native_bf16_on_openvino_fp32_elsewhere_and_own_for_artifacts(monkeypatch, tmp_path):
    import vfi.core.openvino
    from vfi.runtime.backends import create_runner, resolve_precision

    for native, expected in ((("fp32", "bf16"), "bf16"), (("fp32",), "fp32")):
        monkeypatch.setattr(vfi.core.openvino, "cpu_precisions", lambda core=None, native=native: native)
        precision, why = resolve_precision("auto", "openvino", "rife-4.0", "cpu")
        assert precision == expected and why.startswith("auto: ") and expected in why
    assert resolve_precision("auto", "torch", "rife-4.0", "cpu") == ("fp32", "auto: fp32")
    assert resolve_precision("auto", "openvino", str(tmp_path / "m.xml"), "cpu") == (None, "auto: the artifact's own")
    assert resolve_precision("fp32", "openvino", "rife-4.0", "cpu") == ("fp32", None)
    runner = create_runner("openvino", make_tiny_warp_net(), precision="auto")
    assert runner.precision == "fp32" and "no native bf16" in runner.precision_choice
    with pytest.raises(InputError, match="precision 'auto' is unknown"):
        from vfi.runtime.backends.openvino_backend import OpenVINORunner

        OpenVINORunner(make_tiny_warp_net(), precision="auto")  # "auto" is resolved by create_runner only
