"""Checkpoint files: one `.safetensors` whose metadata carries the JSON model card."""

from __future__ import annotations

import os
from pathlib import Path

from vfi.core.atomic import AtomicOutput
from vfi.core.errors import CheckpointError
from vfi.core.messages import short_error
from vfi.models.card import CARD_FORMAT_VERSION, ModelCard

#: Metadata key of the model card inside the safetensors header.
CARD_KEY = "vfi.model_card"


def write_checkpoint(path: str | os.PathLike, state_dict: dict, card: ModelCard) -> Path:
    """Write tensors and card atomically (temporary file, then rename). Returns the path."""
    from safetensors.torch import save_file

    path = Path(path)
    tensors = {k: v.detach().contiguous().cpu() for k, v in state_dict.items()}
    with AtomicOutput(path) as out:
        save_file(tensors, str(out.temp), metadata={CARD_KEY: card.to_json()})
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
        raise CheckpointError(f"{path}: not a readable .safetensors checkpoint ({short_error(exc)})") from None
    return _card_from_metadata(path, metadata)


def read_checkpoint(path: str | os.PathLike) -> tuple[dict, ModelCard]:
    """Read tensors and model card. Raises `CheckpointError` for a missing or damaged file."""
    from safetensors.torch import load_file

    path = Path(path)
    card = read_card(path)
    try:
        tensors = load_file(str(path))
    except Exception as exc:
        raise CheckpointError(f"{path}: checkpoint tensors are unreadable ({short_error(exc)})") from None
    return tensors, card


def _card_from_metadata(path: Path, metadata: dict) -> ModelCard:
    text = metadata.get(CARD_KEY)
    if text is None:
        raise CheckpointError(f"{path}: .safetensors file has no vfi model card; it was not written by vfi")
    if not isinstance(text, str):
        raise CheckpointError(f"{path}: model card metadata is not text; the file was not written by vfi")
    try:
        card = ModelCard.from_json(text)
    except (ValueError, TypeError) as exc:  # ValueError names the field (`ModelCard.from_dict`)
        raise CheckpointError(f"{path}: model card is malformed: {short_error(exc)}") from None
    if card.format_version > CARD_FORMAT_VERSION:
        raise CheckpointError(
            f"{path}: model card format {card.format_version} is newer than this vfi reads ({CARD_FORMAT_VERSION}); upgrade vfi"
        )
    return card


def _require_file(path: Path) -> None:
    if not path.exists():
        raise CheckpointError(f"checkpoint not found: {path}")
    if not path.is_file():
        raise CheckpointError(f"checkpoint is not a file: {path}")
