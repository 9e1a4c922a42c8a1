"""`vfi export`: a model or checkpoint -> an ONNX graph with a JSON sidecar; or a Triton model
repository for an exported graph or a built engine."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from vfi.core.graph_spec import DEFAULT_OPSET
from vfi.export.onnx_artifact import DEFAULT_FLAVOUR

ARTIFACT_SUFFIXES = (".onnx", ".engine", ".plan")
#: library parameters whose flag is not their own name
PARAMETER_FLAGS = {"max_batch_size": "--max-batch"}
#: most Triton instances a repository may ask for
MAX_INSTANCES = 64


def export_command(
    model: str = typer.Argument(
        ..., help="Registered model name or .safetensors checkpoint; or, with --serving only, an exported .onnx / built .engine."
    ),
    output: Optional[Path] = typer.Option(None, "--output", "-o", help="ONNX file to write (sidecar: OUTPUT.json)."),
    flavour: str = typer.Option(
        DEFAULT_FLAVOUR,
        "--flavour",
        help="tensorrt (custom vfi nodes for our TensorRT plugins) or portable (standard ONNX only; ONNX Runtime).",
    ),
    opset: Optional[int] = typer.Option(
        None,
        "--opset",
        help=f"Default-domain opset 16..19 (default: the family's, {DEFAULT_OPSET}; GridSample is misread by TensorRT from 20; DeformConv needs 19).",
    ),
    shape: Optional[str] = typer.Option(
        None,
        "--shape",
        help="Static frame size HxW in pixels, multiples of the model's pad multiple (with --dynamic: the size traced and validated at).",
    ),
    dynamic: bool = typer.Option(
        False, "--dynamic", help="Symbolic batch, height and width (height and width multiples of the pad)."
    ),
    batch: int = typer.Option(1, "--batch", help="Static batch size (without --dynamic)."),
    precision: str = typer.Option(
        "fp32", "--precision", help="fp32 or fp16 (inside the graph; inputs and output stay float32, coordinates fp32)."
    ),
    simplify: bool = typer.Option(True, "--simplify/--no-simplify", help="Simplify with onnxslim when installed."),
    validate: bool = typer.Option(
        True, "--validate/--no-validate", help="Check parity against torch on rendered frames; refuse on failure."
    ),
    serving: Optional[Path] = typer.Option(
        None, "--serving", help="Also write a Triton Inference Server model repository into this folder."
    ),
    serving_name: Optional[str] = typer.Option(
        None, "--serving-name", help="Model name in the repository (default: the model's variant)."
    ),
    max_batch: int = typer.Option(8, "--max-batch", help="Triton max_batch_size for graphs with a symbolic batch."),
    instances: int = typer.Option(1, "--instances", help="Triton instance count (instance_group)."),
) -> None:
    """Export MODEL to ONNX (named inputs img0, img1[, timestep], output frame), check it
    (onnx.checker, shape inference, lint), simplify it, validate it against torch, and write a
    JSON sidecar OUTPUT.json (model card, shapes, opset, flavour, precision, tool and plugin
    versions, parity figures).

    With --serving DIR, also write a Triton model repository; MODEL may then be an exported .onnx
    or a built .engine (with its sidecar) and -o is not needed.
    """
    from vfi.core import options as check
    from vfi.core.errors import InputError

    check.batch(batch, "batch")
    check.batch(max_batch, "max_batch")
    check.count(instances, "instances", maximum=MAX_INSTANCES)
    check.integer(opset, "opset", 1)
    kind = _artifact_kind(model)
    if kind is not None and Path(model).suffix.lower() not in ARTIFACT_SUFFIXES:
        raise InputError(
            f"{model} is a built {kind}, not something to export or serve from; give a model name or "
            ".safetensors checkpoint (or an exported .onnx / built .engine with --serving)",
            "model",
        )
    artifact = Path(model) if Path(model).suffix.lower() in ARTIFACT_SUFFIXES else None
    if artifact is not None:
        if serving is None:
            raise InputError(
                f"{model} is already an exported artifact; give --serving DIR to make a Triton repository from it, "
                "or a model name / checkpoint to export"
            )
        if not artifact.is_file():
            raise InputError(f"{artifact} does not exist")
        folder = _serve(artifact, serving, serving_name, max_batch, instances)
        typer.echo(f"wrote Triton model {folder}")
        return
    if output is None:
        raise InputError("give --output/-o OUT.onnx (OUT.bundle for a model of several graphs)")
    if output.suffix not in (".onnx", ".bundle"):
        raise InputError(f"--output {output} must end in .onnx (or .bundle for a model of several graphs)")
    if output.suffix == ".bundle" and serving is not None:
        raise InputError(
            "--serving takes one graph; a bundle's sampling loop runs in the vfi runtime (`vfi serve` of the bundle)"
        )
    from vfi.core.atomic import check_writable

    check_writable(output, is_folder=output.suffix == ".bundle")  # before the export's minutes of work
    from vfi.export.shapes import parse_size

    size = parse_size(shape, "shape") if shape else None
    if size is not None:
        check.frame_size(size.height, size.width, "shape")
    from vfi.export.onnx_artifact import ExportOptions, export_onnx

    options = ExportOptions(
        flavour=flavour,
        opset=opset,
        shape=(size.height, size.width) if size else None,
        dynamic=dynamic,
        batch=batch,
        precision=precision,
        simplify=simplify,
        validate=validate,
    )
    if serving is not None and flavour != "portable":
        raise InputError(
            "--serving with an ONNX graph needs --flavour portable (ONNX Runtime cannot run vfi plugin "
            "nodes); for TensorRT serving, build an engine and run `vfi export ENGINE --serving DIR`"
        )
    if output.suffix == ".bundle":
        from vfi.export.bundle import export_bundle

        bundle = export_bundle(model, output, options)
        parity = bundle.manifest.get("parity", {})
        line = f"wrote {bundle.path} ({', '.join(bundle.manifest['graphs'])} graphs and manifest.json)"
        if parity.get("outputs"):
            frame = parity["outputs"]["frame"]
            line += (
                f"; sampled-frame parity vs torch ({parity['runner']}, {parity['steps']} steps): "
                f"max {frame['max_abs']:.2g}, mean {frame['mean_abs']:.2g}"
            )
        typer.echo(line)
        return
    result = export_onnx(model, output, options)
    parity = result.sidecar.get("parity", {})
    line = f"wrote {result.path} and {result.sidecar_path.name}"
    if parity.get("outputs"):
        frame = parity["outputs"]["frame"]
        line += f"; parity vs torch ({parity['runner']}): max {frame['max_abs']:.2g}, mean {frame['mean_abs']:.2g}"
    typer.echo(line)
    if serving is not None:
        folder = _serve(result.path, serving, serving_name, max_batch, instances)
        typer.echo(f"wrote Triton model {folder}")


def _serve(artifact: Path, repo: Path, name: Optional[str], max_batch: int, instances: int) -> Path:
    from vfi.export.serving import write_repository

    return write_repository(artifact, repo, name=name, max_batch_size=max_batch, instances=instances)


def _artifact_kind(model: str) -> str | None:
    from vfi.runtime.backends.artifact import artifact_kind

    return artifact_kind(model)
