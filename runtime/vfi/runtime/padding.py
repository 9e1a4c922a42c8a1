"""Replicate-padding of frames to a model's size multiple, and cropping back.

Models declare ``pad_multiple`` (pixels): their input height and width must be multiples of it
(RIFE's pyramid halves the frame several times). The pipeline pads on the bottom and right only,
so pixel (0, 0) keeps its coordinates and cropping back is a plain slice.
"""

from __future__ import annotations

import numpy as np


def padded_size(height: int, width: int, multiple: int) -> tuple[int, int]:
    """(height, width) rounded up to the next multiple of `multiple` (pixels; 1 means unchanged)."""
    if multiple < 1:
        raise ValueError(f"pad multiple must be >= 1, got {multiple}")
    return -(-height // multiple) * multiple, -(-width // multiple) * multiple


def pad_to_multiple(batch: np.ndarray, multiple: int) -> np.ndarray:
    """Pad an NCHW (or CHW) array on the bottom and right by repeating its last row and column.

    Replicate padding (not zeros) keeps the flow estimator from seeing a hard black edge that
    moves differently from the content. Returns the input itself when no padding is needed.
    """
    height, width = batch.shape[-2:]
    target_h, target_w = padded_size(height, width, multiple)
    if (target_h, target_w) == (height, width):
        return batch
    pad = [(0, 0)] * (batch.ndim - 2) + [(0, target_h - height), (0, target_w - width)]
    return np.pad(batch, pad, mode="edge")


def crop_to(batch: np.ndarray, height: int, width: int) -> np.ndarray:
    """The top-left `height` x `width` region of an NCHW (or CHW) array (undoes `pad_to_multiple`)."""
    return batch[..., :height, :width]
