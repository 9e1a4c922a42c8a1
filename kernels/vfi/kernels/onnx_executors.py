"""ONNX reference evaluator that runs graphs holding our custom nodes (no GPU, no TensorRT).

from vfi.kernels.onnx_executors import reference_evaluator
outputs = reference_evaluator("model.onnx").run(None, {"img0": a, "img1": b})
"""

from __future__ import annotations

from pathlib import Path


def custom_op_executors(op_types=None) -> list[type]:
    """The `OpRun` class of every registered op (or of those whose ONNX op_type is in `op_types`)."""
    from vfi.kernels.registry import OPS

    return [spec.facet("onnx_executor") for spec in OPS.values() if op_types is None or spec.onnx_op_type in op_types]


def reference_evaluator(model_path_or_proto, **kwargs):
    """`onnx.reference.ReferenceEvaluator` with the CPU executor of every custom op the graph uses.

    Only the executors the graph needs are imported (one op's missing optional dependency does not
    block the others); a `vfi` node that no registered op claims raises `ExportError`.
    """
    import onnx
    from onnx.reference import ReferenceEvaluator

    from vfi.core.errors import ExportError
    from vfi.kernels.onnx_lint import custom_op_types
    from vfi.kernels.registry import OPS

    model = onnx.load(str(model_path_or_proto)) if isinstance(model_path_or_proto, (str, Path)) else model_path_or_proto
    used = custom_op_types(model)
    known = {spec.onnx_op_type for spec in OPS.values()}
    if used - known:
        raise ExportError(f"graph uses custom op types {sorted(used - known)} that no op in vfi.kernels.OPS implements")
    return ReferenceEvaluator(model, new_ops=custom_op_executors(used), **kwargs)
