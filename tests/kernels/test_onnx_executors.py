"""The reference evaluator's executors of standard ops: GridSample (opset-19 names) against ONNX Runtime."""

from __future__ import annotations

import numpy as np
import pytest


@pytest.mark.parametrize(
    ("mode", "padding_mode", "align_corners"),
    [("bilinear", "zeros", 1), ("bilinear", "border", 0), ("nearest", "zeros", 0), ("bicubic", "reflection", 1)],
)
def test_grid_sample_matches_onnxruntime(mode, padding_mode, align_corners):
    import onnxruntime as ort
    from onnx import TensorProto, helper

    from vfi.kernels.onnx_executors import reference_evaluator

    node = helper.make_node("GridSample", ["x", "g"], ["y"], mode=mode, padding_mode=padding_mode, align_corners=align_corners)
    graph = helper.make_graph(
        [node],
        "grid_sample",
        [
            helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 3, 5, 7]),
            helper.make_tensor_value_info("g", TensorProto.FLOAT, [2, 4, 6, 2]),
        ],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 19)])
    rng = np.random.default_rng(0)
    feeds = {"x": rng.random((2, 3, 5, 7), dtype=np.float32), "g": rng.uniform(-1.2, 1.2, (2, 4, 6, 2)).astype(np.float32)}
    ours = reference_evaluator(model).run(None, feeds)[0]
    expected = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"]).run(None, feeds)[0]
    assert ours.shape == (2, 3, 4, 6)
    np.testing.assert_allclose(ours, expected, atol=1e-5)
