"""`vfi build`: an engine from an exported graph (TensorRT), a compiled package from a model
(AOTInductor), or an OpenVINO IR from a model."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

TARGETS = ("tensorrt", "compiled", "openvino")
#: output suffix -> target
SUFFIX_TARGETS = {".engine": "tensorrt", ".plan": "tensorrt", ".pt2": "compiled", ".xml": "openvino"}
#: library parameters (`BuildOptions`, `CompiledOptions`) whose flag is not their own name
PARAMETER_FLAGS = {
    "workspace_mb": "--workspace",
    "optimization_level": "--opt-level",
    "min": "--min",
    "opt": "--opt",
    "max": "--max",
    "validate": "--validate",
}
#: the largest TensorRT workspace limit accepted (MiB; 1 TiB)
MAX_WORKSPACE_MB = 1 << 20


def build_command(
    source: str = typer.Argument(
        ..., help="tensorrt: an exported .onnx (with its sidecar). compiled, openvino: a model name or .safetensors checkpoint."
    ),
    output: Path = typer.Option(
        ...,
        "--output",
        "-o",
        help="Engine (.engine / .plan), package (.pt2) or OpenVINO IR (.xml + .bin) to write; sidecar OUTPUT.json.",
    ),
    target: Optional[str] = typer.Option(
        None, "--target", help="tensorrt, compiled or openvino (default: from the output suffix)."
    ),
    min_shape: Optional[str] = typer.Option(None, "--min", help="tensorrt: smallest input NxHxW (or HxW) of the profile."),
    opt_shape: Optional[str] = typer.Option(None, "--opt", help="tensorrt: size the engine is tuned for (default --max)."),
    max_shape: Optional[str] = typer.Option(None, "--max", help="tensorrt: largest input NxHxW (or HxW) of the profile."),
    workspace: Optional[int] = typer.Option(None, "--workspace", help="tensorrt: workspace memory limit, MiB."),
    timing_cache: Optional[Path] = typer.Option(
        None, "--timing-cache", help="tensorrt: timing cache file (read if present, updated after the build)."
    ),
    version_compatible: bool = typer.Option(
        False, "--version-compatible", help="tensorrt: plan runs on later TensorRT versions of the same major."
    ),
    exclude_lean_runtime: bool = typer.Option(
        False,
        "--exclude-lean-runtime",
        help="tensorrt: with --version-compatible, leave the lean runtime out of the plan (run it with an installed lean runtime).",
    ),
    hardware_compat: str = typer.Option("none", "--hardware-compat", help="tensorrt: none, ampere+ or same-cc."),
    opt_level: Optional[int] = typer.Option(None, "--opt-level", help="tensorrt: builder optimisation level 0..5."),
    shape: Optional[str] = typer.Option(
        None, "--shape", help="compiled, openvino: static frame size HxW (multiples of the pad)."
    ),
    dynamic: bool = typer.Option(False, "--dynamic", help="compiled, openvino: symbolic batch, height and width."),
    batch: int = typer.Option(1, "--batch", help="compiled, openvino: static batch size."),
    device: str = typer.Option("cpu", "--device", help="compiled: cpu or cuda (the package runs only there)."),
    precision: str = typer.Option(
        "fp32", "--precision", help="compiled: fp32, or fp16/bf16 (cuda). openvino: fp32, bf16, fp16 (where this CPU runs them)."
    ),
    islands: bool = typer.Option(
        True,
        "--islands/--no-islands",
        help="openvino: keep coordinate arithmetic in fp32 at reduced precision (off: for measurements).",
    ),
    validate: bool = typer.Option(
        True,
        "--validate/--no-validate",
        help="Check the built engine or package against its source on rendered frames (Polygraphy for TensorRT); refuse it on failure.",
    ),
) -> None:
    """Build OUTPUT from SOURCE and write its JSON sidecar.

    --target tensorrt: a TensorRT 10.8+/11 engine from an ONNX graph made by `vfi export`
    (strongly typed: the graph's types set the precision; our plugins are registered first).
    --target compiled: an AOTInductor package (.pt2) from `torch.export` of the model, loaded by
    the `compiled` runtime backend.
    --target openvino: an OpenVINO IR (.xml + .bin), reduced precisions with fp32 coordinate
    islands, checked against torch on rendered frames; run by the `openvino` backend.
    """
    from vfi.core import options as check
    from vfi.core.errors import InputError
    from vfi.export.shapes import parse_size

    check.batch(batch, "batch")
    check.integer(workspace, "workspace_mb", 1, MAX_WORKSPACE_MB)
    check.integer(opt_level, "optimization_level", 0, 5)
    for name, text in (("min", min_shape), ("opt", opt_shape), ("max", max_shape)):
        if text:  # refused here, before TensorRT plans memory for it
            given = parse_size(text, name)
            check.frame_size(given.height, given.width, name, given.batch)
    if target is None:
        target = SUFFIX_TARGETS.get(output.suffix.lower())
        if target is None:
            raise InputError(f"cannot tell the target from {output.name}; name it .engine/.plan, .pt2 or .xml, or give --target")
    if target not in TARGETS:
        raise InputError(f"--target {target!r}: choose one of {', '.join(TARGETS)}")
    from vfi.core.atomic import check_writable

    check_writable(output)  # before the build's minutes of work
    if target == "tensorrt":
        if output.suffix.lower() not in (".engine", ".plan"):
            raise InputError(f"--output {output} must end in .engine or .plan for --target tensorrt")
        from vfi.export.tensorrt_builder import BuildOptions, build_engine

        options = BuildOptions(
            min=min_shape,
            opt=opt_shape,
            max=max_shape,
            workspace_mb=workspace,
            timing_cache=timing_cache,
            version_compatible=version_compatible,
            exclude_lean_runtime=exclude_lean_runtime,
            hardware_compat=hardware_compat,
            optimization_level=opt_level,
            validate=validate,
        )
        path, side = build_engine(Path(source), output, options)
    else:
        if Path(source).suffix.lower() in (".onnx", ".engine", ".plan", ".xml", ".pt2"):
            raise InputError(
                f"--target {target} builds from the torch model, not from {Path(source).suffix}; "
                "give the model name or .safetensors checkpoint"
            )
        size = parse_size(shape, "shape") if shape else None
        if size is not None:
            check.frame_size(size.height, size.width, "shape")
    if target == "openvino":
        from vfi.export.openvino_builder import OpenVINOOptions, build_openvino

        options = OpenVINOOptions(
            shape=(size.height, size.width) if size else None,
            dynamic=dynamic,
            batch=batch,
            precision=precision,
            islands=islands,
            validate=validate,
        )
        path, side = build_openvino(source, output, options)
    elif target == "compiled":
        from vfi.export.compiled_builder import CompiledOptions, build_compiled

        options = CompiledOptions(
            shape=(size.height, size.width) if size else None,
            dynamic=dynamic,
            batch=batch,
            device=device,
            precision=precision,
            validate=validate,
        )
        path, side = build_compiled(source, output, options)
    typer.echo(f"wrote {path} and {side.name}")
