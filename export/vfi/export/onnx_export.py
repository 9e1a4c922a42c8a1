"""`export_onnx`: a model (name, checkpoint or module) -> a linted, validated ONNX graph + sidecar.

    from vfi.export.onnx_export import ExportOptions, export_onnx
    result = export_onnx("rife-hdv3", "rife.onnx", ExportOptions(flavour="tensorrt", shape=(720, 1280)))

Steps: load the model; wrap it in the graph interface (`onnx_model`); export with the custom ops
lowered for the flavour (`vfi.kernels.onnx_export.export_module`, dynamo exporter); name the
symbolic dimensions batch / height / width; `onnx.checker`; shape inference; simplification
(`simplify`, optional); lint for the flavour (`lint`); parity against torch float32 on rendered
frames (`validate`); sidecar (`sidecar`). Files are written under temporary names in the output
folder and renamed into place only when every step passed, so a refused export leaves nothing.
"""

from __future__ import annotations

import copy
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from vfi.core.errors import ExportError, InputError
from vfi.kernels.onnx_export import quiet_exporter

#: 19: the newest opset whose GridSample keeps mode "bilinear" (TensorRT's parser reads opset-20
#: "linear" as nearest) and the first with DeformConv, so every family exports in both flavours.
DEFAULT_OPSET = 19
#: symbolic dimension names on the graph boundary
BATCH, HEIGHT, WIDTH = "batch", "height", "width"
#: largest height / width a dynamic graph declares (pixels)
MAX_DYNAMIC_SIZE = 4096


@dataclass
class ExportOptions:
    """What `export_onnx` makes.

    Attributes:
        flavour: "tensorrt" (custom `vfi` nodes for our plugins) or "portable" (standard ONNX).
        opset: default-domain opset, 16..19.
        shape: (height, width) in pixels, multiples of the model's pad multiple; the static size
            of the graph, or with `dynamic` the size it is traced and validated at.
        dynamic: batch, height and width symbolic (height and width multiples of the pad).
        batch: static batch size (ignored when `dynamic`).
        precision: "fp32" or "fp16" (arithmetic inside the graph; the interface stays float32).
        simplify: run onnxslim when installed.
        validate: check parity against torch and refuse the export when it fails.
    """

    flavour: str = "portable"
    opset: int = DEFAULT_OPSET
    shape: tuple[int, int] | None = None
    dynamic: bool = False
    batch: int = 1
    precision: str = "fp32"
    simplify: bool = True
    validate: bool = True


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


def check_options(options: ExportOptions, multiple: int) -> tuple[int, int, int]:
    """(batch, height, width) to trace and validate at; `InputError` / `ExportError` for bad options."""
    from vfi.export.onnx_model import PRECISIONS
    from vfi.export.shapes import Size, check_multiple
    from vfi.kernels.export_flavour import FLAVOURS
    from vfi.kernels.onnx_export import MAX_OPSET, MIN_OPSET

    if options.flavour not in FLAVOURS:
        raise InputError(f"--flavour {options.flavour!r}: choose one of {', '.join(FLAVOURS)}")
    if options.precision not in PRECISIONS:
        raise InputError(f"--precision {options.precision!r}: choose one of {', '.join(PRECISIONS)}")
    if not MIN_OPSET <= options.opset <= MAX_OPSET:
        raise ExportError(f"--opset {options.opset} refused: use {MIN_OPSET}..{MAX_OPSET} (from opset 20 GridSample's "
                          "mode is 'linear', which TensorRT's parser runs as nearest)")
    if options.batch < 1:
        raise InputError(f"--batch must be >= 1, got {options.batch}")
    if options.shape is None:
        if not options.dynamic:
            raise InputError("give --shape HxW (a static graph) or --dynamic (symbolic batch, height and width)")
        # Traced at two pad blocks per side: a symbol traced at size 1 would be specialised.
        return 2, 2 * multiple, 2 * multiple
    height, width = options.shape
    check_multiple(Size(options.batch, height, width), multiple, "--shape")
    if options.dynamic:
        if height < 2 * multiple or width < 2 * multiple:
            raise InputError(f"with --dynamic, --shape must be at least {2 * multiple}x{2 * multiple} (two pad blocks; "
                             "a dimension traced at one block would be fixed)")
        return 2, height, width
    return options.batch, height, width


