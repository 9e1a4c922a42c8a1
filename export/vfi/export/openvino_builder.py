"""`build_openvino`: a model (or a portable .onnx) -> an OpenVINO IR (``.xml`` + ``.bin``) + sidecar.

    build_openvino("rife-4.0", "rife.xml", OpenVINOOptions(shape=(768, 1280), precision="bf16"))

The model is exported to ONNX with standard ops through its graph interface (the same exporter
and graph module as every other export), read by OpenVINO, and lowered to the precision asked
for with fp32 coordinate islands (`vfi.core.openvino.reduce_precision`: convolutions reduced,
everything else fp32; the compile properties that go with it are recorded in the sidecar). Before
anything is written the IR is compiled on this CPU and checked against torch float32 on rendered
frames, under the family's tolerance for the precision; the figures go into the sidecar with the
OpenVINO version and the number of convolutions running reduced.
"""

from __future__ import annotations

import copy
import tempfile
from dataclasses import dataclass
from pathlib import Path

from vfi.core.errors import ExportError, InputError


@dataclass
class OpenVINOOptions:
    """What `build_openvino` makes.

    Attributes:
        shape: (height, width) in pixels, multiples of the pad; the static size, or with
            `dynamic` the size traced and validated at.
        dynamic: symbolic batch, height and width.
        batch: static batch size (without `dynamic`).
        precision: "fp32", "bf16" or "fp16" (the ones this CPU runs natively).
        islands: keep coordinate arithmetic in fp32 (default True).
        validate: check parity against torch and refuse the IR when it fails.
    """

    shape: tuple[int, int] | None = None
    dynamic: bool = False
    batch: int = 1
    precision: str = "fp32"
    islands: bool = True
    validate: bool = True


def build_openvino(model, out, options: OpenVINOOptions | None = None) -> tuple[Path, Path]:
    """Build the IR `out` (``.xml``; its ``.bin`` beside it) from `model`; returns (IR path,
    sidecar path).

    Raises:
        InputError: bad options or output name; an unsupported precision on this CPU.
        BackendUnavailable: OpenVINO is not installed.
        ExportError: the IR disagrees with torch beyond the tolerance.
    """
    import openvino as ov

    from vfi.core.openvino import cpu_precisions, import_openvino, low_precision_ops, reduce_precision, shared_core
    from vfi.core.precision import require_supported
    from vfi.core.sidecar import make_sidecar, tool_versions, write_artifact
    from vfi.export import validate as validate_mod
    from vfi.export.onnx_artifact import check_size, load_model
    from vfi.kernels.onnx_exporter import export_module
    from vfi.models.graph_module import example_args, graph_module, torch_dynamic_shapes
    from vfi.models.registry import graph_spec

    import_openvino()
    options = options or OpenVINOOptions()
    out = Path(out)
    if out.suffix != ".xml":
        raise InputError(
            f"output {out} must end in .xml (an OpenVINO IR; its weights go to {out.with_suffix('.bin').name})", "output"
        )
    core = shared_core()
    require_supported(options.precision, cpu_precisions(core), "OpenVINO on this CPU")
    module = load_model(model)
    card = module.card
    spec = graph_spec(card)
    batch, height, width = check_size(options.shape, options.dynamic, options.batch, spec.pad_multiple)
    reference = graph_module(copy.deepcopy(module), "fp32")
    dynamic_shapes = torch_dynamic_shapes(spec) if options.dynamic else None
    with tempfile.TemporaryDirectory(prefix="vfi-openvino-") as tmp:
        onnx_path = export_module(
            reference,
            example_args(spec, batch, height, width),
            Path(tmp) / "graph.onnx",
            flavour="portable",
            opset=spec.default_opset,
            input_names=spec.input_names,
            output_names=spec.output_names,
            dynamic_shapes=dynamic_shapes,
        )
        ir = core.read_model(str(onnx_path))
    properties = reduce_precision(ir, options.precision, islands=options.islands)
    reduced = low_precision_ops(ir)

    parity = {"skipped": True}
    if options.validate:
        v_batch = 2 if options.dynamic else batch
        feeds = spec.rendered_inputs(v_batch, height, width)
        checked = ir.clone()
        if options.dynamic:
            checked.reshape({name: shape for name, shape in spec.input_shapes(v_batch, height, width).items()})
        compiled = core.compile_model(checked, "CPU", properties)
        actual = {spec.output_names[0]: compiled.create_infer_request().infer(feeds)[compiled.output(0)].copy()}
        expected = validate_mod.torch_reference(reference)(feeds)
        parity, failures = validate_mod.parity_section(
            f"openvino CPU ({options.precision})", expected, actual, spec, options.precision, [v_batch, 3, height, width]
        )
        if failures:
            raise ExportError(
                f"the OpenVINO IR disagrees with torch ({options.precision}): " + "; ".join(failures) + "; nothing was written"
            )
    dims = ("batch", "height", "width") if options.dynamic else (batch, height, width)
    shapes = spec.shapes(*dims)
    tools = tool_versions("torch", "onnx", "openvino")
    tools["openvino"] = ov.get_version().split("-")[0]
    sidecar = make_sidecar(
        "openvino-ir",
        out,
        card,
        options.precision,
        {n: shapes[n] for n in spec.input_names},
        {n: shapes[n] for n in spec.output_names},
        tools,
        device="cpu",
        compile=properties,
        islands={
            "enabled": options.islands,
            "reduced_ops": reduced,
            "rule": "convolutions and matrix products in the reduced precision, everything else fp32",
        },
        dynamic={"batch": options.dynamic, "height": options.dynamic, "width": options.dynamic, "multiple": card.pad_multiple},
        traced_shape=[batch, 3, height, width],
        parity=parity,
    )
    return write_artifact(out, sidecar, lambda temp: ov.save_model(ir, str(temp), compress_to_fp16=False), companions=(".bin",))
