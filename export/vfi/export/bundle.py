"""`export_bundle`: a model made of several graphs (a diffusion model) -> a validated bundle folder.

    from vfi.export.bundle import export_bundle
    result = export_bundle("ldmvfi", "ldmvfi.bundle", ExportOptions(flavour="portable", shape=(256, 256)))

A bundle (`vfi.core.sidecar.write_bundle`) holds one ONNX graph per part of the model, in the
order its graph spec lists them (``GraphSpec.parts``; LDMVFI: encoder, denoiser, decoder), each
with its own sidecar, and a manifest. Each part is exported like a single graph (`onnx_artifact`):
the toolkit's exporter with the custom ops lowered for the flavour, checker, shape inference,
simplification, the flavour's lint, and parity against the torch part on inputs made by running
the torch parts on rendered frames. Then the whole bundle is checked end to end: the runtime's
sampling loop (`vfi.core.diffusion.sample_frame`) over the exported graphs against the same loop
over the torch parts, at `PARITY_STEPS` steps with one seed. The folder appears only when every
check passed.

Bundles have a static frame size (``--shape``): a diffusion model's latent is 1/32 of the frame,
and its attention windows make every side a multiple of the pad, so a graph per size is the
deployable form; the runtime pads smaller frames up to it.
"""

from __future__ import annotations

import copy
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from vfi.core.errors import ExportError, InputError
from vfi.export.onnx_artifact import ExportOptions, check_options, load_model
from vfi.models.graph_parts import float_boundary, part_inputs

#: DDIM steps of the end-to-end parity check (the loop's arithmetic is the same at any count)
PARITY_STEPS = 2


@dataclass
class BundleResult:
    path: Path
    manifest: dict = field(default_factory=dict)


def export_bundle(model, out, options: ExportOptions | None = None) -> BundleResult:
    """Export `model` (name, checkpoint or module whose graph spec lists parts) to the bundle
    folder `out` (``NAME.bundle``); see the module doc.

    Raises:
        InputError: a model of one graph, a dynamic export, or a bad shape, batch or precision.
        ExportError: lint findings, or parity outside the tolerance (nothing is written).
    """
    import torch

    from vfi.core.sidecar import BUNDLE_SUFFIX, make_manifest, make_sidecar, sidecar_json, tool_versions, write_bundle
    from vfi.models.precision_islands import low_precision_convs
    from vfi.models.registry import graph_spec

    options = options or ExportOptions()
    out = Path(out)
    if out.suffix != BUNDLE_SUFFIX:
        raise InputError(f"output {out} must end in {BUNDLE_SUFFIX} (a folder: one graph per part and a manifest)", "output")
    module = load_model(model)
    card = module.card
    spec = graph_spec(card)
    if not spec.parts:
        raise InputError(f"model {card.variant} is one graph; export it to NAME.onnx", "output")
    if options.dynamic:
        raise InputError(
            f"{card.variant} exports at a static frame size (give --shape HxW, multiples of {spec.pad_multiple}); "
            "the runtime pads smaller frames up to it",
            "dynamic",
        )
    opset, batch, height, width = check_options(options, spec)
    module = copy.deepcopy(module).to(device="cpu", dtype=torch.float32).eval()
    reference = copy.deepcopy(module)
    low_precision_convs(module, getattr(torch, "float16" if options.precision == "fp16" else "float32"))
    examples = part_inputs(reference, height, width, batch)
    io = module.bundle_io()
    graphs, parts = {}, module.bundle_parts()
    reference_parts = reference.bundle_parts()
    with tempfile.TemporaryDirectory(prefix="vfi-bundle-") as tmp:
        for role in spec.parts:
            graphs[role] = _export_part(
                role, parts[role], reference_parts[role], examples[role], io[role], Path(tmp), opset, options, spec
            )
        sampler = {name: card.hparams[name] for name in ("steps", "eta", "seed") if name in card.hparams}
        schedule = _schedule_dict(module.schedule)
        parity = {"skipped": True}
        if options.validate:
            parity = _end_to_end_parity(
                reference, {role: g["path"] for role, g in graphs.items()}, io, options, spec, batch, height, width
            )
        frame_shape = [batch, 3, height, width]

        def write(folder: Path) -> None:
            for role, graph in graphs.items():
                target = folder / graph["file"]
                target.write_bytes(graph["path"].read_bytes())
                side = make_sidecar(
                    "onnx",
                    target,
                    card,
                    options.precision,
                    inputs=graph["inputs"],
                    outputs=graph["outputs"],
                    tools=tool_versions("torch", "onnx", "onnxruntime", "onnxscript", "onnxslim"),
                    flavour=options.flavour,
                    opset=opset,
                    bundle_role=role,
                    plugins=graph["plugins"],
                    simplifier=graph["simplifier"],
                    parity=graph["parity"],
                    torch_version=torch.__version__,
                )
                (folder / (graph["file"] + ".json")).write_text(sidecar_json(side))

        manifest = make_manifest(
            "onnx",
            card,
            options.precision,
            frame_shape,
            {role: {k: graph[k] for k in ("file", "inputs", "outputs", "parity", "plugins")} for role, graph in graphs.items()},
            {**sampler, "schedule": schedule},
            tool_versions("torch", "onnx", "onnxruntime", "onnxscript", "onnxslim"),
            flavour=options.flavour,
            opset=opset,
            parity=parity,
        )
        path = write_bundle(out, manifest, write)
    return BundleResult(path, manifest)


