"""The TensorRT builder: everything around it on CPU (profiles, options, sidecar, the missing-
TensorRT line); the build itself needs TensorRT (`-m tensorrt`)."""

from __future__ import annotations

import importlib.util

import pytest

from vfi.core.errors import InputError
from vfi.core.graph_spec import GraphSpec
from vfi.export.onnx_artifact import ExportOptions
from vfi.export.shapes import Size, make_profile, parse_size
from vfi.export.tensorrt_builder import BuildOptions, engine_sidecar, plan_profile


def test_parse_size():
    assert parse_size("720x1280", "--shape") == Size(1, 720, 1280)
    assert parse_size("2X64x96", "--min") == Size(2, 64, 96)
    for bad in ("720", "axb", "0x64", "1x2x3x4"):
        with pytest.raises(InputError, match="shape") as info:
            parse_size(bad, "shape")
        assert info.value.parameters == ("shape",)


def test_profile_static_graph_defaults_to_its_shape():
    profile = make_profile({"img0": [1, 3, 64, 128]}, 64, None, None, None)
    assert profile.min == profile.opt == profile.max == Size(1, 64, 128)
    assert profile.shapes(GraphSpec("scalar"))["timestep"] == ((1, 1, 1, 1),) * 3
    with pytest.raises(InputError, match="width is fixed at 128"):
        make_profile({"img0": [1, 3, 64, 128]}, 64, "1x64x64", None, "1x64x128")


def test_profile_dynamic_graph():
    inputs = {"img0": ["batch", 3, "height", "width"]}
    profile = make_profile(inputs, 32, "1x64x64", None, "2x1088x1920")
    assert profile.opt == profile.max
    shapes = profile.shapes(GraphSpec("map"))
    assert shapes["img0"] == ((1, 3, 64, 64), (2, 3, 1088, 1920), (2, 3, 1088, 1920))
    assert shapes["timestep"][0] == (1, 1, 64, 64)
    assert "timestep" not in make_profile(inputs, 32, "64x64", "64x64", "64x64").shapes(GraphSpec("fixed"))
    context = profile.shapes(GraphSpec("scalar", context=2))
    assert list(context) == ["img0", "img1", "timestep", "img_m1", "img2"]
    assert context["img_m1"] == context["img2"] == shapes["img0"]
    with pytest.raises(InputError, match="give min and max"):
        make_profile(inputs, 32, None, None, "1x64x64")
    with pytest.raises(InputError, match="pad multiple 32"):
        make_profile(inputs, 32, "1x60x64", None, "1x64x64")
    with pytest.raises(InputError, match="min <= opt <= max"):
        make_profile(inputs, 32, "1x128x128", None, "1x64x64")


def test_options_checked():
    for options, match, parameter in [
        (BuildOptions(hardware_compat="any"), "hardware_compat 'any' is unknown", "hardware_compat"),
        (BuildOptions(workspace_mb=0), "workspace_mb must be >= 1", "workspace_mb"),
        (BuildOptions(optimization_level=9), "optimization_level must be 0..5", "optimization_level"),
        (BuildOptions(exclude_lean_runtime=True), "set version_compatible too", "exclude_lean_runtime"),
    ]:
        with pytest.raises(InputError, match=match) as info:
            options.check()
        assert info.value.parameters[0] == parameter


def test_engine_sidecar(tiny_model, export_cache, tmp_path):
    result = export_cache("builder-src", lambda: tiny_model("scalar"), ExportOptions(flavour="tensorrt", dynamic=True))
    options = BuildOptions(
        min="1x16x16",
        opt="1x32x32",
        max="1x64x64",
        workspace_mb=512,
        version_compatible=True,
        hardware_compat="ampere+",
        timing_cache=tmp_path / "t.cache",
    )
    side, profile = plan_profile(result.path, options)
    engine = engine_sidecar(result.path, side, tmp_path / "m.engine", profile, options, "11.0.0")
    assert engine["kind"] == "tensorrt-engine" and engine["artifact"] == "m.engine"
    assert engine["tools"]["tensorrt"] == "11.0.0" and engine["precision"] == "fp32"
    assert engine["model_card"] == side["model_card"]
    assert engine["profiles"] == [
        {
            "img0": {"min": [1, 3, 16, 16], "opt": [1, 3, 32, 32], "max": [1, 3, 64, 64]},
            "img1": {"min": [1, 3, 16, 16], "opt": [1, 3, 32, 32], "max": [1, 3, 64, 64]},
            "timestep": {"min": [1, 1, 1, 1], "opt": [1, 1, 1, 1], "max": [1, 1, 1, 1]},
        }
    ]
    assert engine["inputs"]["img0"] == [1, 3, "height", "width"]  # batch fixed at 1 by the profile
    assert engine["builder"] == {
        "strongly_typed": True,
        "workspace_mb": 512,
        "timing_cache": str(tmp_path / "t.cache"),
        "version_compatible": True,
        "exclude_lean_runtime": False,
        "hardware_compat": "ampere+",
        "optimization_level": None,
    }
    assert engine["plugins"][0] == {"op": "backward_warp", "plugin": "VfiBackwardWarp", "namespace": "vfi", "version": "1"}
    assert engine["source"]["flavour"] == "tensorrt" and engine["source"]["parity"]["passed"]


