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
  middle frame ("fixed");
* context frames, for a model that sees k > 1 frames on each side of the interval (its card's
  ``context``, at most `MAX_CONTEXT`): I_-(k-1) .. I_-1 and I_2 .. I_k, [N, 3, H, W] each, after
  the inputs above, nearest first: ``img_m1`` (I_-1), ``img2`` (I_2), ``img_m2``, ``img3``, ...
  (`context_input_names`). A two-frame model (k = 1) has none.

Output: ``frame`` float32 [N, 3, H, W]; a flow estimator (task "flow", e.g. RAFT) has inputs
``img0``, ``img1`` and the output ``flow`` float32 [N, 2, H, W] (pixels, x then y, img0 -> img1).

(NumPy is imported by the methods that make arrays, so reading the spec stays light.)

The runner exchange format is (img0, img1, t[N], context); `GraphSpec.feeds` turns it into graph
inputs.

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
#: name of the one output of a flow estimator's graph, and its channels (x, y displacement)
FLOW_OUTPUT_NAME = "flow"
FLOW_CHANNELS = 2
RGB_CHANNELS = 3
#: What a model computes (a model card's ``task``): "interpolate" frames, or estimate "flow".
TASKS = ("interpolate", "flow")
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
#: most context frames on each side a graph may take (septuplets: I_-2 .. I_4 around I_0, I_1)
MAX_CONTEXT = 3


def context_offsets(context: int) -> list[int]:
    """Frame offsets, relative to I_0, of the context inputs of a model with `context` frames on
    each side, nearest first: -1, 2, -2, 3, ... (so the inputs of a smaller context are a prefix
    of a larger one's, and graph modules keep one positional signature)."""
    k = int(context)
    return [offset for j in range(1, k) for offset in (-j, j + 1)]


