"""Triton model repositories: config.pbtxt parsed back structurally, files in place."""

from __future__ import annotations

import pytest

from vfi.core.errors import InputError
from vfi.export.onnx_artifact import ExportOptions
from vfi.export.pbtxt import Enum, dumps, loads
from vfi.export.serving import write_repository


def test_pbtxt_round_trip():
    text = dumps(
        {
            "name": "m",
            "max_batch_size": 4,
            "input": [{"name": "a", "data_type": Enum("TYPE_FP32"), "dims": [3, -1]}],
            "dynamic_batching": {"max_queue_delay_microseconds": 100},
        }
    )
    parsed = loads("# comment\n" + text)
    assert parsed["name"] == ["m"] and parsed["max_batch_size"] == [4]
    assert parsed["input"][0]["dims"] == [3, -1] and parsed["input"][0]["data_type"] == ["TYPE_FP32"]
    assert parsed["dynamic_batching"][0]["max_queue_delay_microseconds"] == [100]


def test_static_portable_graph(tiny_model, export_cache, tmp_path):
    result = export_cache("serve-static", lambda: tiny_model("scalar"), ExportOptions(flavour="portable", shape=(16, 24)))
    folder = write_repository(result.path, tmp_path / "repo")
    assert (folder / "1" / "model.onnx").read_bytes() == result.path.read_bytes()
    config = loads((folder / "config.pbtxt").read_text())
    assert (
        config["name"] == ["tiny-warp-scalar"]
        and config["platform"] == ["onnxruntime_onnx"]
        and config["backend"] == ["onnxruntime"]
    )
    assert config["max_batch_size"] == [0] and "dynamic_batching" not in config
    assert [i["name"][0] for i in config["input"]] == ["img0", "img1", "timestep"]
    assert config["input"][0]["dims"] == [1, 3, 16, 24] and config["input"][2]["dims"] == [1, 1, 1, 1]
    assert config["output"][0]["name"] == ["frame"] and config["output"][0]["dims"] == [1, 3, 16, 24]
    assert config["instance_group"][0]["kind"] == ["KIND_GPU"] and config["instance_group"][0]["count"] == [1]


def test_dynamic_graph_gets_dynamic_batching(tiny_model, export_cache, tmp_path):
    result = export_cache("serve-dynamic", lambda: tiny_model("map"), ExportOptions(flavour="portable", dynamic=True))
    config = loads(
        (write_repository(result.path, tmp_path, name="vfi_map", max_batch_size=4, instances=2) / "config.pbtxt").read_text()
    )
    assert config["name"] == ["vfi_map"] and config["max_batch_size"] == [4]
    assert config["input"][0]["dims"] == [3, -1, -1] and config["input"][2]["dims"] == [1, -1, -1]
    assert config["dynamic_batching"][0]["max_queue_delay_microseconds"] == [100]
    assert config["instance_group"][0]["count"] == [2]


def test_tensorrt_flavour_graph_refused(tiny_model, export_cache, tmp_path):
    result = export_cache("serve-trt", lambda: tiny_model("scalar"), ExportOptions(flavour="tensorrt", shape=(16, 16)))
    with pytest.raises(InputError, match="ONNX Runtime cannot run"):
        write_repository(result.path, tmp_path)


def test_engine_repository(tiny_model, export_cache, tmp_path):
    # An engine's sidecar made by the builder's own function; the plan bytes are a stand-in.
    from vfi.core.sidecar import write_sidecar
    from vfi.export.tensorrt_builder import BuildOptions, engine_sidecar, plan_profile

    result = export_cache("serve-engine-src", lambda: tiny_model("scalar"), ExportOptions(flavour="tensorrt", dynamic=True))
    options = BuildOptions(min="1x16x16", opt="2x32x32", max="4x64x64")
    side, profile = plan_profile(result.path, options)
    engine = tmp_path / "m.engine"
    engine.write_bytes(b"plan")
    write_sidecar(engine, engine_sidecar(result.path, side, engine, profile, options, "10.13.0"))
    config = loads((write_repository(engine, tmp_path / "repo") / "config.pbtxt").read_text())
    assert config["platform"] == ["tensorrt_plan"] and config["backend"] == ["tensorrt"]
    assert config["max_batch_size"] == [4] and config["input"][0]["dims"] == [3, -1, -1]
    assert config["parameters"][0]["value"][0]["string_value"] == ["vfi::VfiBackwardWarp@1"]
    assert (tmp_path / "repo" / "tiny-warp-scalar" / "1" / "model.plan").read_bytes() == b"plan"


def test_repository_io_matches_what_vfi_serve_binds(tiny_model, export_cache, tmp_path):
    # The stock-server repository and `vfi serve` take the same names and types (vfi.core.serving).
    from vfi.core.serving import io_tensors

    result = export_cache("serve-static", lambda: tiny_model("scalar"), ExportOptions(flavour="portable", shape=(16, 24)))
    config = loads((write_repository(result.path, tmp_path / "repo") / "config.pbtxt").read_text())
    inputs, outputs = io_tensors(timestep=True, uint8=False)
    assert [(i["name"][0], i["data_type"][0]) for i in config["input"]] == [(t.name, f"TYPE_{t.datatype}") for t in inputs]
    assert [(o["name"][0], o["data_type"][0]) for o in config["output"]] == [(t.name, f"TYPE_{t.datatype}") for t in outputs]
