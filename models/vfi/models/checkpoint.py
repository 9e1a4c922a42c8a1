"""Checkpoint files: one `.safetensors` whose metadata carries the JSON model card."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from vfi.core.errors import CheckpointError
from vfi.models.card import CARD_FORMAT_VERSION, ModelCard

#: Metadata key of the model card inside the safetensors header.
CARD_KEY = "vfi.model_card"


def write_checkpoint(path: str | os.PathLike, state_dict: dict, card: ModelCard) -> Path:
    """Write tensors and card atomically (temporary file, then rename). Returns the path."""
    from safetensors.torch import save_file

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tensors = {k: v.detach().contiguous().cpu() for k, v in state_dict.items()}
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".partial", dir=path.parent)
    os.close(fd)
    try:
        save_file(tensors, tmp, metadata={CARD_KEY: card.to_json()})
        # mkstemp creates the file private (0600); a checkpoint is an ordinary shareable file.
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def read_card(path: str | os.PathLike) -> ModelCard:
    """Read only the model card of a checkpoint (no tensors are loaded)."""
    from safetensors import safe_open

    path = Path(path)
    _require_file(path)
    try:
        with safe_open(str(path), framework="pt") as f:
            metadata = f.metadata() or {}
    except Exception as exc:  # safetensors raises several types for a damaged header
        raise CheckpointError(f"{path}: not a readable .safetensors checkpoint ({_short(exc)})") from None
    return _card_from_metadata(path, metadata)


def read_checkpoint(path: str | os.PathLike) -> tuple[dict, ModelCard]:
    """Read tensors and model card. Raises `CheckpointError` for a missing or damaged file."""
    from safetensors.torch import load_file

    path = Path(path)
    card = read_card(path)
    try:
        tensors = load_file(str(path))
    except Exception as exc:
        raise CheckpointError(f"{path}: checkpoint tensors are unreadable ({_short(exc)})") from None
    return tensors, card


def _card_from_metadata(path: Path, metadata: dict) -> ModelCard:
    text = metadata.get(CARD_KEY)
    if text is None:
        raise CheckpointError(f"{path}: .safetensors file has no vfi model card; it was not written by vfi")
    try:
        card = ModelCard.from_json(text)
    except (ValueError, TypeError) as exc:
        raise CheckpointError(f"{path}: model card is malformed ({_short(exc)})") from None
    if card.format_version > CARD_FORMAT_VERSION:
        raise CheckpointError(
            f"{path}: model card format {card.format_version} is newer than this vfi reads "
            f"({CARD_FORMAT_VERSION}); upgrade vfi"
        )
    return card


def _require_file(path: Path) -> None:
    if not path.exists():
        raise CheckpointError(f"checkpoint not found: {path}")
    if not path.is_file():
        raise CheckpointError(f"checkpoint is not a file: {path}")


def _short(exc: Exception) -> str:
    return str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
