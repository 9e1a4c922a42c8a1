"""Parity of two runners of the same graph interface through Polygraphy's comparator.

Polygraphy (NVIDIA's TensorRT tools) runs each runner on the same inputs and compares their
outputs; the tolerance is the family's (`GraphSpec.tolerance`) for the candidate's precision, on
the maximum absolute error, and the mean absolute error is checked against it too
(`vfi.core.tolerance`). `vfi build` uses it to check a TensorRT engine (Polygraphy's `TrtRunner`)
against the ONNX graph it was built from; a graph with our custom nodes runs in the ONNX reference
evaluator with our CPU executors, wrapped here as a Polygraphy runner, so no TensorRT is needed on
the reference side.

    section = compare_runners(engine_runner, graph_runner("m.onnx"), spec, "fp16", feeds)
"""

from __future__ import annotations

from pathlib import Path

from vfi.core.graph_spec import GraphSpec


def _base_runner():
    from polygraphy.backend.base import BaseRunner

    return BaseRunner


def reference_evaluator_runner(onnx_path, name: str = "onnx-reference-evaluator"):
    """A Polygraphy runner executing `onnx_path` with `onnx.reference` and our custom-node executors."""
    from polygraphy.common import TensorMetadata

    class ReferenceEvaluatorRunner(_base_runner()):
        def __init__(self):
            super().__init__(name=name)
            self.path = Path(onnx_path)
            self._evaluator = None
            self._model = None

        def activate_impl(self):
            import onnx

            from vfi.kernels.onnx_executors import reference_evaluator

            self._model = onnx.load(str(self.path))
            self._evaluator = reference_evaluator(self._model)

        def get_input_metadata_impl(self):
            import numpy as np
            from onnx import helper

            metadata = TensorMetadata()
            for value in self._model.graph.input:
                dims = [d.dim_value if d.HasField("dim_value") else d.dim_param for d in value.type.tensor_type.shape.dim]
                metadata.add(value.name, np.dtype(helper.tensor_dtype_to_np_dtype(value.type.tensor_type.elem_type)), dims)
            return metadata

        def infer_impl(self, feed_dict):
            import time
            from collections import OrderedDict

            names = [o.name for o in self._model.graph.output]
            start = time.perf_counter()
            outputs = self._evaluator.run(None, dict(feed_dict))
            self.inference_time = time.perf_counter() - start  # Polygraphy sums it over runners
            return OrderedDict(zip(names, outputs))

        def deactivate_impl(self):
            self._evaluator = self._model = None

    return ReferenceEvaluatorRunner()


def graph_runner(onnx_path):
    """The Polygraphy runner of an ONNX graph: ONNX Runtime (CPU) when it holds only standard ops,
    else our reference evaluator."""
    import onnx

    from vfi.kernels.onnx_lint import custom_op_types

    if custom_op_types(onnx.load(str(onnx_path))):
        return reference_evaluator_runner(onnx_path)
    from polygraphy.backend.common import BytesFromPath
    from polygraphy.backend.onnxrt import OnnxrtRunner, SessionFromOnnx

    return OnnxrtRunner(
        SessionFromOnnx(BytesFromPath(str(onnx_path)), providers=["CPUExecutionProvider"]), name="onnxruntime-cpu"
    )


def compare_runners(candidate, reference, spec: GraphSpec, precision: str, feeds: dict) -> dict:
    """Run both runners on `feeds` with Polygraphy's `Comparator` and compare every output.

    Returns the parity section recorded in a sidecar: the runners, Polygraphy's verdict on the
    maximum absolute error, and our figures (max / mean absolute error, passed) per output.
    """
    from polygraphy.comparator import Comparator, CompareFunc

    from vfi.core.tolerance import compare

    tolerance = spec.tolerance(precision)
    results = Comparator.run([candidate, reference], data_loader=[feeds])
    compare_func = CompareFunc.simple(atol=tolerance.atol, rtol=max(tolerance.rtol, 0.0), check_error_stat="max")
    verdict = Comparator.compare_accuracy(results, compare_func=compare_func)
    polygraphy_passed = bool(verdict)
    (candidate_name, candidate_outputs), (reference_name, reference_outputs) = [
        (name, outputs[0]) for name, outputs in results.items()
    ]
    outputs, failures = {}, []
    for name in spec.output_names:
        result = compare(candidate_outputs[name], reference_outputs[name], tolerance)
        outputs[name] = result.as_dict()
        if not result.passed:
            failures.append(result.failure(f"output {name!r}"))
    return {
        "candidate": candidate_name,
        "reference": reference_name,
        "comparator": "polygraphy Comparator.compare_accuracy (CompareFunc.simple, max abs error)",
        "polygraphy_passed": polygraphy_passed,
        "outputs": outputs,
        "failures": failures,
        "passed": polygraphy_passed and not failures,
    }
