"""Parity of an exported graph against the torch model it came from, on rendered frames.

Frames come from `vfi.train.synthetic_motion` (textured shapes moving over a panning background),
so the flow estimator sees real-looking motion rather than noise. The reference is the torch
model in float32 eager mode; the graph runs in ONNX Runtime (portable flavour) or in the ONNX
reference evaluator with the CPU executors of our custom nodes (tensorrt flavour).

Tolerances are data: per output and per precision, on the max and the mean absolute error
(frames in [0, 1]). A failure names the statistic, the observed value and the tolerance that
would have passed.

    report = validate_graph("m.onnx", reference_fn, card, flavour="portable", precision="fp32",
                            batch=1, height=64, width=64)
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np


@dataclass(frozen=True)
class Tolerance:
    """Largest accepted max and mean absolute error of one output (values in [0, 1])."""

    max_abs: float
    mean_abs: float


#: precision -> output name -> tolerance, graph vs torch float32.
#: Measured on pretrained RIFE HDv3 (fast and full) at 64x64 to 128x128, ORT CPU and the reference
#: evaluator: fp32 max 2.5e-6, mean 1.3e-7 (reordered sums); fp16 max 1e-3, mean 1.7e-4 (every
#: activation rounded to 11 bits). The bounds leave ~40x (fp32) and ~20x (fp16) headroom for
#: larger frames and faster motion, where a flow error moves whole edges.
TOLERANCES: dict[str, dict[str, Tolerance]] = {
    "fp32": {"frame": Tolerance(max_abs=1e-4, mean_abs=5e-6)},
    "fp16": {"frame": Tolerance(max_abs=2e-2, mean_abs=3e-3)},
}


@dataclass
class Parity:
    """Graph vs torch on one output."""

    output: str
    max_abs: float
    mean_abs: float
    psnr_db: float
    tolerance: Tolerance
    passed: bool

    def failure(self) -> str:
        """One line saying which statistic failed and what tolerance would have passed."""
        parts = []
        if self.max_abs > self.tolerance.max_abs:
            parts.append(f"max abs error {self.max_abs:.3g} > {self.tolerance.max_abs:g} (would pass at {self.max_abs:.3g})")
        if self.mean_abs > self.tolerance.mean_abs:
            parts.append(f"mean abs error {self.mean_abs:.3g} > {self.tolerance.mean_abs:g} (would pass at {self.mean_abs:.3g})")
        return f"output {self.output!r}: " + ", ".join(parts)

    def as_dict(self) -> dict:
        data = asdict(self)
        data["psnr_db"] = None if math.isinf(self.psnr_db) else self.psnr_db
        return data


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    """PSNR in dB between two arrays with values in [0, 1] (inf when identical)."""
    mse = float(np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2))
    return math.inf if mse == 0 else 10.0 * math.log10(1.0 / mse)


def compare(output: str, expected: np.ndarray, actual: np.ndarray, precision: str) -> Parity:
    """Parity figures of `actual` against `expected` under the tolerance for `precision`."""
    if expected.shape != actual.shape:
        raise ValueError(f"output {output!r}: graph gave shape {actual.shape}, torch {expected.shape}")
    diff = np.abs(expected.astype(np.float64) - actual.astype(np.float64))
    tolerance = TOLERANCES[precision][output]
    max_abs, mean_abs = float(diff.max()), float(diff.mean())
    passed = bool(np.isfinite(actual).all()) and max_abs <= tolerance.max_abs and mean_abs <= tolerance.mean_abs
    return Parity(output, max_abs, mean_abs, psnr(expected, actual), tolerance, passed)


def rendered_inputs(timestep_mode: str, batch: int, height: int, width: int, seed: int = 0) -> dict[str, np.ndarray]:
    """Graph feeds from synthetic clips: sample i is frames 0 and 1 of scene seed+i, with timestep
    spread over (0, 1) for "scalar" / "map" models (0.5 for "fixed" ones, which have no input)."""
    from vfi.export.onnx_model import timestep_shape
    from vfi.train.synthetic_motion import make_scene

    img0, img1 = [], []
    for i in range(batch):
        scene = make_scene(height=height, width=width, seed=seed + i)
        img0.append(scene.render(0.0))
        img1.append(scene.render(1.0))

    def nchw(frames):
        return np.ascontiguousarray(np.stack(frames).transpose(0, 3, 1, 2), dtype=np.float32) / np.float32(255.0)

    feeds = {"img0": nchw(img0), "img1": nchw(img1)}
    shape = timestep_shape(timestep_mode, batch, height, width)
    if shape is not None:
        t = np.linspace(0.25, 0.75, batch, dtype=np.float32) if batch > 1 else np.full([1], 0.5, np.float32)
        feeds["timestep"] = np.array(np.broadcast_to(t.reshape(batch, 1, 1, 1), shape), dtype=np.float32)
    return feeds


def run_graph(path, feeds: dict[str, np.ndarray], flavour: str) -> dict[str, np.ndarray]:
    """Run the graph at `path` on `feeds`: ONNX Runtime (CPU) for "portable", the ONNX reference
    evaluator with our custom-node executors for "tensorrt". Returns output name -> array."""
    import onnx

    from vfi.kernels.onnx_executors import custom_op_types

    model = onnx.load(str(path))
    # A tensorrt-flavour graph without custom nodes is standard ONNX: ONNX Runtime runs it (the
    # reference evaluator reads GridSample modes by the opset-20 names only).
    if flavour == "portable" or not custom_op_types(model):
        import onnxruntime as ort

        session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
        names = [o.name for o in session.get_outputs()]
        return dict(zip(names, session.run(names, feeds)))
    from vfi.kernels.onnx_executors import reference_evaluator

    names = [o.name for o in model.graph.output]
    return dict(zip(names, reference_evaluator(model).run(None, feeds)))


def runner_name(flavour: str, path=None) -> str:
    """Which runtime `run_graph` uses for a graph (recorded in the sidecar)."""
    if flavour == "portable":
        return "onnxruntime-cpu"
    if path is not None:
        import onnx

        from vfi.kernels.onnx_executors import custom_op_types

        if not custom_op_types(onnx.load(str(path))):
            return "onnxruntime-cpu"
    return "onnx-reference-evaluator"


def validate_graph(path, reference_fn, timestep_mode: str, flavour: str, precision: str, batch: int, height: int,
                   width: int) -> dict:
    """Parity of the graph at `path` against `reference_fn(feeds) -> {output: array}`.

    Returns (section, failures): the sidecar's "parity" section (runner, frames, shape and, per
    output, the `Parity` figures) and one line per failed output. Does not raise; the caller
    decides what a failed parity means.
    """
    feeds = rendered_inputs(timestep_mode, batch, height, width)
    expected = reference_fn(feeds)
    actual = run_graph(path, feeds, flavour)
    outputs = {name: compare(name, expected[name], actual[name], precision) for name in expected}
    section = {
        "runner": runner_name(flavour, path),
        "reference": "torch eager float32 (CPU)",
        "frames": "vfi.train.synthetic_motion.make_scene(seed=i).render(0.0 / 1.0)",
        "shape": [batch, 3, height, width],
        "outputs": {name: parity.as_dict() for name, parity in outputs.items()},
        "passed": all(p.passed for p in outputs.values()),
    }
    return section, [p.failure() for p in outputs.values() if not p.passed]


def torch_reference(wrapped_fp32):
    """A `reference_fn` for `validate_graph` running a float32 `GraphInterface` module."""
    import torch

    def run(feeds: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        args = [torch.from_numpy(feeds[name]) for name in ("img0", "img1", "timestep") if name in feeds]
        with torch.inference_mode():
            return {"frame": wrapped_fp32(*args).numpy()}

    return run
