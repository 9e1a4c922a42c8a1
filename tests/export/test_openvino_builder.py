"""`vfi build --target openvino`: an IR with its sidecar, checked against torch before it is written."""

from __future__ import annotations

import json

import numpy as np
import pytest

from vfi.core.errors import ExportError, InputError

ov = pytest.importorskip("openvino")


def _precision():
    from vfi.core.openvino import cpu_precisions

    reduced = [p for p in cpu_precisions() if p != "fp32"]
    return reduced[0] if reduced else "fp32"


def test_ir_sidecar_and_runner(tiny_model, tmp_path):
    from vfi.export.openvino_builder import OpenVINOOptions, build_openvino
    from vfi.runtime.backends import create_runner

    precision = _precision()
    path, side = build_openvino(tiny_model("scalar"), tmp_path / "m.xml", OpenVINOOptions(shape=(16, 24), precision=precision))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.bin", "m.xml", "m.xml.json"]
    sidecar = json.loads(side.read_text())
    assert sidecar["kind"] == "openvino-ir" and sidecar["precision"] == precision and sidecar["parity"]["passed"]
    # The plugin is told f32 at every precision: a reduced one lives in the graph's convolutions.
    assert sidecar["tools"]["openvino"] != "-" and sidecar["compile"] == {"INFERENCE_PRECISION_HINT": "f32"}
    assert sidecar["islands"]["reduced_ops"] == (2 if precision != "fp32" else 0)  # the tiny model's two convolutions
    rng = np.random.default_rng(0)
    img = rng.random((1, 3, 16, 24), dtype=np.float32)
    with create_runner("openvino", str(path)) as runner:
        assert runner.precision == precision and runner.infer(img, img, np.array([0.5], np.float32)).shape == img.shape
    if precision != "fp32":
        with pytest.raises(InputError, match=f"built at precision {precision}, which is fixed in the artifact"):
            create_runner("openvino", str(path), precision="fp32").load()


def test_parity_failure_and_bad_names_leave_nothing(tiny_model, tmp_path, monkeypatch):
    from vfi.core import graph_spec
    from vfi.core.tolerance import Tolerance
    from vfi.export.openvino_builder import OpenVINOOptions, build_openvino

    with pytest.raises(InputError, match="must end in .xml"):
        build_openvino(tiny_model("scalar"), tmp_path / "m.onnx", OpenVINOOptions(shape=(16, 24)))
    monkeypatch.setitem(graph_spec.DEFAULT_TOLERANCES, "fp32", Tolerance(atol=-1.0))
    with pytest.raises(ExportError, match="disagrees with torch"):
        build_openvino(tiny_model("scalar"), tmp_path / "out" / "m.xml", OpenVINOOptions(shape=(16, 24)))
    assert list(tmp_path.iterdir()) == []
