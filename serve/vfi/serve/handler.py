"""One batch of served requests answered by a `Runner`: the server side of `vfi.core.serving`.

Triton's dynamic batcher merges requests of equal shapes into one batch; the handler checks it
(`check_request`), converts uint8 NHWC to the runner's float32 NCHW, pads to the model's multiple
(replicate, bottom and right, as the local pipeline does), runs the runner once and crops back.
Everything here is NumPy, so it is tested without a server.

    handler = InterpolationHandler(runner, uint8=True)
    out = handler({"img0": a, "img1": b, "timestep": t})["frame"]
"""

from __future__ import annotations

import threading

import numpy as np

from vfi.core.errors import InputError
from vfi.core.frames import to_uint8
from vfi.core.graph_spec import IMAGE_INPUTS, OUTPUT_NAME, TIMESTEP_INPUT, context_input_names
from vfi.core.padding import crop_to, pad_to_multiple
from vfi.core.serving import DEFAULT_MAX_SIDE, check_request, image_size


class InterpolationHandler:
    """Answers batches for one model variant with one loaded runner (one per Triton instance).

    Args:
        runner: a loaded `vfi.runtime.runner.Runner`.
        uint8: serve the uint8 NHWC variant (else float32 NCHW).
        max_side: largest frame side accepted (pixels).
        lock: held while the runner runs; give the handlers of both variants that share a runner
            the same lock (a backend need not be re-entrant). Default: a lock of its own.

    Attributes:
        served_batches, served_frames: batches and frames answered so far.
    """

    def __init__(self, runner, uint8: bool = False, max_side: int = DEFAULT_MAX_SIDE, lock=None):
        self.runner = runner
        self.uint8 = uint8
        self.max_side = int(max_side)
        self.timestep = runner.timestep_mode != "fixed"
        self.context = runner.context
        self.served_batches = 0
        self.served_frames = 0
        self._lock = lock or threading.Lock()

    def __call__(self, inputs: dict) -> dict:
        """{name: array} of one batch -> {"frame": array}; `InputError` for a bad batch."""
        check_request(inputs, self.uint8, self.max_side, self.timestep, self.context)
        multiple = self.runner.pad_multiple
        img0, img1, *context = (
            pad_to_multiple(self._to_runner(inputs[name]), multiple)
            for name in [*IMAGE_INPUTS, *context_input_names(self.context)]
        )
        n = img0.shape[0]
        t = inputs[TIMESTEP_INPUT].reshape(n).astype(np.float32) if self.timestep else np.full(n, 0.5, np.float32)
        height, width = image_size(inputs[IMAGE_INPUTS[0]], self.uint8)
        with self._lock:
            frames = self.runner.infer(img0, img1, t, tuple(context))
        frames = crop_to(frames, height, width)
        if not np.all(np.isfinite(frames)):
            raise InputError(f"the model's output holds NaN or Inf for this input ({self.runner.card.variant})")
        self.served_batches += 1
        self.served_frames += n
        if self.uint8:
            return {OUTPUT_NAME: np.ascontiguousarray(to_uint8(frames).transpose(0, 2, 3, 1))}
        return {OUTPUT_NAME: np.ascontiguousarray(frames, np.float32)}

    def _to_runner(self, array: np.ndarray) -> np.ndarray:
        if self.uint8:
            return np.ascontiguousarray(array.transpose(0, 3, 1, 2), dtype=np.float32) / np.float32(255.0)
        return np.ascontiguousarray(array, dtype=np.float32)