def export_onnx(model, out, options: ExportOptions | None = None) -> ExportResult:
    """Export `model` to the ONNX file `out` with its sidecar ``out + ".json"`` (see module doc).

    Raises:
        InputError: bad shape, batch, precision or flavour.
        ExportError: opset out of range, lint findings, or parity outside the tolerance.
    """
    import onnx
    import torch

    from vfi.export import lint as lint_mod
    from vfi.export import simplify as simplify_mod
    from vfi.export import validate as validate_mod
    from vfi.export.onnx_model import DynamicAxes, GraphInterface, OUTPUT_NAME, example_inputs, input_names, io_shapes
    from vfi.export.sidecar import make_sidecar, sidecar_path, tool_versions
    from vfi.kernels.onnx_export import export_module

    options = options or ExportOptions()
    out = Path(out)
    if out.suffix != ".onnx":
        raise InputError(f"output {out} must end in .onnx")
    module = load_model(model)
    card = module.card
    batch, height, width = check_options(options, card.pad_multiple)
    names = input_names(card.timestep_mode)

    reference = GraphInterface(copy.deepcopy(module), "fp32")
    wrapped = GraphInterface(module, options.precision)
    args = example_inputs(card, batch, height, width)
    dynamic_shapes = None
    if options.dynamic:
        axes = DynamicAxes(batch=True, spatial=True, multiple=card.pad_multiple, max_size=MAX_DYNAMIC_SIZE)
        dynamic_shapes = axes.torch_dynamic_shapes(card.timestep_mode)

    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=f".{out.name}.", dir=out.parent) as tmp:
        raw = Path(tmp) / "raw.onnx"
        with quiet_exporter():
            export_module(wrapped, args, raw, flavour=options.flavour, opset=options.opset, input_names=names,
                          output_names=[OUTPUT_NAME], dynamic_shapes=dynamic_shapes)
        graph = onnx.load(str(raw))
        shapes = io_shapes(card.timestep_mode, *((BATCH, HEIGHT, WIDTH) if options.dynamic else (batch, height, width)))
        _name_boundary_dims(graph, shapes)
        onnx.checker.check_model(graph)
        graph = onnx.shape_inference.infer_shapes(graph, strict_mode=False)
        simplifier = {"tool": "onnxslim", "applied": False, "note": "disabled (--no-simplify)"}
        if options.simplify:
            graph, simplifier = simplify_mod.simplify(graph)
            onnx.checker.check_model(graph)
        lint_mod.check(graph, options.flavour)
        final_tmp = Path(tmp) / out.name
        onnx.save(graph, str(final_tmp))

        parity = {"skipped": True}
        if options.validate:
            v_batch = 2 if options.dynamic else batch
            parity, failures = validate_mod.validate_graph(
                final_tmp, validate_mod.torch_reference(reference), card.timestep_mode, options.flavour,
                options.precision, v_batch, height, width)
            if failures:
                raise ExportError(f"exported graph disagrees with torch ({options.precision}, {parity['runner']}): "
                                  + "; ".join(failures) + "; nothing was written")
        tools = tool_versions("torch", "onnx", "onnxruntime", "onnxscript", "onnxslim")
        sidecar = make_sidecar(
            "onnx", out, card, options.precision,
            inputs={n: shapes[n] for n in names}, outputs={OUTPUT_NAME: shapes[OUTPUT_NAME]}, tools=tools,
            flavour=options.flavour, opset=options.opset,
            dynamic={"batch": options.dynamic, "height": options.dynamic, "width": options.dynamic,
                     "multiple": card.pad_multiple, "max_size": MAX_DYNAMIC_SIZE if options.dynamic else None},
            traced_shape=[batch, 3, height, width],
            plugins=lint_mod.plugins_used(graph) if options.flavour == "tensorrt" else [],
            simplifier=simplifier, parity=parity, torch_version=torch.__version__,
        )
        from vfi.export.sidecar import write_sidecar

        side_tmp = write_sidecar(final_tmp, sidecar)
        os.replace(final_tmp, out)
        os.replace(side_tmp, sidecar_path(out))
    return ExportResult(out, sidecar_path(out), sidecar)


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

