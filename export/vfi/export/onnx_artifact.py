"""`export_onnx`: a model (name, checkpoint or module) -> a linted, validated ONNX graph + sidecar.

    from vfi.export.onnx_artifact import ExportOptions, export_onnx
    result = export_onnx("rife-4.0", "rife.onnx", ExportOptions(flavour="tensorrt", shape=(768, 1280)))

Steps: load the model; wrap it in its graph interface (`vfi.models.graph_module`, from the
family's `GraphSpec`); export with the custom ops lowered for the flavour (the toolkit's one
exporter, `vfi.kernels.onnx_exporter`); name the symbolic dimensions batch / height / width;
`onnx.checker`; shape inference; simplification (`simplify`, optional); the lint for the flavour
(`vfi.kernels.onnx_lint`, once, on the final graph); parity against torch float32 on rendered
frames (`validate`); the sidecar (`vfi.core.sidecar`). The graph and its sidecar appear together
under their final names only when every step passed, so a refused export leaves nothing.
"""

from __future__ import annotations

import copy
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from vfi.core.errors import ExportError, InputError
from vfi.core.graph_spec import BATCH, HEIGHT, MAX_DYNAMIC_SIZE, WIDTH, GraphSpec

#: the flavour `vfi export` makes unless told otherwise: custom nodes for our TensorRT plugins
DEFAULT_FLAVOUR = "tensorrt"


@dataclass
class ExportOptions:
    """What `export_onnx` makes.

    Attributes:
        flavour: "tensorrt" (custom `vfi` nodes for our plugins; the default) or "portable"
            (standard ONNX only).
        opset: default-domain opset, 16..19; None: the family's (`GraphSpec.default_opset`).
        shape: (height, width) in pixels, multiples of the model's pad multiple; the static size
            of the graph, or with `dynamic` the size it is traced and validated at.
        dynamic: batch, height and width symbolic (height and width multiples of the pad).
        batch: static batch size (ignored when `dynamic`).
        precision: arithmetic inside the graph (`vfi.core.precision`; the interface stays float32).
        simplify: run onnxslim when installed.
        validate: check parity against torch and refuse the export when it fails.
    """

    flavour: str = DEFAULT_FLAVOUR
    opset: int | None = None
    shape: tuple[int, int] | None = None
    dynamic: bool = False
    batch: int = 1
    precision: str = "fp32"
    simplify: bool = True
    validate: bool = True


#: precisions an ONNX export can make (the arithmetic is cast inside the graph)
EXPORT_PRECISIONS = ("fp32", "fp16")


@dataclass
class ExportResult:
    path: Path
    sidecar_path: Path
    sidecar: dict = field(default_factory=dict)


def load_model(model):
    """A torch module with ``.card`` from a registered name, checkpoint path, or module."""
    import vfi.models
    from vfi.models.card import ModelCard

    if isinstance(model, (str, os.PathLike)):
        return vfi.models.load(model)
    if not isinstance(getattr(model, "card", None), ModelCard):
        raise TypeError("a model object to export must carry a vfi.models.ModelCard in .card")
    return model


def check_size(shape: tuple[int, int] | None, dynamic: bool, batch: int, multiple: int) -> tuple[int, int, int]:
    """(batch, height, width) to trace and validate at; `InputError` for a bad shape or batch.

    The pyramid of a model needs frames that are multiples of its pad multiple; a symbolic
    dimension must be traced at two pad blocks at least (traced at one it would be specialised).
    """
    from vfi.export.shapes import Size, check_multiple

    if batch < 1:
        raise InputError(f"batch must be >= 1, got {batch}", "batch")
    if shape is None:
        if not dynamic:
            raise InputError(
                "give a static shape HxW or make the graph dynamic (symbolic batch, height and width)", "shape", "dynamic"
            )
        return 2, 2 * multiple, 2 * multiple
    height, width = shape
    check_multiple(Size(batch, height, width), multiple, "shape")
    if dynamic:
        if height < 2 * multiple or width < 2 * multiple:
            raise InputError(
                f"a dynamic graph is traced at shape {2 * multiple}x{2 * multiple} at least (two pad blocks; "
                "a dimension traced at one block would be fixed)",
                "shape",
            )
        return 2, height, width
    return batch, height, width


def check_options(options: ExportOptions, spec: GraphSpec) -> tuple[int, int, int, int]:
    """(opset, batch, height, width); `InputError` / `ExportError` for bad options."""
    from vfi.core.precision import require_supported
    from vfi.kernels.export_flavour import FLAVOURS
    from vfi.kernels.onnx_exporter import check_opset

    if options.flavour not in FLAVOURS:
        raise InputError(f"flavour {options.flavour!r} is unknown; choose one of {', '.join(FLAVOURS)}", "flavour")
    require_supported(options.precision, EXPORT_PRECISIONS, "ONNX export")
    opset = check_opset(spec.default_opset if options.opset is None else options.opset)
    return (opset, *check_size(options.shape, options.dynamic, options.batch, spec.pad_multiple))


