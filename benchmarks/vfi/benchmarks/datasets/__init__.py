"""Evaluation datasets, one adapter per file, by the name `vfi eval --dataset` takes.

Each adapter turns a folder (or a video file) into a `Dataset`: an iterable of `Triplet`s (two
input frames, the true frame between them, its fraction ``t``, and the context frames a
multi-frame model takes). Layouts are checked when the dataset is opened, so a missing or
malformed one fails before any model runs, with one line that names the file and the layout
expected. Datasets of windows (``vimeo90k-septuplet``, ``video``, ``frames``) serve models with
context frames (`open_dataset(..., context=k)`); the triplet datasets refuse them.

    >>> data = open_dataset("middlebury", "/data/middlebury_other")
    >>> for triplet in data: ...
"""

from __future__ import annotations

from pathlib import Path

from vfi.benchmarks.datasets.base import Dataset, Triplet
from vfi.core.errors import InputError
from vfi.core.lazy import LazyRegistry

#: dataset name -> "module:function(root, split) -> Dataset"
DATASETS = LazyRegistry(
    "dataset",
    {
        "middlebury": "vfi.benchmarks.datasets.middlebury:open_middlebury",
        "vimeo90k": "vfi.benchmarks.datasets.vimeo90k:open_vimeo90k",
        "vimeo90k-septuplet": "vfi.benchmarks.datasets.vimeo90k:open_vimeo90k_septuplet",
        "ucf101": "vfi.benchmarks.datasets.ucf101:open_ucf101",
        "snu-film": "vfi.benchmarks.datasets.snu_film:open_snu_film",
        "triplets": "vfi.benchmarks.datasets.triplets:open_triplets",
        "video": "vfi.benchmarks.datasets.video:open_video",
        "frames": "vfi.benchmarks.datasets.frame_folder:open_frame_folder",
    },
    parameter="dataset",
)


def names() -> list[str]:
    """Dataset names accepted by `open_dataset`."""
    return list(DATASETS)


def window_datasets() -> list[str]:
    """Names of the datasets that give context frames (their openers take ``context``)."""
    import inspect

    return [n for n in DATASETS if "context" in inspect.signature(DATASETS.load(n)).parameters]


def open_dataset(name: str, root: str | Path, split: str | None = None, limit: int | None = None, context: int = 1) -> Dataset:
    """Open dataset `name` at `root` (a folder; a video file for "video"), checking its layout.

    Args:
        split: the dataset's split where it has several (SNU-FILM: easy, medium, hard, extreme).
        limit: evaluate at most this many samples (the first ones in the dataset's order).
        context: frames on each side the model takes; above 1 only `window_datasets` serve.
    """
    import inspect

    opener = DATASETS.load(name)
    if limit is not None and limit < 1:
        raise InputError(f"limit must be >= 1, got {limit}", "limit")
    takes_context = "context" in inspect.signature(opener).parameters
    if context > 1 and not takes_context:
        raise InputError(
            f"dataset {name} holds triplets; a model with {context} frames on each side needs windows: use "
            f"{', '.join(window_datasets())}",
            "dataset",
        )
    root = Path(root).expanduser()
    if not root.exists():
        raise InputError(f"{name}: dataset root {root} does not exist")
    dataset = opener(root, split, context) if takes_context else opener(root, split)
    return dataset.limited(limit) if limit is not None else dataset


__all__ = ["DATASETS", "Dataset", "Triplet", "names", "open_dataset"]
