"""Every registered model exports in both flavours and validates against torch on CPU.

Each family is exported with narrow widths (the graph's structure, ops and custom nodes are the
same as at full width; only channel counts shrink) so that the whole registry exports in about a
minute. A registered family without an entry in `NARROW` fails the test, so a new model cannot
skip this check.
"""

from __future__ import annotations

import onnx
import pytest

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
}
CUSTOM_NODES = {"VfiBackwardWarp", "VfiDeformConv2d", "VfiSparseConv2d"}


@pytest.mark.slow
@pytest.mark.parametrize("flavour", ["tensorrt", "portable"])
@pytest.mark.parametrize("name", vm.names())
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
