"""`build_engine`: an exported ONNX graph (+ sidecar) -> a TensorRT engine (+ sidecar), made of
small steps in Polygraphy's style, each testable alone:

    side, profile = plan_profile("rife.onnx", options)          # no TensorRT needed
    builder, network, parser = network_from_onnx(trt, "rife.onnx", logger)
    config = builder_config(trt, builder, options, profile, spec)
    plan = serialized_engine(builder, network, config, "rife.onnx")
    save_engine("rife.engine", plan, engine_sidecar(...))

    build_engine("rife.onnx", "rife.engine", BuildOptions(min="1x64x64", opt="1x768x1280", max="1x1088x1920"))

TensorRT 10.8+ (11 included), imported through `vfi.core.tensorrt` (as the runtime does). The
network is strongly typed: precision comes from the ONNX tensor types (an fp16 export gives an
fp16 engine), there are no fp16/int8 builder flags (TensorRT 11 removed them). Our plugins are
registered by importing each used op's `trt_plugin` module (`tensorrt.plugin`, ahead-of-time PTX
kernels embedded in the plan); a plugin that fails to register stops the build with its reason,
never silently.

Options: one optimisation profile from min/opt/max (`vfi.export.shapes.make_profile`), a timing
cache file (read if present, written back after the build), the workspace limit, version
compatibility (the plan carries the lean runtime; loading it needs
``runtime.engine_host_code_allowed = True``, which the `tensorrt` backend sets when the sidecar
says so), excluding the lean runtime from a version-compatible plan (smaller; for machines that
run it with TensorRT's lean runtime library, e.g. PyPI's tensorrt-lean-cu13), the
hardware-compatibility level, and the builder optimisation level.

Without the TensorRT builder (this CPU machine; PyPI has only stubs and the lean runtime) the
build raises `BackendUnavailable` with one line saying what to install from where.

`plan_parity` compares the built engine with its ONNX graph on rendered frames through
Polygraphy's comparator (``polygraphy``, in the `tensorrt` extra) before anything is written.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from vfi.core.errors import ExportError, InputError
from vfi.core.tensorrt import import_builder

#: hardware_compat values -> `trt.HardwareCompatibilityLevel` member names
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
        validate: compare the engine with its ONNX graph through Polygraphy before writing it
            (`plan_parity`), and refuse it when they disagree.
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
    validate: bool = True

    def check(self) -> None:
        """`InputError` (naming the option) for a value TensorRT would refuse."""
        if self.hardware_compat not in HARDWARE_LEVELS:
            raise InputError(
                f"hardware_compat {self.hardware_compat!r} is unknown; choose one of {', '.join(HARDWARE_LEVELS)}",
                "hardware_compat",
            )
        if self.exclude_lean_runtime and not self.version_compatible:
            raise InputError(
                "exclude_lean_runtime applies to version-compatible plans; set version_compatible too",
                "exclude_lean_runtime",
                "version_compatible",
            )
        if self.workspace_mb is not None and self.workspace_mb < 1:
            raise InputError(f"workspace_mb must be >= 1 MiB, got {self.workspace_mb}", "workspace_mb")
        if self.optimization_level is not None and not 0 <= self.optimization_level <= 5:
            raise InputError(f"optimization_level must be 0..5, got {self.optimization_level}", "optimization_level")


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
            raise ExportError(
                f"graph was exported with plugin {entry['plugin']} v{entry['version']}, "
                f"this vfi registers v{spec.plugin_version}; re-export the graph"
            )
        spec.facet("trt_plugin")  # registers with tensorrt.plugin on import
    return plugins


def engine_io(onnx_sidecar: dict, profile) -> tuple[dict, dict]:
    """(inputs, outputs) for the engine sidecar: shapes with "batch" / "height" / "width" where
    the profile spans a range, ints where it is fixed."""
    from vfi.models.card import ModelCard
    from vfi.models.registry import graph_spec

    spec = graph_spec(ModelCard(**onnx_sidecar["model_card"]))
    dims = []
    for label in ("batch", "height", "width"):
        lo, hi = getattr(profile.min, label), getattr(profile.max, label)
        dims.append(lo if lo == hi else label)
    shapes = spec.shapes(*dims)
    return {n: shapes[n] for n in spec.input_names}, {n: shapes[n] for n in spec.output_names}


def engine_sidecar(onnx_path, onnx_sidecar: dict, engine_path, profile, options: BuildOptions, trt_version: str) -> dict:
    """The engine's sidecar (pure; testable without TensorRT)."""
    from vfi.core.sidecar import make_sidecar, tool_versions
    from vfi.models.card import ModelCard
    from vfi.models.registry import graph_spec

    card = ModelCard(**onnx_sidecar["model_card"])
    inputs, outputs = engine_io(onnx_sidecar, profile)
    tools = tool_versions("torch", "onnx")
    tools["tensorrt"] = trt_version
    return make_sidecar(
        "tensorrt-engine",
        engine_path,
        card,
        onnx_sidecar["precision"],
        inputs,
        outputs,
        tools,
        source={
            "onnx": Path(onnx_path).name,
            "flavour": onnx_sidecar.get("flavour"),
            "opset": onnx_sidecar.get("opset"),
            "parity": onnx_sidecar.get("parity"),
        },
        profiles=[profile.as_dict(graph_spec(card))],
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
    from vfi.core.sidecar import read_sidecar
    from vfi.export.shapes import make_profile

    options.check()
    onnx_path = Path(onnx_path)
    if not onnx_path.is_file():
        raise InputError(f"{onnx_path} does not exist; export it first with `vfi export`")
    side = read_sidecar(onnx_path)
    if side.get("kind") != "onnx":
        raise InputError(f"{onnx_path}: expected an exported ONNX graph, the sidecar says {side.get('kind')!r}")
    profile = make_profile(side["inputs"], side["model_card"]["pad_multiple"], options.min, options.opt, options.max)
    return side, profile


def network_from_onnx(trt, onnx_path, logger):
    """(builder, strongly typed network, parser) with `onnx_path` parsed; `ExportError` with the
    parser's messages when it refuses the graph."""
    builder = trt.Builder(logger)
    network = builder.create_network(1 << int(trt.NetworkDefinitionCreationFlag.STRONGLY_TYPED))
    parser = trt.OnnxParser(network, logger)
    if not parser.parse_from_file(str(onnx_path)):
        errors = "; ".join(str(parser.get_error(i).desc()) for i in range(parser.num_errors))
        raise ExportError(f"TensorRT's ONNX parser refused {onnx_path}: {errors}")
    return builder, network, parser


def builder_config(trt, builder, options: BuildOptions, profile, spec):
    """The builder config for `options`: pool limits, optimisation and hardware levels, version
    compatibility flags, the optimisation profile, and the timing cache (seeded from its file)."""
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
    for name, (lo, mid, hi) in profile.shapes(spec).items():
        trt_profile.set_shape(name, lo, mid, hi)
    config.add_optimization_profile(trt_profile)
    if options.timing_cache is not None:
        cache_path = Path(options.timing_cache)
        cache = config.create_timing_cache(cache_path.read_bytes() if cache_path.is_file() else b"")
        config.set_timing_cache(cache, ignore_mismatch=False)
    return config


def serialized_engine(builder, network, config, source) -> memoryview:
    """The serialized plan; `ExportError` when TensorRT cannot build one."""
    plan = builder.build_serialized_network(network, config)
    if plan is None:
        raise ExportError(f"TensorRT could not build an engine from {source} (see the TensorRT log above)")
    return memoryview(plan)


def save_engine(out, plan, sidecar: dict) -> tuple[Path, Path]:
    """Write the plan and its sidecar atomically; returns (engine path, sidecar path)."""
    from vfi.core.sidecar import write_artifact

    return write_artifact(out, sidecar, lambda temp: Path(temp).write_bytes(plan))


def save_timing_cache(config, path) -> Path:
    """Write the config's timing cache (updated by the build) to `path` atomically."""
    from vfi.core.atomic import atomic_write_bytes

    return atomic_write_bytes(path, config.get_timing_cache().serialize())


def build_engine(onnx_path, out, options: BuildOptions | None = None):
    """Build the engine `out` from `onnx_path` with the steps above, in order; returns (engine
    path, sidecar path).

    Raises:
        InputError: bad paths or profile sizes.
        BackendUnavailable: no TensorRT builder here (one line: what to install, from where).
        ExportError: the parser or the builder refused the graph (their messages included).
    """
    from vfi.models.card import ModelCard
    from vfi.models.registry import graph_spec

    options = options or BuildOptions()
    out = Path(out)
    side, profile = plan_profile(onnx_path, options)
    trt = import_builder()
    register_plugins(side.get("plugins", []))
    logger = trt.Logger(trt.Logger.WARNING)
    builder, network, _parser = network_from_onnx(trt, onnx_path, logger)
    config = builder_config(trt, builder, options, profile, graph_spec(ModelCard(**side["model_card"])))
    plan = serialized_engine(builder, network, config, onnx_path)
    sidecar = engine_sidecar(onnx_path, side, out, profile, options, trt.__version__)
    if options.validate:
        sidecar["parity"] = plan_parity(plan, onnx_path, side, profile)
        if not sidecar["parity"]["passed"]:
            raise ExportError(
                f"the engine disagrees with {Path(onnx_path).name}: "
                + "; ".join(sidecar["parity"]["failures"])
                + "; nothing was written"
            )
    paths = save_engine(out, plan, sidecar)
    if options.timing_cache is not None:
        save_timing_cache(config, options.timing_cache)
    return paths


def plan_parity(plan, onnx_path, onnx_sidecar: dict, profile) -> dict:
    """The engine `plan` against its ONNX graph on rendered frames of the profile's smallest
    shape, through Polygraphy (`vfi.export.polygraphy_parity`); needs a CUDA device."""
    from polygraphy.backend.trt import EngineFromBytes, TrtRunner

    from vfi.export.polygraphy_parity import compare_runners, graph_runner
    from vfi.models.card import ModelCard
    from vfi.models.registry import graph_spec

    spec = graph_spec(ModelCard(**onnx_sidecar["model_card"]))
    size = profile.min
    feeds = spec.rendered_inputs(size.batch, size.height, size.width)
    engine = TrtRunner(EngineFromBytes(bytes(plan)), name="tensorrt")
    section = compare_runners(engine, graph_runner(onnx_path), spec, onnx_sidecar["precision"], feeds)
    section["shape"] = [size.batch, 3, size.height, size.width]
    return section
