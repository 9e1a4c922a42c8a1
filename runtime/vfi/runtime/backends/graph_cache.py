"""ONNX graphs exported on the fly for the ONNX Runtime backend, cached on disk.

A graph is exported at one padded frame size (height, width) with a dynamic batch dimension and
standard ONNX ops only (the portable flavour), through the toolkit's one exporter
(`vfi.kernels.onnx_exporter`, which lints it) with the model's graph interface
(`vfi.models.graph_module`; inputs ``img0``, ``img1`` [N, 3, H, W] and, by timestep mode,
``timestep``; output ``frame``). The file is cached under `vfi.core.cache.graphs_dir()` keyed by
the model's fingerprint (weights, card, source code), the frame size, the precision, the opset and
the torch version, so a second run of the same model at the same size skips the export. It is
written atomically (`vfi.core.atomic`), so a concurrent or interrupted export never leaves a
truncated graph under the final name.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

#: the flavour of on-the-fly graphs: ONNX Runtime runs standard ops only
FLAVOUR = "portable"


def graph_path(fingerprint: str, height: int, width: int, opset: int, precision: str = "fp32") -> Path:
    """Where the graph for this model fingerprint, padded size, opset and precision is cached."""
    import torch

    from vfi.core.cache import graphs_dir

    key = hashlib.sha256(f"{fingerprint}|{height}x{width}|opset{opset}|{precision}|torch{torch.__version__}".encode()).hexdigest()
    return graphs_dir() / f"{key[:32]}_{height}x{width}_op{opset}_{precision}.onnx"


def onnx_graph_for(module, fingerprint: str, height: int, width: int, precision: str = "fp32") -> Path:
    """Path of the ONNX graph of `module` at padded size `height` x `width`; exports it if absent."""
    from vfi.core.atomic import AtomicOutput
    from vfi.models.registry import graph_spec

    spec = graph_spec(module.card)
    path = graph_path(fingerprint, height, width, spec.default_opset, precision)
    if path.is_file():
        return path
    with AtomicOutput(path) as out:
        export_graph(module, out.temp, height, width, precision)
    return path


def export_graph(module, path: Path, height: int, width: int, precision: str = "fp32") -> Path:
    """Export `module` (eval mode, CPU) to `path` at `height` x `width` with a dynamic batch."""
    import copy

    from vfi.kernels.onnx_exporter import export_module
    from vfi.models.graph_module import example_args, graph_module, torch_dynamic_shapes

    wrapped = graph_module(copy.deepcopy(module).float().cpu(), precision)
    spec = wrapped.spec
    # The dynamic batch dimension must not be traced with size 0 or 1 (it would be specialised).
    args = example_args(spec, 2, height, width)
    return export_module(
        wrapped,
        args,
        path,
        flavour=FLAVOUR,
        opset=spec.default_opset,
        input_names=spec.input_names,
        output_names=spec.output_names,
        dynamic_shapes=torch_dynamic_shapes(spec, spatial=False),
    )


def onnx_bundle_for(module, fingerprint: str, height: int, width: int, precision: str = "fp32") -> dict[str, Path]:
    """Role -> path of each part's ONNX graph (a model made of several graphs, `GraphSpec.parts`)
    at padded size `height` x `width`, batch 1; exports the parts that are absent.

    The parts' example inputs come from running the torch parts (`vfi.core.diffusion` bundle
    contract: the model provides ``bundle_parts()`` and ``bundle_io()``)."""
    import copy

    import torch

    from vfi.core.atomic import AtomicOutput
    from vfi.kernels.onnx_exporter import export_module
    from vfi.models.graph_parts import float_boundary, part_inputs
    from vfi.models.precision_islands import low_precision_convs
    from vfi.models.registry import graph_spec

    spec = graph_spec(module.card)
    paths = {}
    model = None
    for role in spec.parts:
        path = graph_path(f"{fingerprint}|{role}", height, width, spec.default_opset, precision)
        paths[role] = path
        if path.is_file():
            continue
        if model is None:
            model = copy.deepcopy(module).float().cpu().eval()
            low_precision_convs(model, getattr(torch, "float16" if precision == "fp16" else "float32"))
            examples = part_inputs(model, height, width, batch=1)
            io = model.bundle_io()
        with AtomicOutput(path) as out:
            export_module(
                float_boundary(model.bundle_parts()[role]),
                examples[role],
                out.temp,
                flavour=FLAVOUR,
                opset=spec.default_opset,
                input_names=list(io[role][0]),
                output_names=list(io[role][1]),
            )
    return paths
