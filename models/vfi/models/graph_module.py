"""A model wrapped so that its call signature is its graph interface (`vfi.core.graph_spec`).

Every graph made from a model (ONNX export, the ONNX Runtime backend's on-the-fly graphs,
AOTInductor packages) traces this wrapper, so the interface is the same whoever exports:

    spec = vfi.models.graph_spec(model.card)
    wrapped = graph_module(model, "fp16")          # img0, img1[, timestep][, context] -> frame
    args = example_args(spec, batch=1, height=64, width=64)

The boundary stays float32 at every precision, so runners, serving configs and the pipeline see one
exchange type. A reduced precision runs the convolutions reduced and everything else in fp32
(`vfi.models.precision_islands`): flows, sampling positions and interpolation weights never leave
fp32.
"""

from __future__ import annotations

from vfi.core.graph_spec import MAX_DYNAMIC_BATCH, MAX_DYNAMIC_SIZE, GraphSpec
from vfi.core.precision import check_precision


def _module_class(spec: GraphSpec):
    import torch

    class GraphModule(torch.nn.Module):
        """img0, img1[, timestep][, context frames] -> frame (or flow), with the layout and casts
        described in the module doc. The parameters are named as the graph inputs (the exporters
        name the inputs from the call), context frames nearest first, up to `MAX_CONTEXT`."""

        def __init__(self, inner, spec: GraphSpec):
            super().__init__()
            self.inner = inner
            self.spec = spec

        def forward(self, img0, img1, timestep=None, img_m1=None, img2=None, img_m2=None, img3=None):
            return self.run(img0, img1, timestep, (img_m1, img2, img_m2, img3))

        def run(self, img0, img1, timestep, context):
            context = tuple(context[: len(self.spec.context_names)])
            if self.spec.task == "flow" or (not self.spec.has_timestep and not context):
                out = self.inner(img0, img1)
            elif self.spec.timestep_mode == "scalar":
                # [N,1,1,1] on the boundary (broadcastable, the layout engines expect); models take [N].
                out = self.inner(img0, img1, timestep.reshape(-1), *context)
            else:
                out = self.inner(img0, img1, timestep, *context)
            return out.float()

    class FixedGraphModule(GraphModule):
        """The same for a model without a timestep input, whose graph has context frames: the
        context frames follow img0, img1 directly."""

        def forward(self, img0, img1, img_m1=None, img2=None, img_m2=None, img3=None):
            return self.run(img0, img1, None, (img_m1, img2, img_m2, img3))

    return GraphModule if spec.has_timestep else FixedGraphModule


def graph_module(model, precision: str = "fp32"):
    """`model` (with ``.card``) wrapped in its graph interface, in eval mode on CPU.

    At a reduced precision the model's convolutions are lowered in place
    (`vfi.models.precision_islands.low_precision_convs`); ``.card`` and ``.spec`` are set on the
    wrapper.
    """
    import torch

    from vfi.models.precision_islands import low_precision_convs
    from vfi.models.registry import graph_spec

    dtype = getattr(torch, check_precision(precision).torch_dtype)
    spec = graph_spec(model.card)
    inner = model.to(device="cpu", dtype=torch.float32).eval()
    low_precision_convs(inner, dtype)
    wrapped = _module_class(spec)(inner, spec).eval()
    wrapped.card = model.card
    return wrapped


def example_args(spec: GraphSpec, batch: int, height: int, width: int, t: float = 0.5) -> tuple:
    """Example inputs (torch float32, seeded) of the interface, in `spec.input_names` order."""
    import torch

    feeds = spec.example_inputs(batch, height, width, t=t)
    return tuple(torch.from_numpy(value) for value in spec.ordered(feeds))


def torch_dynamic_shapes(spec: GraphSpec, batch: bool = True, spatial: bool = True, max_size: int = MAX_DYNAMIC_SIZE) -> tuple:
    """`dynamic_shapes` for `torch.export` / the dynamo exporter, in `spec.input_names` order.

    Height and width are multiples of the pad multiple (``m * Dim``), so the exporter can prove the
    model's pyramid divisions exact; the batch runs 1..`MAX_DYNAMIC_BATCH`.
    """
    import torch

    dims: dict[str, object] = {}
    if batch:
        dims["batch"] = torch.export.Dim("batch", min=1, max=MAX_DYNAMIC_BATCH)
    if spatial:
        m = spec.pad_multiple
        top = max(1, max_size // m)
        if m > 1:
            dims["height"] = m * torch.export.Dim("height_blocks", min=1, max=top)
            dims["width"] = m * torch.export.Dim("width_blocks", min=1, max=top)
        else:
            dims["height"] = torch.export.Dim("height", min=2, max=max_size)
            dims["width"] = torch.export.Dim("width", min=2, max=max_size)
    axes = spec.dynamic_axes(batch=batch, spatial=spatial)
    shapes = []
    for name in spec.input_names:
        entry = {axis: dims[symbol] for axis, symbol in axes[name].items()}
        shapes.append(entry or None)
    return tuple(shapes)
