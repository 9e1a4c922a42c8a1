"""ONNX lowerings of forward_splat, chosen by `vfi.kernels.export_flavour` during export.

* `lower_tensorrt`: one node `vfi::VfiForwardSplat` (the TensorRT plugin of `trt_plugin.py`)
  between standard ops. TensorRT's quickly deployable AOT plugins launch exactly one kernel and
  get no workspace, while an atomic splat needs zeroed memory before and a normalise pass after
  it. So the graph supplies both: a zero accumulator [N, C+1, H, W] fp32 (standard ops) is the
  node's fourth input, the node's output aliases it (the plugin atomically adds into it in
  place: numerators in channels 0..C-1, the summed weight in channel C), and standard
  Slice/Div/Where ops normalise afterwards. The node's inputs are (img, flow in img's dtype,
  fp32 metric, accumulator); for "soft" the metric arrives already shifted by its per-image
  maximum (standard ReduceMax), for "sum"/"avg" it is a 1-element placeholder. The only node
  attribute besides the parser's `plugin_namespace` / `plugin_version` is the string `mode`,
  which is also the plugin's only field (`PLUGIN_FIELDS`).
* `lower_portable`: standard ONNX only, the `scatter_add` composition of `reference.py`: Floor,
  the four neighbour indices and in-frame masks with Add/Less/And/Where, and
  `ScatterElements(reduction="add")` (opset >= 16; the toolkit exports at opset 19).
"""

from __future__ import annotations

DOMAIN = "vfi"
OP_TYPE = "VfiForwardSplat"
PLUGIN_NAMESPACE = "vfi"
PLUGIN_VERSION = "1"
# Node attributes that TensorRT hands to the plugin as fields (names identical on both sides).
PLUGIN_FIELDS: tuple[str, ...] = ("mode",)


def lower_tensorrt(img, flow, metric, mode: str):
    """Emit zero accumulator -> `vfi::VfiForwardSplat` (in place) -> normalise. Output: img's
    shape and dtype."""
    import torch

    from vfi.kernels.forward_splat.reference import kernel_metric, normalise

    n, c, h, w = img.shape
    flow = flow.to(img.dtype)
    kmetric = kernel_metric(flow, metric, mode)
    acc = torch.zeros((n, c + 1, h, w), dtype=torch.float32, device=img.device)
    attrs = {"mode": mode, "plugin_namespace": PLUGIN_NAMESPACE, "plugin_version": PLUGIN_VERSION}
    acc = torch.onnx.ops.symbolic(
        f"{DOMAIN}::{OP_TYPE}", (img, flow, kmetric, acc), attrs, dtype=torch.float32, shape=acc.shape, version=1
    )
    return normalise(acc, mode).to(img.dtype)


def lower_portable(img, flow, metric, mode: str):
    """Emit the scatter_add composition (ScatterElements with reduction="add")."""
    from vfi.kernels.forward_splat.reference import forward_splat_reference

    return forward_splat_reference(img, flow, metric, mode)
