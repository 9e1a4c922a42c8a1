"""Replicate-padding of frames to a model's size multiple, and cropping back.

Models declare ``pad_multiple`` (pixels): their input height and width must be multiples of it
(RIFE's pyramid halves the frame several times). Frames are padded on the bottom and right only,
so pixel (0, 0) keeps its coordinates and cropping back is a plain slice. The pipeline, the
evaluation, training validation and the static-shape fitting of built artifacts all pad here.

Every function takes NumPy arrays or torch tensors (NCHW or CHW) and returns the same kind.
"""

from __future__ import annotations


def round_up(value: int, multiple: int) -> int:
    """`value` rounded up to the next multiple of `multiple` (``multiple >= 1``)."""
    if multiple < 1:
        raise ValueError(f"pad multiple must be >= 1, got {multiple}")
    return -(-int(value) // int(multiple)) * int(multiple)


def padded_size(height: int, width: int, multiple: int) -> tuple[int, int]:
    """(height, width) rounded up to the next multiple of `multiple` (pixels; 1 means unchanged)."""
    return round_up(height, multiple), round_up(width, multiple)


def pad_to_size(batch, height: int, width: int):
    """`batch` padded on the bottom and right to `height` x `width` by repeating its last row and
    column; the input itself when it already has that size.

    Replicate padding (not zeros) keeps the flow estimator from seeing a hard black edge that
    moves differently from the content.
    """
    h, w = batch.shape[-2:]
    if height < h or width < w:
        raise ValueError(f"cannot pad {h}x{w} down to {height}x{width}")
    if (height, width) == (h, w):
        return batch
    if hasattr(batch, "detach"):  # a torch tensor, possibly on a GPU: pad where it lives
        import torch.nn.functional as F

        return F.pad(batch, (0, width - w, 0, height - h), mode="replicate")
    import numpy as np

    pad = [(0, 0)] * (batch.ndim - 2) + [(0, height - h), (0, width - w)]
    return np.pad(batch, pad, mode="edge")


def pad_to_multiple(batch, multiple: int):
    """`batch` padded (see `pad_to_size`) so that its height and width are multiples of `multiple`."""
    return pad_to_size(batch, *padded_size(*batch.shape[-2:], multiple))


def crop_to(batch, height: int, width: int):
    """The top-left `height` x `width` region of `batch` (undoes `pad_to_size`)."""
    return batch[..., :height, :width]
