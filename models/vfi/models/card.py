"""The model card: everything needed to rebuild and run a model, stored inside its checkpoint."""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from typing import Any

from vfi.core.graph_spec import TASKS, TIMESTEP_MODES  # noqa: F401  (the card's task and timestep_mode take these)

#: 2 added ``context`` and ``task`` (cards of version 1 read as context 1, task "interpolate")
CARD_FORMAT_VERSION = 2


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
        data = json.loads(text)
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown model card fields: {sorted(unknown)}")
        return cls(**data)
