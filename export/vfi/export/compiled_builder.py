"""`build_compiled`: a model -> an AOTInductor package (``.pt2``) + sidecar.

    build_compiled("rife-hdv3", "rife.pt2", CompiledOptions(shape=(720, 1280), device="cuda", precision="fp16"))

The model, wrapped in the graph interface (`onnx_model.GraphInterface`: img0, img1[, timestep] ->
frame, float32 at the boundary), is captured with `torch.export` and compiled ahead of time by
`torch._inductor.aoti_compile_and_package` for one device. Our custom ops stay inside: on CPU
`backward_warp` is its grid_sample composition (built-in ops only); on CUDA it is
`torch.ops.vfi.backward_warp`, whose Triton kernel Inductor compiles into the package. The
package is loaded by `torch._inductor.aoti_load_package` (the `compiled` runtime backend); it is
tied to the torch version and the device kind it was built for, both recorded in the sidecar.

Shapes: static (--shape, --batch) or, with `dynamic`, symbolic batch, height and width (height
and width multiples of the pad). After compiling, the package is loaded and checked against torch
eager float32 on rendered frames, like an ONNX export.
"""

from __future__ import annotations

import copy
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from vfi.core.errors import BackendUnavailable, ExportError, InputError

#: parity of a compiled package vs eager (fp32: Inductor reorders and fuses float arithmetic)
DEVICES = ("cpu", "cuda")


@dataclass
class CompiledOptions:
    """What `build_compiled` makes (see `vfi.export.onnx_export.ExportOptions` for shape rules)."""

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

    from vfi.export import validate as validate_mod
    from vfi.export.onnx_export import ExportOptions, check_options, load_model
    from vfi.export.onnx_model import DynamicAxes, GraphInterface, OUTPUT_NAME, example_inputs, input_names, io_shapes
    from vfi.export.sidecar import make_sidecar, sidecar_path, tool_versions, write_sidecar

    options = options or CompiledOptions()
    out = Path(out)
    if out.suffix != ".pt2":
        raise InputError(f"output {out} must end in .pt2 (an AOTInductor package)")
    if options.device not in DEVICES:
        raise InputError(f"--device {options.device!r}: choose one of {', '.join(DEVICES)}")
    if options.device == "cuda" and not torch.cuda.is_available():
        raise BackendUnavailable("--device cuda: no CUDA device visible to torch; build with --device cpu")
    if options.precision == "fp16" and options.device != "cuda":
        raise BackendUnavailable("--precision fp16 needs --device cuda for a compiled package (CPU half convolutions are slow or missing)")
    module = load_model(model)
    card = module.card
    batch, height, width = check_options(
        ExportOptions(shape=options.shape, dynamic=options.dynamic, batch=options.batch, precision=options.precision),
        card.pad_multiple)
    names = input_names(card.timestep_mode)
    reference = GraphInterface(copy.deepcopy(module), "fp32")
    wrapped = GraphInterface(module, options.precision).to(options.device)
    args = tuple(a.to(options.device) for a in example_inputs(card, batch, height, width))
    dynamic_shapes = None
    if options.dynamic:
        dynamic_shapes = DynamicAxes(True, True, card.pad_multiple).torch_dynamic_shapes(card.timestep_mode)

    try:
        with torch.no_grad():
            program = torch.export.export(wrapped, args, dynamic_shapes=dynamic_shapes, strict=False)
    except Exception as exc:  # torch.export raises many types; the user needs the first line
        first = str(exc).strip().splitlines()[0][:300] if str(exc).strip() else type(exc).__name__
        raise ExportError(f"torch.export could not capture {card.variant}: {first}") from exc

    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=f".{out.name}.", dir=out.parent) as tmp:
        package = Path(tmp) / out.name
        torch._inductor.aoti_compile_and_package(program, package_path=str(package))
        parity = {"skipped": True}
        if options.validate:
            loaded = torch._inductor.aoti_load_package(str(package))
            v_batch = 2 if options.dynamic else batch

            def run_package(feeds):
                with torch.inference_mode():
                    tensors = [torch.from_numpy(feeds[n]).to(options.device) for n in names]
                    return {OUTPUT_NAME: loaded(*tensors).float().cpu().numpy()}

            feeds = validate_mod.rendered_inputs(card.timestep_mode, v_batch, height, width)
            expected = validate_mod.torch_reference(reference)(feeds)
            actual = run_package(feeds)
            result = validate_mod.compare(OUTPUT_NAME, expected[OUTPUT_NAME], actual[OUTPUT_NAME], options.precision)
            parity = {"runner": f"aoti_load_package ({options.device})", "reference": "torch eager float32 (CPU)",
                      "shape": [v_batch, 3, height, width], "outputs": {OUTPUT_NAME: result.as_dict()}, "passed": result.passed}
            if not result.passed:
                raise ExportError(f"compiled package disagrees with torch: {result.failure()}; nothing was written")
        dims = ("batch", "height", "width") if options.dynamic else (batch, height, width)
        shapes = io_shapes(card.timestep_mode, *dims)
        sidecar = make_sidecar(
            "aoti-package", out, card, options.precision, {n: shapes[n] for n in names}, {OUTPUT_NAME: shapes[OUTPUT_NAME]},
            tool_versions("torch"), device=options.device,
            dynamic={"batch": options.dynamic, "height": options.dynamic, "width": options.dynamic, "multiple": card.pad_multiple},
            traced_shape=[batch, 3, height, width], parity=parity)
        side_tmp = write_sidecar(package, sidecar)
        os.replace(package, out)
        os.replace(side_tmp, sidecar_path(out))
    return out, sidecar_path(out)
