"""vfi.benchmarks.openvino_int8: the quantized graph quantizes convolutions only (coordinate ops
stay fp32), and the table compares it against OpenVINO fp32. Needs NNCF (the `int8-experiment`
extra), which the toolkit does not depend on."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("nncf")


def test_only_convolutions_are_quantized_and_output_is_close(rife_weights):
    from vfi.benchmarks.openvino_int8 import Int8OpenVINORunner
    from vfi.core.graph_spec import GraphSpec
    from vfi.core.openvino import LOW_PRECISION_OPS
    from vfi.runtime.backends import create_runner

    feeds = GraphSpec("scalar").rendered_inputs(1, 64, 128, seed=3)
    a, b, t = feeds["img0"], feeds["img1"], feeds["timestep"].reshape(-1)
    with Int8OpenVINORunner("rife-4.0-fast", calibration=4, threads=1) as runner:
        runner.load()
        runner.prepare(64, 128)
        quantized, _ = runner._model_for(64, 128)
        out = runner.infer(a, b, t)
    consumers = set()
    for op in quantized.get_ordered_ops():
        if op.get_type_name() == "FakeQuantize":
            for target in op.output(0).get_target_inputs():
                consumers.add(target.get_node().get_type_name())
    assert consumers and consumers <= set(LOW_PRECISION_OPS) | {"Convert"}, consumers
    with create_runner("openvino", "rife-4.0-fast", precision="fp32", threads=1) as reference:
        expected = reference.infer(a, b, t)
    assert np.abs(out - expected).mean() < 0.02


def test_table_rows(rife_weights, capsys):
    from vfi.benchmarks import openvino_int8

    openvino_int8.main(
        ["--models", "rife-4.0-fast", "--size", "64x64", "--runs", "1", "--warmup", "0", "--calibration", "2", "--threads", "1"]
    )
    table = capsys.readouterr().out.strip().splitlines()[-3:]
    engines = [line.split("|")[2].strip() for line in table]
    assert engines == ["OpenVINO fp32", "OpenVINO bf16 (islands)", "OpenVINO int8 (NNCF, islands fp32)"] or (
        "skipped" in table[1]
    )
    assert "| 1.00x |" in table[0]
