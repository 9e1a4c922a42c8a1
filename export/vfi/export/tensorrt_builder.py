"""`build_engine`: an exported ONNX graph (+ sidecar) -> a TensorRT engine (+ sidecar).

    build_engine("rife.onnx", "rife.engine", BuildOptions(min="1x64x64", opt="1x720x1280", max="1x1088x1920"))

TensorRT 10.8+ (11 included). The network is strongly typed: precision comes from the ONNX tensor
types (an fp16 export gives an fp16 engine), there are no fp16/int8 builder flags (TensorRT 11
removed them). Our plugins are registered by importing each used op's `trt_plugin` module
(`tensorrt.plugin`, ahead-of-time PTX kernels embedded in the plan); a plugin that fails to
register stops the build with its reason, never silently.

Options: one optimisation profile from --min/--opt/--max (`vfi.export.shapes.make_profile`), a
timing cache file (read if present, written back after the build), the workspace limit,
version compatibility (the plan carries the lean runtime; loading it needs
``runtime.engine_host_code_allowed = True``, which the `tensorrt` backend sets when the sidecar
says so), excluding the lean runtime from a version-compatible plan (smaller; for machines that
run it with TensorRT's lean runtime library, e.g. PyPI's tensorrt-lean-cu13), the
hardware-compatibility level, and the builder optimisation level.

Without the TensorRT builder (this CPU machine; PyPI has only stubs and the lean runtime) the
build raises `BackendUnavailable` with one line saying what to install from where.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from vfi.core.errors import BackendUnavailable, ExportError, InputError

MIN_TENSORRT = (10, 8)
INSTALL_HINT = (
    "install TensorRT >= 10.8 with its builder on a CUDA machine from NVIDIA's package index: "
    "pip install tensorrt-cu13 with --extra-index-url set to that index "
    "(PyPI's tensorrt-cu13-libs is a stub and tensorrt-lean-cu13-libs only runs prebuilt engines); "
    "`vfi build --target compiled` needs no TensorRT"
)
#: --hardware-compat values -> `trt.HardwareCompatibilityLevel` member names
HARDWARE_LEVELS = {"none": "NONE", "ampere+": "AMPERE_PLUS", "same-cc": "SAME_COMPUTE_CAPABILITY"}


@dataclass
class BuildOptions:
    """Engine build options (see the module docstring).

    Attributes:
        min, opt, max: profile sizes "HxW" or "NxHxW" (None: the graph's static shape).
        workspace_mb: workspace memory pool limit (MiB); None for TensorRT's default (device memory).
        timing_cache: path of the timing cache file (created if absent), or None.
        version_compatible: build a version-compatible plan (runs on later TensorRT of the same major,
            and on the lean runtime).
        exclude_lean_runtime: leave the lean runtime out of a version-compatible plan (it is then
            run by an installed lean or full runtime); needs `version_compatible`.
        hardware_compat: "none", "ampere+" or "same-cc".
        optimization_level: builder optimisation level 0..5 (TensorRT's default is 3).
    """

    min: str | None = None
    opt: str | None = None
    max: str | None = None
    workspace_mb: int | None = None
    timing_cache: Path | None = None
    version_compatible: bool = False
    exclude_lean_runtime: bool = False
    hardware_compat: str = "none"
    optimization_level: int | None = None

    def check(self) -> None:
        if self.hardware_compat not in HARDWARE_LEVELS:
            raise InputError(f"--hardware-compat {self.hardware_compat!r}: choose one of {', '.join(HARDWARE_LEVELS)}")
        if self.exclude_lean_runtime and not self.version_compatible:
            raise InputError("--exclude-lean-runtime applies to version-compatible plans; add --version-compatible")
        if self.workspace_mb is not None and self.workspace_mb < 1:
            raise InputError(f"--workspace must be >= 1 MiB, got {self.workspace_mb}")
        if self.optimization_level is not None and not 0 <= self.optimization_level <= 5:
            raise InputError(f"--opt-level must be 0..5, got {self.optimization_level}")


def import_tensorrt():
    """The `tensorrt` module with a working builder; `BackendUnavailable` (one line) otherwise."""
    try:
        import tensorrt as trt
    except (ImportError, OSError) as exc:  # the bindings without the libraries raise OSError
        raise BackendUnavailable(f"TensorRT builder not available ({type(exc).__name__}: {_first_line(exc)}); {INSTALL_HINT}") from None
    version = tuple(int(p) for p in trt.__version__.split(".")[:2] if p.isdigit())
    if version < MIN_TENSORRT:
        raise BackendUnavailable(f"TensorRT {trt.__version__} is too old (need >= 10.8); {INSTALL_HINT}")
    try:
        trt.Builder(trt.Logger(trt.Logger.ERROR))
    except Exception as exc:  # no builder library / no CUDA device: the same user-facing answer
        raise BackendUnavailable(f"TensorRT builder cannot start ({_first_line(exc)}); {INSTALL_HINT}") from None
    return trt


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0][:160] if text else type(exc).__name__


def register_plugins(plugins: list[dict]) -> list[dict]:
    """Import the `trt_plugin` module of every op in `plugins` (sidecar entries); returns them.

    No error is swallowed: a plugin that cannot register raises, naming the op.
    """
    from vfi.kernels.registry import OPS

    for entry in plugins:
        spec = OPS.get(entry["op"])
        if spec is None:
            raise ExportError(f"graph needs plugin {entry['plugin']} of op {entry['op']!r}, which vfi.kernels.OPS lacks")
        if spec.plugin_version != entry["version"]:
            raise ExportError(f"graph was exported with plugin {entry['plugin']} v{entry['version']}, "
                              f"this vfi registers v{spec.plugin_version}; re-export the graph")
        spec.facet("trt_plugin")  # registers with tensorrt.plugin on import
    return plugins


def engine_io(onnx_sidecar: dict, profile) -> tuple[dict, dict]:
    """(inputs, outputs) for the engine sidecar: shapes with "batch" / "height" / "width" where
    the profile spans a range, ints where it is fixed."""
    from vfi.export.onnx_model import OUTPUT_NAME, io_shapes

    mode = onnx_sidecar["model_card"]["timestep_mode"]
    dims = []
    for label in ("batch", "height", "width"):
        lo, hi = getattr(profile.min, label), getattr(profile.max, label)
        dims.append(lo if lo == hi else label)
    shapes = io_shapes(mode, *dims)
    return {n: shapes[n] for n in onnx_sidecar["inputs"]}, {OUTPUT_NAME: shapes[OUTPUT_NAME]}


def engine_sidecar(onnx_path, onnx_sidecar: dict, engine_path, profile, options: BuildOptions, trt_version: str) -> dict:
    """The engine's sidecar (pure; testable without TensorRT)."""
    from vfi.export.sidecar import make_sidecar, tool_versions
    from vfi.models.card import ModelCard

    card = ModelCard(**onnx_sidecar["model_card"])
    inputs, outputs = engine_io(onnx_sidecar, profile)
    tools = tool_versions("torch", "onnx")
    tools["tensorrt"] = trt_version
    return make_sidecar(
        "tensorrt-engine", engine_path, card, onnx_sidecar["precision"], inputs, outputs, tools,
        source={"onnx": Path(onnx_path).name, "flavour": onnx_sidecar.get("flavour"), "opset": onnx_sidecar.get("opset"),
                "parity": onnx_sidecar.get("parity")},
        profiles=[profile.as_dict(card.timestep_mode)],
        builder={
            "strongly_typed": True,
            "workspace_mb": options.workspace_mb,
            "timing_cache": str(options.timing_cache) if options.timing_cache else None,
            "version_compatible": options.version_compatible,
            "exclude_lean_runtime": options.exclude_lean_runtime,
            "hardware_compat": options.hardware_compat,
            "optimization_level": options.optimization_level,
        },
        plugins=onnx_sidecar.get("plugins", []),
    )


def plan_profile(onnx_path, options: BuildOptions):
    """(onnx sidecar, profile) for building `onnx_path`; checks everything that needs no TensorRT."""
    from vfi.export.shapes import make_profile
    from vfi.export.sidecar import read_sidecar

    options.check()
    onnx_path = Path(onnx_path)
    if not onnx_path.is_file():
        raise InputError(f"{onnx_path} does not exist; export it first with `vfi export`")
    side = read_sidecar(onnx_path)
    if side.get("kind") != "onnx":
        raise InputError(f"{onnx_path}: expected an exported ONNX graph, the sidecar says {side.get('kind')!r}")
    profile = make_profile(side["inputs"], side["model_card"]["pad_multiple"], options.min, options.opt, options.max)
    return side, profile


def build_engine(onnx_path, out, options: BuildOptions | None = None):
    """Build the engine `out` from `onnx_path`; returns (engine path, sidecar path).

    Raises:
        InputError: bad paths or profile sizes.
        BackendUnavailable: no TensorRT builder here (one line: what to install, from where).
        ExportError: the parser or the builder refused the graph (their messages included).
    """
    from vfi.export.sidecar import sidecar_path, write_sidecar

    options = options or BuildOptions()
    out = Path(out)
    side, profile = plan_profile(onnx_path, options)
    trt = import_tensorrt()
    register_plugins(side.get("plugins", []))

    logger = trt.Logger(trt.Logger.WARNING)
    builder = trt.Builder(logger)
    network = builder.create_network(1 << int(trt.NetworkDefinitionCreationFlag.STRONGLY_TYPED))
    parser = trt.OnnxParser(network, logger)
    if not parser.parse_from_file(str(onnx_path)):
        errors = "; ".join(str(parser.get_error(i).desc()) for i in range(parser.num_errors))
        raise ExportError(f"TensorRT's ONNX parser refused {onnx_path}: {errors}")

    config = builder.create_builder_config()
    if options.workspace_mb is not None:
        config.set_memory_pool_limit(trt.MemoryPoolType.WORKSPACE, options.workspace_mb << 20)
    if options.optimization_level is not None:
        config.builder_optimization_level = options.optimization_level
    if options.version_compatible:
        config.set_flag(trt.BuilderFlag.VERSION_COMPATIBLE)
    if options.exclude_lean_runtime:
        config.set_flag(trt.BuilderFlag.EXCLUDE_LEAN_RUNTIME)
    if options.hardware_compat != "none":
        config.hardware_compatibility_level = getattr(trt.HardwareCompatibilityLevel, HARDWARE_LEVELS[options.hardware_compat])
    trt_profile = builder.create_optimization_profile()
    for name, (lo, mid, hi) in profile.shapes(side["model_card"]["timestep_mode"]).items():
        trt_profile.set_shape(name, lo, mid, hi)
    config.add_optimization_profile(trt_profile)
    cache_path = Path(options.timing_cache) if options.timing_cache else None
    if cache_path is not None:
        cache = config.create_timing_cache(cache_path.read_bytes() if cache_path.is_file() else b"")
        config.set_timing_cache(cache, ignore_mismatch=False)

    plan = builder.build_serialized_network(network, config)
    if plan is None:
        raise ExportError(f"TensorRT could not build an engine from {onnx_path} (see the TensorRT log above)")
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.partial")
    tmp.write_bytes(memoryview(plan))
    sidecar = engine_sidecar(onnx_path, side, out, profile, options, trt.__version__)
    side_tmp = write_sidecar(tmp, sidecar)
    os.replace(tmp, out)
    os.replace(side_tmp, sidecar_path(out))
    if cache_path is not None:
        cache_path.write_bytes(memoryview(config.get_timing_cache().serialize()))
    return out, sidecar_path(out)
