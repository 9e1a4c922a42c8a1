"""Small shared contracts: tolerances, precisions, the lazy registry, short errors, error
rendering for a front end, and sidecars."""

from __future__ import annotations

import json

import numpy as np
import pytest

from vfi.core.errors import BackendUnavailable, InputError


def test_tolerance_checks_elements_and_mean_and_says_what_would_pass():
    from vfi.core.tolerance import Tolerance, assert_close, compare

    expected = np.zeros(100)
    actual = np.full(100, 1e-3)
    result = compare(actual, expected, Tolerance(atol=1e-2, mean_atol=1e-4))
    assert result.elements_pass and not result.mean_passes and not result.passed
    assert "mean abs err 0.001 > 0.0001 (would pass at 0.001)" in result.failure("frame")
    actual[3] = 0.5
    result = compare(actual, expected, Tolerance(atol=1e-2))
    assert result.outside == 1 and result.worst_index == (3,)
    assert "would pass with atol=0.5" in result.failure()
    assert_close(expected + 1e-9, expected, Tolerance(atol=1e-8))
    with pytest.raises(AssertionError, match="NaN|non-finite"):
        assert_close(np.array([np.nan]), np.array([0.0]), Tolerance(atol=1.0))
    with pytest.raises(AssertionError, match="shape"):
        assert_close(np.zeros(2), np.zeros(3), Tolerance(atol=1.0))


def test_precision_rules_are_one_table():
    from vfi.core.precision import PRECISIONS, artifact_precision, check_precision, require_supported

    assert check_precision("fp16") is PRECISIONS["fp16"] and PRECISIONS["fp16"].reduced
    with pytest.raises(InputError, match="precision 'int3' is unknown"):
        check_precision("int3")
    with pytest.raises(BackendUnavailable, match="not offered by X; it offers fp32"):
        require_supported("fp16", ("fp32",), "X")
    assert artifact_precision(None, "fp16", "m.onnx") == "fp16" == artifact_precision("fp16", "fp16", "m.onnx")
    with pytest.raises(InputError, match="m.onnx was built at precision fp16"):
        artifact_precision("fp32", "fp16", "m.onnx")


def test_lazy_registry_imports_on_use_and_names_the_known_entries():
    from vfi.core.lazy import LazyRegistry, load_object

    registry = LazyRegistry("codec", {"json": "json:dumps", "mod": "json"}, parameter="codec")
    assert registry.load("json") is json.dumps and load_object("json") is json
    with pytest.raises(InputError, match="codec 'xml' is unknown; choose one of json, mod") as info:
        registry.load("xml")
    assert info.value.parameters == ("codec",)


def test_short_error_and_front_end_spelling():
    from vfi.core.messages import short_error

    assert short_error(ValueError("\n  first line\nsecond")) == "first line"
    assert short_error(KeyError()) == "KeyError"
    assert short_error(OSError("disk"), with_type=True) == "OSError: disk"
    assert len(short_error(ValueError("x" * 500), limit=20)) == 20
    error = InputError("input_fps must be positive; give fps or factor, not both (see /data/fps/x)", "input_fps", "fps")
    assert str(error).startswith("input_fps must")
    spelled = error.rendered({"input_fps": "--input-fps", "fps": "--fps"})
    assert spelled == "--input-fps must be positive; give --fps or factor, not both (see /data/fps/x)"


def test_sidecar_written_with_its_artifact_or_not_at_all(tmp_path):
    import dataclasses

    from vfi.core.sidecar import make_sidecar, read_sidecar, sidecar_path, write_artifact

    @dataclasses.dataclass
    class TinyCard:
        family: str = "f"

    side = make_sidecar("onnx", tmp_path / "m.onnx", TinyCard(), "fp32", {"img0": [1]}, {"frame": [1]}, {})
    path, side_path = write_artifact(tmp_path / "m.onnx", side, lambda temp: temp.write_bytes(b"graph"))
    assert path.read_bytes() == b"graph" and side_path == sidecar_path(path)
    assert read_sidecar(path, "onnx")["model_card"] == {"family": "f"}
    with pytest.raises(InputError, match="is a onnx artifact; expected tensorrt-engine"):
        read_sidecar(path, "tensorrt-engine")

    def broken(temp):
        temp.write_bytes(b"half")
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        write_artifact(tmp_path / "n.onnx", side, broken)
    with pytest.raises(ValueError):  # the sidecar function fails after the artifact was written
        write_artifact(
            tmp_path / "n.onnx", lambda temp: (_ for _ in ()).throw(ValueError("parity")), lambda t: t.write_bytes(b"x")
        )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.onnx", "m.onnx.json"]
    with pytest.raises(InputError, match="has no sidecar"):
        read_sidecar(tmp_path / "n.onnx")
