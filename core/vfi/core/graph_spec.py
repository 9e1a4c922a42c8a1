"""The graph interface of a model family, declared once (as optimum declares per-family ONNX
configs): input names and forms, output, symbolic axes, default opset, validation tolerances and
example inputs.

Every graph the toolkit makes or runs has this interface, whatever its family and backend: ONNX
export and its validation, the ONNX Runtime backend's on-the-fly graphs, AOTInductor packages,
TensorRT engines and their profiles, and the serving repository all read it from here.

Inputs (float32, NCHW, RGB in [0, 1]; float32 at every precision, so runners, serving configs and
the pipeline see one exchange type):

* ``img0``, ``img1``: [N, 3, H, W];
* ``timestep``: [N, 1, 1, 1] when the family takes a scalar t ("scalar" timestep mode), a
  per-pixel map [N, 1, H, W] ("map", distance indexing), absent when the model only predicts the
  middle frame ("fixed").

Output: ``frame`` float32 [N, 3, H, W].

(NumPy is imported by the methods that make arrays, so reading the spec stays light.)

The runner exchange format is (img0, img1, t[N]); `GraphSpec.feeds` turns it into graph inputs.

    spec = GraphSpec(timestep_mode="scalar", pad_multiple=64)
    spec.input_names                 # ["img0", "img1", "timestep"]
    spec.shapes("batch", "height", "width")["timestep"]   # ["batch", 1, 1, 1]
    feeds = spec.feeds(img0, img1, t)
"""

from __future__ import annotations

from dataclasses import dataclass, field

from vfi.core.tolerance import Tolerance

IMAGE_INPUTS = ("img0", "img1")
TIMESTEP_INPUT = "timestep"
#: name of the one output of every interpolation graph
OUTPUT_NAME = "frame"
RGB_CHANNELS = 3
#: symbolic dimension names on a graph boundary
BATCH, HEIGHT, WIDTH = "batch", "height", "width"

#: How a model consumes the timestep (a model card's ``timestep_mode``), and the graph input it
#: gets: "scalar": any t in [0, 1], graph input [N,1,1,1]; "map": a per-pixel [N,1,H,W] distance
#: map; "fixed": the model always predicts t = 0.5 and its graph has no timestep input.
TIMESTEP_MODES = ("scalar", "map", "fixed")

#: 19: the newest opset whose GridSample keeps mode "bilinear" (TensorRT's parser reads opset-20
#: "linear" as nearest) and the first with DeformConv, so every family exports in both flavours.
DEFAULT_OPSET = 19
#: largest batch and frame side (pixels) a graph with symbolic dimensions declares
MAX_DYNAMIC_BATCH = 256
MAX_DYNAMIC_SIZE = 4096

#: Graph (or package, or engine) vs torch float32 on the rendered validation frames, per precision.
#: Measured on pretrained RIFE 4.0 (fast and full) at 64x64 to 128x128, ORT CPU and the reference
#: evaluator: fp32 max 2.5e-6, mean 1.3e-7 (reordered sums); fp16 max 1e-3, mean 1.7e-4 (every
#: activation rounded to 11 bits). The bounds leave ~40x (fp32) and ~20x (fp16) headroom for
#: larger frames and faster motion, where a flow error moves whole edges. bf16 (convolutions in
#: bf16, coordinates fp32; OpenVINO and torch on a Xeon with AMX-BF16, RIFE 4.0 fast): max 0.028,
#: mean 3e-4 at 256x448, max 0.082, mean 3e-4 at 768x1280 (the max is a few edge pixels whose flow
#: moved); the bounds leave ~2x (max) and ~7x (mean).
DEFAULT_TOLERANCES: dict[str, Tolerance] = {
    "fp32": Tolerance(atol=1e-4, mean_atol=5e-6),
    "fp16": Tolerance(atol=2e-2, mean_atol=3e-3),
    "bf16": Tolerance(atol=1.5e-1, mean_atol=2e-3),
}


