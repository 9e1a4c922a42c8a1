"""`build_compiled`: a model -> an AOTInductor package (``.pt2``) + sidecar.

    build_compiled("rife-4.0", "rife.pt2", CompiledOptions(shape=(768, 1280), device="cuda", precision="fp16"))

The model, wrapped in its graph interface (`vfi.models.graph_module`: img0, img1[, timestep] ->
frame, float32 at the boundary), is captured with `torch.export` and compiled ahead of time by
`torch._inductor.aoti_compile_and_package` for one device. Our custom ops stay inside: on CPU
`backward_warp` is its grid_sample composition (built-in ops only); on CUDA it is
`torch.ops.vfi.backward_warp`, whose Triton kernel Inductor compiles into the package. The
package is loaded by `torch._inductor.aoti_load_package` (the `compiled` runtime backend); it is
tied to the torch version and the device kind it was built for, both recorded in the sidecar.

Shapes: static (`shape`, `batch`) or, with `dynamic`, symbolic batch, height and width (height
and width multiples of the pad). After compiling, the package is loaded and checked against torch
eager float32 on rendered frames, like an ONNX export.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from pathlib import Path

from vfi.core.errors import BackendUnavailable, ExportError, InputError

DEVICES = ("cpu", "cuda")
#: precisions a package can be compiled at, per device (CPU half convolutions are slow or missing)
PRECISIONS = {"cpu": ("fp32",), "cuda": ("fp32", "fp16", "bf16")}


@dataclass
class CompiledOptions:
    """What `build_compiled` makes (shape rules as `vfi.export.onnx_artifact.ExportOptions`)."""

    shape: tuple[int, int] | None = None
    dynamic: bool = False
    batch: int = 1
    device: str = "cpu"
    precision: str = "fp32"
    validate: bool = True


def build_compiled(model, out, options: CompiledOptions | None = None):
    """Compile `model` into the package `out` (``.pt2``); returns (package path, sidecar path).

    Raises:
        InputError: bad options or output name.
        BackendUnavailable: CUDA or fp16 asked for on a machine without CUDA.
        ExportError: `torch.export` failed, or the package disagrees with eager torch.
    """
    import torch

    from vfi.core.messages import short_error
    from vfi.core.precision import require_supported
    from vfi.core.sidecar import make_sidecar, tool_versions, write_artifact
    from vfi.export import validate as validate_mod
    from vfi.export.onnx_artifact import check_size, load_model
    from vfi.models.graph_module import example_args, graph_module, torch_dynamic_shapes
    from vfi.models.registry import graph_spec

    options = options or CompiledOptions()
    out = Path(out)
    if out.suffix != ".pt2":
        raise InputError(f"output {out} must end in .pt2 (an AOTInductor package)", "output")
    if options.device not in DEVICES:
        raise InputError(f"device {options.device!r} is unknown; choose one of {', '.join(DEVICES)}", "device")
    if options.device == "cuda" and not torch.cuda.is_available():
        raise BackendUnavailable("device cuda: no CUDA device visible to torch; build on cpu", "device")
    require_supported(options.precision, PRECISIONS[options.device], f"a compiled package for {options.device}")
    module = load_model(model)
    card = module.card
    spec = graph_spec(card)
    batch, height, width = check_size(options.shape, options.dynamic, options.batch, spec.pad_multiple)
    reference = graph_module(copy.deepcopy(module), "fp32")
    wrapped = graph_module(module, options.precision).to(options.device)
    args = tuple(a.to(options.device) for a in example_args(spec, batch, height, width))
    dynamic_shapes = torch_dynamic_shapes(spec) if options.dynamic else None

    try:
        with torch.no_grad():
            program = torch.export.export(wrapped, args, dynamic_shapes=dynamic_shapes, strict=False)
    except Exception as exc:  # torch.export raises many types; the user needs the first line
        raise ExportError(f"torch.export could not capture {card.variant}: {short_error(exc, 300)}") from exc

    def compile_to(temp: Path) -> None:
        torch._inductor.aoti_compile_and_package(program, package_path=str(temp))

    def measured_sidecar(temp: Path) -> dict:
        parity = {"skipped": True}
        if options.validate:
            loaded = torch._inductor.aoti_load_package(str(temp))
            v_batch = 2 if options.dynamic else batch
            feeds = spec.rendered_inputs(v_batch, height, width)
            with torch.inference_mode():
                tensors = [torch.from_numpy(value).to(options.device) for value in spec.ordered(feeds)]
                actual = {spec.output_names[0]: loaded(*tensors).float().cpu().numpy()}
            expected = validate_mod.torch_reference(reference)(feeds)
            parity, failures = validate_mod.parity_section(
                f"aoti_load_package ({options.device})", expected, actual, spec, options.precision, [v_batch, 3, height, width]
            )
            if failures:
                raise ExportError("compiled package disagrees with torch: " + "; ".join(failures) + "; nothing was written")
        dims = ("batch", "height", "width") if options.dynamic else (batch, height, width)
        shapes = spec.shapes(*dims)
        return make_sidecar(
            "aoti-package",
            out,
            card,
            options.precision,
            {n: shapes[n] for n in spec.input_names},
            {n: shapes[n] for n in spec.output_names},
            tool_versions("torch"),
            device=options.device,
            dynamic={
                "batch": options.dynamic,
                "height": options.dynamic,
                "width": options.dynamic,
                "multiple": card.pad_multiple,
            },
            traced_shape=[batch, 3, height, width],
            parity=parity,
        )

    return write_artifact(out, measured_sidecar, compile_to)