def test_plan_profile_refuses_non_graphs(tmp_path):
    with pytest.raises(InputError, match="does not exist"):
        plan_profile(tmp_path / "none.onnx", BuildOptions())
    (tmp_path / "x.onnx").write_bytes(b"")
    with pytest.raises(InputError, match="no sidecar"):
        plan_profile(tmp_path / "x.onnx", BuildOptions())


def _have_tensorrt_builder() -> tuple[bool, str]:
    if importlib.util.find_spec("tensorrt") is None:
        return False, "TensorRT is not installed (builder comes from NVIDIA's package index)"
    try:
        from vfi.core.tensorrt import import_builder

        import_builder()
    except Exception as exc:  # reason for the skip
        return False, str(exc)
    return True, ""


@pytest.mark.tensorrt
def test_build_engine_and_run(tiny_model, export_cache, tmp_path):
    ok, reason = _have_tensorrt_builder()
    if not ok:
        pytest.skip(reason)
    import numpy as np

    from vfi.core.graph_spec import GraphSpec
    from vfi.export.tensorrt_builder import build_engine
    from vfi.export.validate import run_graph
    from vfi.runtime.backends import create_runner

    result = export_cache("builder-run", lambda: tiny_model("scalar"), ExportOptions(flavour="tensorrt", shape=(32, 32)))
    engine, side = build_engine(result.path, tmp_path / "m.engine", BuildOptions(timing_cache=tmp_path / "t.cache"))
    assert side.is_file() and (tmp_path / "t.cache").is_file()
    feeds = GraphSpec("scalar").rendered_inputs(1, 32, 32)
    expected = run_graph(result.path, feeds, "tensorrt")["frame"]
    with create_runner("tensorrt", str(engine), device="cuda") as runner:
        out = runner.infer(feeds["img0"], feeds["img1"], feeds["timestep"].reshape(-1))
    np.testing.assert_allclose(out, expected, atol=1e-4)


# ------------------------------------------------ build_engine's plumbing, with a recording double
#
# TensorRT's builder cannot be installed here, so `build_engine` runs against a stand-in that
# records what it is asked. Its enums are the lean runtime's real ones (BuilderFlag,
# MemoryPoolType, HardwareCompatibilityLevel, Logger); the builder/parser/config classes exist only
# in full TensorRT.


class _Recorder:
    """Builder, network, parser, config, profile and timing cache in one recording object."""

    def __init__(self, trt, plan: bytes | None = b"plan-bytes", parse_ok: bool = True):
        self.trt, self.plan, self.parse_ok = trt, plan, parse_ok
        self.flags, self.pools, self.shapes, self.cache_seeds = set(), {}, {}, []
        self.network_flags = self.level = self.hardware = self.parsed = None
        self.profiles = 0

    # Builder
    def create_network(self, flags):
        self.network_flags = flags
        return self

    def create_builder_config(self):
        return self

    def create_optimization_profile(self):
        return self

    def build_serialized_network(self, network, config):
        assert network is self and config is self
        return self.plan

    # OnnxParser
    def parse_from_file(self, path):
        self.parsed = path
        return self.parse_ok

    num_errors = 1

    def get_error(self, index):
        return type("ParserError", (), {"desc": lambda self: "No importer registered for op: Mystery"})()

    # IBuilderConfig
    def set_memory_pool_limit(self, pool, size):
        self.pools[pool] = size

    def set_flag(self, flag):
        self.flags.add(flag)

    def add_optimization_profile(self, profile):
        self.profiles += 1

    def create_timing_cache(self, data):
        self.cache_seeds.append(bytes(data))
        return self

    def set_timing_cache(self, cache, ignore_mismatch):
        assert ignore_mismatch is False

    def get_timing_cache(self):
        return self

    def serialize(self):
        return b"timing-cache-v1"

    # IOptimizationProfile
    def set_shape(self, name, lo, mid, hi):
        self.shapes[name] = (tuple(lo), tuple(mid), tuple(hi))

    def __setattr__(self, name, value):
        if name == "builder_optimization_level":
            name = "level"
        elif name == "hardware_compatibility_level":
            name = "hardware"
        object.__setattr__(self, name, value)