def export_onnx(model, out, options: ExportOptions | None = None) -> ExportResult:
    """Export `model` to the ONNX file `out` with its sidecar ``out + ".json"`` (see module doc).

    Raises:
        InputError: bad shape, batch, precision or flavour.
        ExportError: opset out of range, lint findings, or parity outside the tolerance.
    """
    import onnx
    import torch

    from vfi.core.sidecar import make_sidecar, tool_versions, write_artifact
    from vfi.export import simplify as simplify_mod
    from vfi.export import validate as validate_mod
    from vfi.kernels.onnx_exporter import export_module
    from vfi.kernels.onnx_lint import check, plugins_used
    from vfi.models.graph_module import example_args, graph_module, torch_dynamic_shapes
    from vfi.models.registry import graph_spec

    options = options or ExportOptions()
    out = Path(out)
    if out.suffix != ".onnx":
        raise InputError(f"output {out} must end in .onnx", "output")
    module = load_model(model)
    card = module.card
    spec = graph_spec(card)
    if spec.parts:
        raise InputError(
            f"model {card.variant} is made of {len(spec.parts)} graphs ({', '.join(spec.parts)}) with a sampling loop "
            f"between them; export it to a bundle folder, {out.with_suffix('.bundle').name}",
            "output",
        )
    opset, batch, height, width = check_options(options, spec)

    reference = graph_module(copy.deepcopy(module), "fp32")
    wrapped = graph_module(module, options.precision)
    args = example_args(spec, batch, height, width)
    dynamic_shapes = torch_dynamic_shapes(spec, max_size=MAX_DYNAMIC_SIZE) if options.dynamic else None
    shapes = spec.shapes(*((BATCH, HEIGHT, WIDTH) if options.dynamic else (batch, height, width)))

    with tempfile.TemporaryDirectory(prefix="vfi-export-") as tmp:
        raw = export_module(
            wrapped,
            args,
            Path(tmp) / "raw.onnx",
            flavour=options.flavour,
            opset=opset,
            input_names=spec.input_names,
            output_names=spec.output_names,
            dynamic_shapes=dynamic_shapes,
            lint=False,
        )
        graph = onnx.load(str(raw))
    _name_boundary_dims(graph, shapes)
    onnx.checker.check_model(graph)
    graph = onnx.shape_inference.infer_shapes(graph, strict_mode=False)
    simplifier = {"tool": "onnxslim", "applied": False, "note": "disabled (simplify=False)"}
    if options.simplify:
        graph, simplifier = simplify_mod.simplify(graph)
        onnx.checker.check_model(graph)
    check(graph, options.flavour)

    parity = {"skipped": True}
    if options.validate:
        with tempfile.TemporaryDirectory(prefix="vfi-export-") as tmp:
            candidate = Path(tmp) / out.name
            onnx.save(graph, str(candidate))
            parity, failures = validate_mod.validate_graph(
                candidate,
                validate_mod.torch_reference(reference),
                spec,
                options.flavour,
                options.precision,
                2 if options.dynamic else batch,
                height,
                width,
            )
        if failures:
            raise ExportError(
                f"exported graph disagrees with torch ({options.precision}, {parity['runner']}): "
                + "; ".join(failures)
                + "; nothing was written"
            )
    sidecar = make_sidecar(
        "onnx",
        out,
        card,
        options.precision,
        inputs={n: shapes[n] for n in spec.input_names},
        outputs={n: shapes[n] for n in spec.output_names},
        tools=tool_versions("torch", "onnx", "onnxruntime", "onnxscript", "onnxslim"),
        flavour=options.flavour,
        opset=opset,
        dynamic={
            "batch": options.dynamic,
            "height": options.dynamic,
            "width": options.dynamic,
            "multiple": card.pad_multiple,
            "max_size": MAX_DYNAMIC_SIZE if options.dynamic else None,
        },
        traced_shape=[batch, 3, height, width],
        plugins=plugins_used(graph) if options.flavour == "tensorrt" else [],
        simplifier=simplifier,
        parity=parity,
        torch_version=torch.__version__,
    )
    path, side = write_artifact(out, sidecar, lambda temp: onnx.save(graph, str(temp)))
    return ExportResult(path, side, sidecar)


def _name_boundary_dims(graph, shapes: dict[str, list]) -> None:
    """Give the graph's inputs and outputs the dims of `shapes` (symbolic names "batch",
    "height", "width" instead of the exporter's expressions such as "64*height_blocks")."""
    for value in [*graph.graph.input, *graph.graph.output]:
        if value.name not in shapes:
            continue
        dims = value.type.tensor_type.shape.dim
        wanted = shapes[value.name]
        if len(dims) != len(wanted):
            raise ExportError(f"exported {value.name!r} has rank {len(dims)}, expected {len(wanted)}")
        for dim, want in zip(dims, wanted):
            if isinstance(want, str):
                dim.dim_param = want
            else:
                dim.dim_value = int(want)
