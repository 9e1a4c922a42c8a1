"""Engine-against-graph parity through Polygraphy's comparator, checked on CPU: ONNX Runtime on the
portable graph against our reference evaluator on the tensorrt-flavoured graph (the runner that
stands opposite `TrtRunner` when `vfi build` checks an engine)."""

from __future__ import annotations

import pytest

pytest.importorskip("polygraphy")

from vfi.core.graph_spec import GraphSpec  # noqa: E402
from vfi.export.onnx_artifact import ExportOptions  # noqa: E402
from vfi.export.polygraphy_parity import compare_runners, graph_runner  # noqa: E402


def test_two_runners_of_the_same_model_agree(tiny_model, export_cache):
    portable = export_cache("poly-portable", lambda: tiny_model("scalar"), ExportOptions(flavour="portable", shape=(16, 24)))
    plugin = export_cache("poly-tensorrt", lambda: tiny_model("scalar"), ExportOptions(flavour="tensorrt", shape=(16, 24)))
    spec = GraphSpec("scalar", pad_multiple=8)
    candidate, reference = graph_runner(portable.path), graph_runner(plugin.path)
    assert type(candidate).__name__ == "OnnxrtRunner" and reference.name == "onnx-reference-evaluator"
    section = compare_runners(candidate, reference, spec, "fp32", spec.rendered_inputs(1, 16, 24))
    assert section["passed"] and section["polygraphy_passed"] and not section["failures"]
    assert section["outputs"]["frame"]["max_abs"] < 1e-4


def test_a_different_model_fails_with_the_tolerance_that_would_pass(tiny_model, export_cache):
    ours = export_cache("poly-portable", lambda: tiny_model("scalar"), ExportOptions(flavour="portable", shape=(16, 24)))
    other = export_cache("poly-other", lambda: tiny_model("scalar", seed=1), ExportOptions(flavour="tensorrt", shape=(16, 24)))
    spec = GraphSpec("scalar", pad_multiple=8)
    section = compare_runners(graph_runner(ours.path), graph_runner(other.path), spec, "fp32", spec.rendered_inputs(1, 16, 24))
    assert not section["passed"] and not section["polygraphy_passed"]
    assert "would pass with atol=" in section["failures"][0]