@pytest.fixture
def recording_tensorrt(monkeypatch):
    import enum
    import types

    tensorrt_lean = pytest.importorskip("tensorrt_lean")
    from vfi.export import tensorrt_builder

    trt = types.ModuleType("tensorrt")
    trt.__version__ = "11.4.0.106"
    for name in ("Logger", "BuilderFlag", "MemoryPoolType", "HardwareCompatibilityLevel"):
        setattr(trt, name, getattr(tensorrt_lean, name))
    trt.NetworkDefinitionCreationFlag = enum.IntEnum("NetworkDefinitionCreationFlag", {"STRONGLY_TYPED": 0})
    state = {"recorder": _Recorder(trt), "plugins": []}
    trt.Builder = lambda logger: state["recorder"]
    trt.OnnxParser = lambda network, logger: state["recorder"]
    monkeypatch.setattr(tensorrt_builder, "import_builder", lambda: trt)
    monkeypatch.setattr(tensorrt_builder, "register_plugins", lambda plugins: state["plugins"].extend(plugins))
    # The engine side of the parity check needs a GPU; here it records the plan it was given.
    monkeypatch.setattr(
        tensorrt_builder,
        "plan_parity",
        lambda plan, *a: (
            state.setdefault("parity", bytes(plan))
            and {"passed": state.get("parity_passes", True), "failures": ["output 'frame': max abs err 1"]}
        ),
    )
    return trt, state


def test_build_engine_passes_every_option_to_tensorrt(recording_tensorrt, tiny_model, export_cache, tmp_path):
    from vfi.core.sidecar import read_sidecar
    from vfi.export.tensorrt_builder import build_engine

    trt, state = recording_tensorrt
    source = export_cache("builder-plumbing", lambda: tiny_model("scalar"), ExportOptions(flavour="tensorrt", dynamic=True))
    cache = tmp_path / "timing.cache"
    options = BuildOptions(
        min="1x16x16",
        opt="2x32x48",
        max="4x64x64",
        workspace_mb=256,
        timing_cache=cache,
        version_compatible=True,
        exclude_lean_runtime=True,
        hardware_compat="ampere+",
        optimization_level=2,
    )
    engine, side = build_engine(source.path, tmp_path / "out" / "m.plan", options)
    recorder = state["recorder"]
    assert engine.read_bytes() == b"plan-bytes" and cache.read_bytes() == b"timing-cache-v1"
    assert recorder.network_flags == 1 << int(trt.NetworkDefinitionCreationFlag.STRONGLY_TYPED)
    assert recorder.parsed == str(source.path)
    assert recorder.flags == {trt.BuilderFlag.VERSION_COMPATIBLE, trt.BuilderFlag.EXCLUDE_LEAN_RUNTIME}
    assert recorder.pools == {trt.MemoryPoolType.WORKSPACE: 256 << 20}
    assert recorder.level == 2 and recorder.hardware == trt.HardwareCompatibilityLevel.AMPERE_PLUS
    assert recorder.profiles == 1 and recorder.shapes == {
        "img0": ((1, 3, 16, 16), (2, 3, 32, 48), (4, 3, 64, 64)),
        "img1": ((1, 3, 16, 16), (2, 3, 32, 48), (4, 3, 64, 64)),
        "timestep": ((1, 1, 1, 1), (2, 1, 1, 1), (4, 1, 1, 1)),
    }
    assert recorder.cache_seeds == [b""]  # no cache file yet: an empty cache
    assert [p["plugin"] for p in state["plugins"]] == ["VfiBackwardWarp"]
    sidecar = read_sidecar(engine)
    assert sidecar["kind"] == "tensorrt-engine" and sidecar["tools"]["tensorrt"] == "11.4.0.106"
    assert sidecar["inputs"]["img0"] == ["batch", 3, "height", "width"]
    assert sorted(p.name for p in engine.parent.iterdir()) == ["m.plan", "m.plan.json"]
    assert state["parity"] == b"plan-bytes" and sidecar["parity"]["passed"]  # checked before it was written

    state["recorder"] = _Recorder(trt)
    build_engine(source.path, tmp_path / "out" / "m2.plan", BuildOptions(min="1x16x16", max="1x64x64", timing_cache=cache))
    assert state["recorder"].cache_seeds == [b"timing-cache-v1"]  # the cache is read back on the next build
    assert state["recorder"].flags == set() and state["recorder"].pools == {}


@pytest.mark.parametrize("failure", ["parser", "builder", "parity"])
def test_build_engine_failure_leaves_nothing_behind(failure, recording_tensorrt, tiny_model, export_cache, tmp_path):
    from vfi.core.errors import ExportError
    from vfi.export.tensorrt_builder import build_engine

    trt, state = recording_tensorrt
    state["recorder"] = _Recorder(trt, parse_ok=failure != "parser", plan=None if failure == "builder" else b"x")
    state["parity_passes"] = failure != "parity"
    source = export_cache("builder-plumbing", lambda: tiny_model("scalar"), ExportOptions(flavour="tensorrt", dynamic=True))
    message = {
        "parser": "No importer registered for op: Mystery",
        "builder": "could not build an engine",
        "parity": "the engine disagrees with .*max abs err 1; nothing was written",
    }[failure]
    with pytest.raises(ExportError, match=message):
        build_engine(source.path, tmp_path / "m.engine", BuildOptions(min="1x16x16", max="1x64x64"))
    assert list(tmp_path.iterdir()) == []