def context_input_names(context: int) -> list[str]:
    """Names of the context-frame inputs, in `context_offsets` order: ``img_m1`` (I_-1), ``img2``
    (I_2), ``img_m2`` (I_-2), ``img3`` (I_3), ... Empty for a two-frame model (k = 1).

        context_input_names(2)   # ["img_m1", "img2"]
        context_input_names(3)   # ["img_m1", "img2", "img_m2", "img3"]
    """
    return [f"img_m{-o}" if o < 0 else f"img{o}" for o in context_offsets(context)]


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
        context: frames on each side of the interval the model sees (from the card; 1 = a pair).
        parts: the roles of the graphs a model made of several graphs exports as a bundle, in the
            order they run (a diffusion model: encoder, denoiser, decoder); empty for one graph.
            The interface above is then the whole bundle's, as the runtime presents it.
        task: one of `TASKS` (from the card): "interpolate" (output ``frame``) or "flow" (output
            ``flow``, a flow estimator; no timestep, no context).
    """

    timestep_mode: str
    pad_multiple: int = 1
    default_opset: int = DEFAULT_OPSET
    tolerances: dict[str, Tolerance] = field(default_factory=lambda: dict(DEFAULT_TOLERANCES))
    context: int = 1
    task: str = "interpolate"
    parts: tuple[str, ...] = ()

    def __post_init__(self):
        if self.timestep_mode not in TIMESTEP_MODES:
            raise ValueError(f"timestep_mode must be one of {TIMESTEP_MODES}, got {self.timestep_mode!r}")
        if self.task not in TASKS:
            raise ValueError(f"task must be one of {TASKS}, got {self.task!r}")
        if isinstance(self.context, bool) or not isinstance(self.context, int) or not 1 <= self.context <= MAX_CONTEXT:
            raise ValueError(f"context must be an integer in 1..{MAX_CONTEXT} (frames on each side), got {self.context!r}")
        if self.task == "flow" and (self.timestep_mode != "fixed" or self.context != 1):
            raise ValueError("a flow estimator's graph has no timestep and no context frames (timestep_mode 'fixed', context 1)")

    @property
    def has_timestep(self) -> bool:
        """Whether the graph has a ``timestep`` input."""
        return self.timestep_mode != "fixed"

    @property
    def context_names(self) -> list[str]:
        """Names of the context-frame inputs (empty for a two-frame model)."""
        return context_input_names(self.context)

    @property
    def image_names(self) -> list[str]:
        """Names of every frame input: img0, img1, then the context frames."""
        return [*IMAGE_INPUTS, *self.context_names]

    @property
    def input_names(self) -> list[str]:
        """Graph input names, in call order: img0, img1[, timestep][, context frames]."""
        timestep = [TIMESTEP_INPUT] if self.has_timestep else []
        return [*IMAGE_INPUTS, *timestep, *self.context_names]

    @property
    def output_name(self) -> str:
        """The one output: ``frame``, or ``flow`` for a flow estimator."""
        return FLOW_OUTPUT_NAME if self.task == "flow" else OUTPUT_NAME

    @property
    def output_channels(self) -> int:
        return FLOW_CHANNELS if self.task == "flow" else RGB_CHANNELS

    @property
    def output_names(self) -> list[str]:
        return [self.output_name]

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
        for name in self.context_names:
            shapes[name] = list(image)
        shapes[self.output_name] = [batch, self.output_channels, height, width]
        return {name: shapes[name] for name in [*self.input_names, self.output_name]}

    def input_shapes(self, batch, height, width) -> dict[str, list]:
        """Name -> shape of the inputs only."""
        return {n: s for n, s in self.shapes(batch, height, width).items() if n in self.input_names}

    def dynamic_axes(self, batch: bool = True, spatial: bool = True) -> dict[str, dict[int, str]]:
        """Name -> {axis: symbol} of the dimensions that are symbolic in a dynamic graph."""
        symbols = self.shapes(BATCH if batch else 1, HEIGHT if spatial else 1, WIDTH if spatial else 1)
        return {name: {axis: dim for axis, dim in enumerate(shape) if isinstance(dim, str)} for name, shape in symbols.items()}

    def feeds(self, img0, img1, t, context=()) -> dict:
        """Graph inputs (NumPy) from the runner exchange format (img0, img1 [N,3,H,W], t [N],
        context: the context frames [N,3,H,W] in `context_names` order)."""
        import numpy as np

        if len(context) != len(self.context_names):
            raise ValueError(f"the graph takes {len(self.context_names)} context frames {self.context_names}, got {len(context)}")
        feeds = {IMAGE_INPUTS[0]: img0, IMAGE_INPUTS[1]: img1}
        if self.has_timestep:
            n, _, h, w = img0.shape
            column = np.asarray(t, np.float32).reshape(n, 1, 1, 1)
            feeds[TIMESTEP_INPUT] = np.array(np.broadcast_to(column, self.timestep_shape(n, h, w)))  # a writable copy
        feeds.update(zip(self.context_names, context))
        return {name: feeds[name] for name in self.input_names}

    def example_inputs(self, batch: int, height: int, width: int, t: float = 0.5, seed: int = 0) -> dict:
        """Random inputs (NumPy, seeded, float32) of the interface, for tracing an export."""
        import numpy as np

        rng = np.random.default_rng(seed)
        shapes = self.input_shapes(batch, height, width)
        feeds = {name: rng.random(shapes[name], dtype=np.float32) for name in self.image_names}
        if self.has_timestep:
            feeds[TIMESTEP_INPUT] = np.full(shapes[TIMESTEP_INPUT], t, np.float32)
        return {name: feeds[name] for name in self.input_names}

    def rendered_inputs(self, batch: int, height: int, width: int, seed: int = 0) -> dict:
        """Inputs from synthetic clips, for parity checks: sample i is frames 0 and 1 (and the
        context frames at their offsets, -1 and 2, ...) of scene seed+i
        (`vfi.core.synthetic_scene.make_scene`), so a flow network sees real-looking motion
        rather than noise; t is spread over [0.25, 0.75] across the batch (0.5 for one sample)."""
        import numpy as np

        from vfi.core.frames import to_model_input
        from vfi.core.synthetic_scene import make_scene

        offsets = [0, 1, *context_offsets(self.context)]
        windows = []
        for i in range(batch):
            scene = make_scene(height=height, width=width, seed=seed + i)
            windows.append([to_model_input(scene.render(float(offset))) for offset in offsets])
        img0, img1, *context = (np.concatenate([w[j] for w in windows]) for j in range(len(offsets)))
        t = np.linspace(0.25, 0.75, batch, dtype=np.float32) if batch > 1 else np.full([1], 0.5, np.float32)
        return self.feeds(img0, img1, t, tuple(context))

    def ordered(self, feeds: dict) -> tuple:
        """The values of `feeds` in `input_names` order (positional arguments of a graph module)."""
        return tuple(feeds[name] for name in self.input_names)

    def tolerance(self, precision: str) -> Tolerance:
        """Tolerance of the output frame against torch float32 at `precision`."""
        return self.tolerances[precision]