def _schedule_dict(schedule) -> dict:
    import dataclasses

    return dataclasses.asdict(schedule)


def _export_part(role, part, reference_part, args, names, tmp: Path, opset, options: ExportOptions, spec) -> dict:
    """Export one part to ``tmp/<role>.onnx``, check, simplify, lint and validate it."""
    import onnx
    import torch

    from vfi.export import simplify as simplify_mod
    from vfi.export.validate import output_parity, run_graph, runner_name
    from vfi.kernels.onnx_exporter import export_module
    from vfi.kernels.onnx_lint import check, plugins_used

    input_names, output_names = list(names[0]), list(names[1])
    raw = export_module(
        float_boundary(part),
        args,
        tmp / f"raw-{role}.onnx",
        flavour=options.flavour,
        opset=opset,
        input_names=input_names,
        output_names=output_names,
        lint=False,
    )
    graph = onnx.load(str(raw))
    onnx.checker.check_model(graph)
    graph = onnx.shape_inference.infer_shapes(graph, strict_mode=False)
    simplifier = {"tool": "onnxslim", "applied": False, "note": "disabled (simplify=False)"}
    if options.simplify:
        graph, simplifier = simplify_mod.simplify(graph)
        onnx.checker.check_model(graph)
    check(graph, options.flavour)
    path = tmp / f"{role}.onnx"
    onnx.save(graph, str(path))
    with torch.inference_mode():
        expected = _as_tuple(reference_part(*args))
    shapes_in = {name: list(arg.shape) for name, arg in zip(input_names, args)}
    shapes_out = {name: list(value.shape) for name, value in zip(output_names, expected)}
    parity = {"skipped": True}
    if options.validate:
        feeds = {name: arg.numpy() for name, arg in zip(input_names, args)}
        actual = run_graph(path, feeds, options.flavour)
        outputs, failures = {}, []
        for name, value in zip(output_names, expected):
            # Latents and features are not frames in [0, 1]: compare them relative to their range.
            ref = value.float().numpy()
            scale = max(1.0, float(np.abs(ref).max()))
            figures, result = output_parity(ref / scale, actual[name] / scale, spec.tolerance(options.precision))
            figures["scale"] = scale
            outputs[name] = figures
            if not result.passed:
                failures.append(result.failure(f"{role} output {name!r} (relative to its range {scale:.3g})"))
        if failures:
            raise ExportError(
                f"exported {role} graph disagrees with torch ({options.precision}): "
                + "; ".join(failures)
                + "; nothing was written"
            )
        parity = {
            "runner": runner_name(options.flavour, path),
            "reference": "torch eager float32 (CPU)",
            "outputs": outputs,
            "passed": True,
        }
    return {
        "file": f"{role}.onnx",
        "path": path,
        "inputs": shapes_in,
        "outputs": shapes_out,
        "parity": parity,
        "simplifier": simplifier,
        "plugins": plugins_used(graph) if options.flavour == "tensorrt" else [],
    }


def _end_to_end_parity(reference, paths: dict, io, options: ExportOptions, spec, batch, height, width) -> dict:
    """The sampling loop over the exported graphs against the loop over the torch parts."""
    import torch

    from vfi.core.diffusion import sample_frame
    from vfi.export.validate import parity_section, run_graph, runner_name

    frames = spec.rendered_inputs(batch, height, width)
    inputs = {role: list(names[0]) for role, names in io.items()}
    parts = reference.bundle_parts()

    def torch_part(role, feeds):
        with torch.inference_mode():
            out = _as_tuple(parts[role](*(torch.from_numpy(feeds[n]) for n in inputs[role])))
        return {name: value.float().numpy() for name, value in zip(io[role][1], out)}

    def graph_part(role, feeds):
        return run_graph(paths[role], feeds, options.flavour)

    settings = {
        "schedule": reference.schedule,
        "steps": PARITY_STEPS,
        "eta": float(reference.card.hparams.get("eta", 1.0)),
        "seed": 0,
    }
    expected = sample_frame(torch_part, inputs, frames["img0"], frames["img1"], **settings)
    actual = sample_frame(graph_part, inputs, frames["img0"], frames["img1"], **settings)
    runner = "+".join(sorted({runner_name(options.flavour, p) for p in paths.values()}))
    section, failures = parity_section(
        runner, {"frame": expected}, {"frame": actual}, spec, options.precision, [batch, 3, height, width]
    )
    section["steps"] = PARITY_STEPS
    section["seed"] = 0
    if failures:
        raise ExportError(
            f"the exported bundle's sampled frame disagrees with torch ({options.precision}, {PARITY_STEPS} steps): "
            + "; ".join(failures)
            + "; nothing was written"
        )
    return section


def _as_tuple(value) -> tuple:
    return tuple(value) if isinstance(value, (tuple, list)) else (value,)
