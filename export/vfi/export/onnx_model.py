"""The graph interface every exported model has, whatever its family.

Inputs (float32, NCHW, RGB in [0, 1]):
  * ``img0``, ``img1``: [N, 3, H, W];
  * ``timestep``: [N, 1, 1, 1] for timestep mode "scalar", [N, 1, H, W] for "map", absent for
    "fixed" (the model only predicts t = 0.5).
Output: ``frame`` float32 [N, 3, H, W].

The interface stays float32 at every precision: an fp16 export casts the images to fp16 inside the
graph, and casts the frame back, so runners, serving configs and the pipeline see one exchange
type (the casts cost a few per cent of one convolution). The timestep is handed to the model in
fp32; the model decides what to cast.

    wrapped = GraphInterface(model, precision="fp16")
    args = example_inputs(model.card, batch=1, height=64, width=64)
"""

from __future__ import annotations

from dataclasses import dataclass

IMAGE_INPUTS = ("img0", "img1")
TIMESTEP_INPUT = "timestep"
OUTPUT_NAME = "frame"
RGB_CHANNELS = 3
PRECISIONS = ("fp32", "fp16")


def input_names(timestep_mode: str) -> list[str]:
    """Graph input names for a model card's timestep mode."""
    return [*IMAGE_INPUTS] if timestep_mode == "fixed" else [*IMAGE_INPUTS, TIMESTEP_INPUT]


def timestep_shape(timestep_mode: str, batch, height, width) -> tuple | None:
    """Shape of the ``timestep`` input ([N,1,1,1] or [N,1,H,W]); None for "fixed" models."""
    if timestep_mode == "scalar":
        return (batch, 1, 1, 1)
    if timestep_mode == "map":
        return (batch, 1, height, width)
    return None


def io_shapes(timestep_mode: str, batch, height, width) -> dict[str, list]:
    """Name -> shape of every graph input and output (entries may be symbols such as "height")."""
    image = [batch, RGB_CHANNELS, height, width]
    shapes = {name: list(image) for name in IMAGE_INPUTS}
    t_shape = timestep_shape(timestep_mode, batch, height, width)
    if t_shape is not None:
        shapes[TIMESTEP_INPUT] = list(t_shape)
    shapes[OUTPUT_NAME] = list(image)
    return shapes


def _torch_module_class():
    import torch

    class _Wrapped(torch.nn.Module):
        """img0, img1[, timestep] -> frame, with the layout and casts described in the module doc."""

        def __init__(self, inner, timestep_mode: str, compute_dtype):
            super().__init__()
            self.inner = inner
            self.timestep_mode = timestep_mode
            self.compute_dtype = compute_dtype

        def forward(self, img0, img1, timestep=None):
            a = img0.to(self.compute_dtype)
            b = img1.to(self.compute_dtype)
            if self.timestep_mode == "fixed":
                out = self.inner(a, b)
            elif self.timestep_mode == "scalar":
                out = self.inner(a, b, timestep.reshape(-1))
            else:
                out = self.inner(a, b, timestep)
            return out.float()

    return _Wrapped


def GraphInterface(model, precision: str = "fp32"):
    """`model` (with ``.card``) wrapped so that its call signature is the graph interface.

    The wrapped module holds `model` converted to the precision's dtype on CPU in eval mode (the
    caller's module is converted in place, as `Module.to` does).
    """
    import torch

    if precision not in PRECISIONS:
        raise ValueError(f"precision must be one of {PRECISIONS}, got {precision!r}")
    dtype = torch.float16 if precision == "fp16" else torch.float32
    inner = model.to(device="cpu", dtype=dtype).eval()
    wrapped = _torch_module_class()(inner, model.card.timestep_mode, dtype).eval()
    wrapped.card = model.card
    return wrapped


def example_inputs(card, batch: int, height: int, width: int, t: float = 0.5) -> tuple:
    """Random example inputs (torch, float32) of the graph interface, in `input_names` order."""
    import torch

    generator = torch.Generator().manual_seed(0)
    img0 = torch.rand(batch, RGB_CHANNELS, height, width, generator=generator)
    img1 = torch.rand(batch, RGB_CHANNELS, height, width, generator=generator)
    t_shape = timestep_shape(card.timestep_mode, batch, height, width)
    if t_shape is None:
        return (img0, img1)
    return (img0, img1, torch.full(t_shape, t))


@dataclass(frozen=True)
class DynamicAxes:
    """Which dimensions of the graph are symbolic.

    Attributes:
        batch: the batch dimension N is symbolic ("batch").
        spatial: height and width are symbolic ("height", "width"), multiples of `multiple`.
        multiple: pad multiple of the model (pixels).
        max_size: largest height or width the symbol may take (pixels).
    """

    batch: bool = False
    spatial: bool = False
    multiple: int = 1
    max_size: int = 4096

    def torch_dynamic_shapes(self, timestep_mode: str) -> tuple:
        """`dynamic_shapes` for `torch.export` / the dynamo exporter, in `input_names` order."""
        import torch

        dims: dict[int, object] = {}
        if self.batch:
            dims[0] = torch.export.Dim("batch", min=1, max=256)
        if self.spatial:
            m = self.multiple
            top = max(1, self.max_size // m)
            if m > 1:
                dims[2] = m * torch.export.Dim("height_blocks", min=1, max=top)
                dims[3] = m * torch.export.Dim("width_blocks", min=1, max=top)
            else:
                dims[2] = torch.export.Dim("height", min=2, max=self.max_size)
                dims[3] = torch.export.Dim("width", min=2, max=self.max_size)
        image = dict(dims) or None
        shapes: list = [image, image]
        if timestep_mode == "scalar":
            shapes.append({0: dims[0]} if self.batch else None)
        elif timestep_mode == "map":
            shapes.append(image)
        return tuple(shapes)
