"""Every registered model exports in both flavours and validates against torch on CPU.

Each family is exported with narrow widths (the graph's structure, ops and custom nodes are the
same as at full width; only channel counts shrink) so that the whole registry exports in about a
minute. A registered family without an entry in `NARROW` fails the test, so a new model cannot
skip this check.
"""

from __future__ import annotations

import onnx
import pytest
from narrow_models import NARROW_DBVFI, NARROW_RAFT

import vfi.models as vm
from vfi.export.onnx_artifact import ExportOptions, export_onnx

_NARROW_RIFE = {"block_widths": (8, 8, 8, 8), "context_width": 2}
NARROW = {
    "rife": _NARROW_RIFE,
    "rife-di": _NARROW_RIFE,
    "ifrnet": {"widths": [8, 8, 12, 12], "side_channels": 4},
    "cain": {"shuffle_scale": 4, "groups": 1, "blocks": 2},
    "cspa": {"width": 16, "extract_blocks": 1, "reconstruct_blocks": 1, "deformable_groups": 2, "upsample_width": 8},
    "ugsp": {"widths": [8, 12, 16, 20], "decoder_depth": 2, "finest_depth": 2, "uen_width": 8, "uen_depth": 1},
    # One refinement step: every step is the same subgraph, and the graph's size grows with them.
    "dbvfi": {**NARROW_DBVFI, "steps": 1, "alphas": (1.0,)},
}
CUSTOM_NODES = {"VfiBackwardWarp", "VfiDeformConv2d", "VfiSparseConv2d", "VfiForwardSplat"}
#: custom nodes a family's tensorrt-flavour graph must hold (its ops did not fall back to standard ones)
EXPECTED_NODES = {"dbvfi": {"VfiBackwardWarp", "VfiForwardSplat"}}


def _distinct_graphs(names: list[str]) -> list[str]:
    """`names` without the variants whose narrowed hyper-parameters repeat an earlier one's (dbvfi-8x
    narrowed is dbvfi narrowed: the variants differ only in the step count that NARROW sets)."""
    seen, out = set(), []
    for name in names:
        variant = vm.get_variant(name)
        key = (variant.family, repr(sorted({**variant.hparams, **NARROW.get(variant.family, {})}.items())))
        if key not in seen:
            seen.add(key)
            out.append(name)
    return out


def test_every_family_has_narrow_hyper_parameters():
    missing = {vm.get_variant(n).family for n in vm.names()} - set(NARROW)
    assert not missing, f"add narrow hyper-parameters for families {sorted(missing)} to this test"


@pytest.mark.slow
@pytest.mark.parametrize("flavour", ["tensorrt", "portable"])
@pytest.mark.parametrize("name", _distinct_graphs(vm.names()))
def test_registered_model_exports_and_validates(name, flavour, tmp_path):
    family = vm.get_variant(name).family
    assert family in NARROW, f"add narrow hyper-parameters for family {family!r} to this test"
    model = vm.create(name, **NARROW[family]).eval()
    multiple = model.pad_multiple
    shape = (2 * multiple, 3 * multiple) if multiple >= 16 else (32, 48)
    result = export_onnx(model, tmp_path / f"{name}.onnx", ExportOptions(flavour=flavour, shape=shape))
    parity = result.sidecar["parity"]
    assert parity, "the export was not validated"
    graph = onnx.load(str(tmp_path / f"{name}.onnx"))
    custom = {n.op_type for n in graph.graph.node if n.domain == "vfi"}
    if flavour == "portable":
        assert not custom
    else:
        assert custom <= CUSTOM_NODES
        assert EXPECTED_NODES.get(family, set()) <= custom


@pytest.mark.slow
@pytest.mark.parametrize("flavour", ["tensorrt", "portable"])
def test_flow_estimators_export_and_validate(flavour, tmp_path):
    """RAFT (DBVFI's flow network, a flow teacher) exports with a ``flow`` output and validates
    against torch on rendered frames, like the interpolators above."""
    from vfi.models.flow_estimators import FLOW_ESTIMATORS, create_flow_estimator

    narrow = {**NARROW_RAFT, "iters": 2}
    for name in FLOW_ESTIMATORS:
        model = create_flow_estimator(name, **narrow).eval()
        result = export_onnx(model, tmp_path / f"{name}.onnx", ExportOptions(flavour=flavour, shape=(64, 96)))
        assert result.sidecar["outputs"] == {"flow": [1, 2, 64, 96]}
        assert result.sidecar["parity"]["passed"] and result.sidecar["model_card"]["task"] == "flow"
