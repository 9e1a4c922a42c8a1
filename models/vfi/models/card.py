"""The model card: everything needed to rebuild and run a model, stored inside its checkpoint."""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from typing import Any

from vfi.core.graph_spec import MAX_CONTEXT, TASKS, TIMESTEP_MODES

#: 2 added ``context`` and ``task`` (cards of version 1 read as context 1, task "interpolate")
CARD_FORMAT_VERSION = 2
#: the largest pad multiple a card may declare (pixels; the models' own are 8 to 64)
MAX_PAD_MULTIPLE = 1024


@dataclass
class ModelCard:
    """Describes one model instance.

    Attributes:
        family: architecture family, the key of the builder (e.g. "rife").
        variant: registry name this instance was created as (e.g. "rife-4.0-fast").
        hparams: constructor keyword arguments of the family's module (widths, modes, ...).
        pad_multiple: input height and width must be multiples of this (pixels); the pipeline pads.
        timestep_mode: one of `vfi.core.graph_spec.TIMESTEP_MODES`.
        context: frames the model sees on each side of the interval it interpolates (1: the pair
            itself; 2: also I_-1 and I_2, as DBVFI). The pipeline feeds windows of 2 * context.
        task: one of `vfi.core.graph_spec.TASKS`: "interpolate", or "flow" for a flow estimator
            (RAFT), which exports and validates but does not make frames.
        provenance: where the weights came from (source, licence, conversion, training run).
        format_version: version of this card's layout.
    """

    family: str
    variant: str
    hparams: dict[str, Any] = field(default_factory=dict)
    pad_multiple: int = 1
    timestep_mode: str = "scalar"
    context: int = 1
    task: str = "interpolate"
    provenance: dict[str, Any] = field(default_factory=dict)
    format_version: int = CARD_FORMAT_VERSION

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> ModelCard:
        """The card in `text`; `ValueError` naming the field for JSON that is not a valid card."""
        return cls.from_dict(json.loads(text))

    @classmethod
    def from_dict(cls, data) -> ModelCard:
        """The card whose fields are `data` (a card as JSON or a sidecar stores it).

        Raises:
            ValueError: `data` is not a mapping, has unknown or missing fields, or a field of the
                wrong type or value; the one-line message names the field.
        """
        if not isinstance(data, dict):
            raise ValueError(f"a model card is a JSON object, got {_kind(data)}")
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown model card fields: {sorted(unknown)}")
        missing = [name for name in ("family", "variant") if name not in data]
        if missing:
            raise ValueError(f"model card field {missing[0]!r} is missing")
        for name, value in data.items():
            problem = _FIELD_CHECKS[name](value)
            if problem:
                raise ValueError(f"model card field {name!r} {problem}, got {_shown(value)}")
        return cls(**data)


def _kind(value) -> str:
    return {dict: "an object", list: "a list", str: "a string", bool: "a boolean", type(None): "null"}.get(
        type(value), f"a {type(value).__name__}"
    )


def _shown(value) -> str:
    text = json.dumps(value) if isinstance(value, (str, list, dict, bool, type(None))) else repr(value)
    return f"{_kind(value)} {text[:40]}{'...' if len(text) > 40 else ''}"


def _text(value) -> str | None:
    return None if isinstance(value, str) and value.strip() else "must be a non-empty string"


def _mapping(value) -> str | None:
    return None if isinstance(value, dict) and all(isinstance(k, str) for k in value) else "must be an object"


def _whole(low: int, high: int):
    def check(value) -> str | None:
        ok = isinstance(value, int) and not isinstance(value, bool) and low <= value <= high
        return None if ok else f"must be an integer in {low}..{high}"

    return check


def _choice(options: tuple[str, ...]):
    def check(value) -> str | None:
        return None if isinstance(value, str) and value in options else f"must be one of {', '.join(options)}"

    return check


#: field -> its check: None when the value is acceptable, else what it must be
_FIELD_CHECKS = {
    "family": _text,
    "variant": _text,
    "hparams": _mapping,
    "pad_multiple": _whole(1, MAX_PAD_MULTIPLE),
    "timestep_mode": _choice(TIMESTEP_MODES),
    "context": _whole(1, MAX_CONTEXT),
    "task": _choice(TASKS),
    "provenance": _mapping,
    "format_version": _whole(1, 1_000_000),
}
