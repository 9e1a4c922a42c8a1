"""ONNX reference evaluator that runs graphs holding our custom nodes (no GPU, no TensorRT).

from vfi.kernels.onnx_executors import reference_evaluator
outputs = reference_evaluator("model.onnx").run(None, {"img0": a, "img1": b})
"""

from __future__ import annotations

from pathlib import Path


def _grid_sample_executor() -> type:
    """A CPU executor of the standard 2-D ``GridSample`` for the reference evaluator.

    onnx's own runs a Python loop per output pixel (minutes for RAFT's correlation lookup) and, in
    onnx 1.23, refuses the opset-16..19 mode names ("bilinear", "bicubic") that our graphs use at
    opset 19 (see `vfi.core.graph_spec.DEFAULT_OPSET`). ONNX's GridSample is defined after
    `torch.nn.functional.grid_sample` (same modes, padding modes, align_corners and coordinate
    normalisation), so this one calls it."""
    from onnx.reference.op_run import OpRun

    class GridSample(OpRun):
        op_domain = ""

        def _run(self, X, grid, mode=None, padding_mode=None, align_corners=None):
            import numpy as np
            import torch

            mode = {"linear": "bilinear", "cubic": "bicubic"}.get(mode or self.mode, mode or self.mode)
            padding = padding_mode or self.padding_mode
            corners = bool(align_corners if align_corners is not None else self.align_corners)
            if X.ndim != 4:
                raise NotImplementedError("this GridSample executor handles 2-D (4-D tensor) inputs only")
            out = torch.nn.functional.grid_sample(
                torch.from_numpy(np.ascontiguousarray(X)),
                torch.from_numpy(np.ascontiguousarray(grid)).to(torch.from_numpy(X[:0]).dtype),
                mode=mode,
                padding_mode=padding,
                align_corners=corners,
            )
            return (out.numpy(),)

    return GridSample


def custom_op_executors(op_types=None) -> list[type]:
    """The `OpRun` class of every registered op (or of those whose ONNX op_type is in `op_types`)."""
    from vfi.kernels.registry import OPS

    return [spec.facet("onnx_executor") for spec in OPS.values() if op_types is None or spec.onnx_op_type in op_types]


def reference_evaluator(model_path_or_proto, **kwargs):
    """`onnx.reference.ReferenceEvaluator` with the CPU executor of every custom op the graph uses
    (and a fast, opset-19-aware executor of the standard ``GridSample``).

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
    return ReferenceEvaluator(model, new_ops=[*custom_op_executors(used), _grid_sample_executor()], **kwargs)