@dataclass(frozen=True)
class GraphSpec:
    """The graph interface of one model (family defaults plus the card's timestep mode and pad).

    Attributes:
        timestep_mode: one of `TIMESTEP_MODES` (from the model card).
        pad_multiple: frame height and width are multiples of this (pixels).
        default_opset: default-domain ONNX opset of the family's exports.
        tolerances: precision -> `Tolerance` of the output against torch float32.
    """

    timestep_mode: str
    pad_multiple: int = 1
    default_opset: int = DEFAULT_OPSET
    tolerances: dict[str, Tolerance] = field(default_factory=lambda: dict(DEFAULT_TOLERANCES))

    def __post_init__(self):
        if self.timestep_mode not in TIMESTEP_MODES:
            raise ValueError(f"timestep_mode must be one of {TIMESTEP_MODES}, got {self.timestep_mode!r}")

    @property
    def has_timestep(self) -> bool:
        """Whether the graph has a ``timestep`` input."""
        return self.timestep_mode != "fixed"

    @property
    def input_names(self) -> list[str]:
        """Graph input names, in call order."""
        return [*IMAGE_INPUTS, TIMESTEP_INPUT] if self.has_timestep else [*IMAGE_INPUTS]

    @property
    def output_names(self) -> list[str]:
        return [OUTPUT_NAME]

    def timestep_shape(self, batch, height, width) -> list | None:
        """Shape of the ``timestep`` input ([N,1,1,1] or [N,1,H,W]); None when there is none."""
        if self.timestep_mode == "scalar":
            return [batch, 1, 1, 1]
        if self.timestep_mode == "map":
            return [batch, 1, height, width]
        return None

    def shapes(self, batch, height, width) -> dict[str, list]:
        """Name -> shape of every input and the output; entries may be symbols ("height")."""
        image = [batch, RGB_CHANNELS, height, width]
        shapes = {name: list(image) for name in IMAGE_INPUTS}
        if self.has_timestep:
            shapes[TIMESTEP_INPUT] = self.timestep_shape(batch, height, width)
        shapes[OUTPUT_NAME] = list(image)
        return shapes

    def input_shapes(self, batch, height, width) -> dict[str, list]:
        """Name -> shape of the inputs only."""
        return {n: s for n, s in self.shapes(batch, height, width).items() if n in self.input_names}

    def dynamic_axes(self, batch: bool = True, spatial: bool = True) -> dict[str, dict[int, str]]:
        """Name -> {axis: symbol} of the dimensions that are symbolic in a dynamic graph."""
        symbols = self.shapes(BATCH if batch else 1, HEIGHT if spatial else 1, WIDTH if spatial else 1)
        return {name: {axis: dim for axis, dim in enumerate(shape) if isinstance(dim, str)} for name, shape in symbols.items()}

    def feeds(self, img0, img1, t) -> dict:
        """Graph inputs (NumPy) from the runner exchange format (img0, img1 [N,3,H,W], t [N])."""
        import numpy as np

        feeds = {IMAGE_INPUTS[0]: img0, IMAGE_INPUTS[1]: img1}
        if self.has_timestep:
            n, _, h, w = img0.shape
            column = np.asarray(t, np.float32).reshape(n, 1, 1, 1)
            feeds[TIMESTEP_INPUT] = np.array(np.broadcast_to(column, self.timestep_shape(n, h, w)))  # a writable copy
        return feeds

    def example_inputs(self, batch: int, height: int, width: int, t: float = 0.5, seed: int = 0) -> dict:
        """Random inputs (NumPy, seeded, float32) of the interface, for tracing an export."""
        import numpy as np

        rng = np.random.default_rng(seed)
        shapes = self.input_shapes(batch, height, width)
        feeds = {name: rng.random(shapes[name], dtype=np.float32) for name in IMAGE_INPUTS}
        if self.has_timestep:
            feeds[TIMESTEP_INPUT] = np.full(shapes[TIMESTEP_INPUT], t, np.float32)
        return feeds

    def rendered_inputs(self, batch: int, height: int, width: int, seed: int = 0) -> dict:
        """Inputs from synthetic clips, for parity checks: sample i is frames 0 and 1 of scene
        seed+i (`vfi.core.synthetic_scene.make_scene`), so a flow network sees real-looking motion
        rather than noise; t is spread over [0.25, 0.75] across the batch (0.5 for one sample)."""
        import numpy as np

        from vfi.core.frames import to_model_input
        from vfi.core.synthetic_scene import make_scene

        pairs = []
        for i in range(batch):
            scene = make_scene(height=height, width=width, seed=seed + i)
            pairs.append((to_model_input(scene.render(0.0)), to_model_input(scene.render(1.0))))
        img0 = np.concatenate([p[0] for p in pairs])
        img1 = np.concatenate([p[1] for p in pairs])
        t = np.linspace(0.25, 0.75, batch, dtype=np.float32) if batch > 1 else np.full([1], 0.5, np.float32)
        return self.feeds(img0, img1, t)

    def ordered(self, feeds: dict) -> tuple:
        """The values of `feeds` in `input_names` order (positional arguments of a graph module)."""
        return tuple(feeds[name] for name in self.input_names)

    def tolerance(self, precision: str) -> Tolerance:
        """Tolerance of the output frame against torch float32 at `precision`."""
        return self.tolerances[precision]
