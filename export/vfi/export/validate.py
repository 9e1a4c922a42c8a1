"""Parity of a built artifact (ONNX graph, compiled package) against the torch model it came from,
on rendered frames.

Frames come from `GraphSpec.rendered_inputs` (textured shapes moving over a panning background,
`vfi.core.synthetic_scene`), so the flow estimator sees real-looking motion rather than noise.
The reference is the torch model in float32 eager mode; an ONNX graph runs in ONNX Runtime
(portable flavour) or in the ONNX reference evaluator with the CPU executors of our custom nodes
(tensorrt flavour). Tolerances are the family's (`GraphSpec.tolerances`, per precision, on the
max and the mean absolute error of frames in [0, 1]); a failure names the statistic, the observed
value and the tolerance that would have passed (`vfi.core.tolerance`).

    section, failures = validate_graph("m.onnx", torch_reference(fp32_module), spec, "portable", "fp32", 1, 64, 64)
"""

from __future__ import annotations

import math

import numpy as np

from vfi.core.graph_spec import GraphSpec
from vfi.core.metrics import psnr_from_mse
from vfi.core.tolerance import Comparison, compare

#: what the reference of every parity check is (recorded in sidecars)
REFERENCE = "torch eager float32 (CPU)"
FRAMES = "vfi.core.graph_spec.GraphSpec.rendered_inputs (synthetic scenes seed+i, frames 0 and 1)"


def output_parity(expected: np.ndarray, actual: np.ndarray, tolerance) -> tuple[dict, Comparison]:
    """The sidecar figures of one output: max/mean abs error, PSNR (dB, None when identical),
    the tolerance, and whether it passed."""
    result = compare(actual, expected, tolerance)
    mse = float(np.mean((expected.astype(np.float64) - actual.astype(np.float64)) ** 2))
    psnr = psnr_from_mse(mse, peak=1.0)
    figures = result.as_dict()
    figures["psnr_db"] = None if math.isinf(psnr) else psnr
    return figures, result


def parity_section(
    runner: str, expected: dict, actual: dict, spec: GraphSpec, precision: str, shape: list
) -> tuple[dict, list[str]]:
    """(the sidecar's "parity" section, one failure line per failed output)."""
    outputs, failures = {}, []
    for name, reference in expected.items():
        if actual[name].shape != reference.shape:
            raise ValueError(f"output {name!r}: artifact gave shape {actual[name].shape}, torch {reference.shape}")
        figures, result = output_parity(reference, actual[name], spec.tolerance(precision))
        outputs[name] = figures
        if not result.passed:
            failures.append(result.failure(f"output {name!r}"))
    section = {
        "runner": runner,
        "reference": REFERENCE,
        "frames": FRAMES,
        "shape": shape,
        "outputs": outputs,
        "passed": not failures,
    }
    return section, failures


def run_graph(path, feeds: dict[str, np.ndarray], flavour: str) -> dict[str, np.ndarray]:
    """Run the graph at `path` on `feeds`: ONNX Runtime (CPU) for "portable", the ONNX reference
    evaluator with our custom-node executors for "tensorrt". Returns output name -> array."""
    import onnx

    from vfi.kernels.onnx_lint import custom_op_types

    model = onnx.load(str(path))
    # A tensorrt-flavour graph without custom nodes is standard ONNX: ONNX Runtime runs it (the
    # reference evaluator reads GridSample modes by the opset-20 names only).
    if flavour == "portable" or not custom_op_types(model):
        import onnxruntime as ort

        session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
        names = [o.name for o in session.get_outputs()]
        return dict(zip(names, session.run(names, feeds)))
    from vfi.kernels.onnx_executors import reference_evaluator

    names = [o.name for o in model.graph.output]
    return dict(zip(names, reference_evaluator(model).run(None, feeds)))


def runner_name(flavour: str, path=None) -> str:
    """Which runtime `run_graph` uses for a graph (recorded in the sidecar)."""
    if flavour == "portable":
        return "onnxruntime-cpu"
    if path is not None:
        import onnx

        from vfi.kernels.onnx_lint import custom_op_types

        if not custom_op_types(onnx.load(str(path))):
            return "onnxruntime-cpu"
    return "onnx-reference-evaluator"


def validate_graph(
    path, reference_fn, spec: GraphSpec, flavour: str, precision: str, batch: int, height: int, width: int
) -> tuple[dict, list[str]]:
    """Parity of the graph at `path` against `reference_fn(feeds) -> {output: array}`.

    Returns (section, failures): the sidecar's "parity" section and one line per failed output.
    Does not raise on a failed parity; the caller decides what it means.
    """
    feeds = spec.rendered_inputs(batch, height, width)
    expected = reference_fn(feeds)
    actual = run_graph(path, feeds, flavour)
    return parity_section(runner_name(flavour, path), expected, actual, spec, precision, [batch, 3, height, width])


def torch_reference(wrapped_fp32):
    """A `reference_fn` running a float32 graph module (`vfi.models.graph_module`)."""
    import torch

    spec = wrapped_fp32.spec

    def run(feeds: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        args = [torch.from_numpy(value) for value in spec.ordered(feeds)]
        with torch.inference_mode():
            return {spec.output_name: wrapped_fp32(*args).numpy()}

    return run
