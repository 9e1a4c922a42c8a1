"""The model card: everything needed to rebuild and run a model, stored inside its checkpoint."""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from typing import Any

CARD_FORMAT_VERSION = 1

#: How a family consumes the timestep `t`:
#: "scalar": any t in [0, 1] (a float or an [N] tensor); "map": additionally a per-pixel [N,1,H,W]
#: distance map; "fixed": the model always predicts t = 0.5 and rejects anything else.
TIMESTEP_MODES = ("scalar", "map", "fixed")


@dataclass
class ModelCard:
    """Describes one model instance.

    Attributes:
        family: architecture family, the key of the builder (e.g. "rife-hdv3").
        variant: registry name this instance was created as (e.g. "rife-hdv3-fast").
        hparams: constructor keyword arguments of the family's module (widths, modes, ...).
        pad_multiple: input height and width must be multiples of this (pixels); the pipeline pads.
        timestep_mode: one of `TIMESTEP_MODES`.
        provenance: where the weights came from (source, licence, conversion, training run).
        format_version: version of this card's layout.
    """

    family: str
    variant: str
    hparams: dict[str, Any] = field(default_factory=dict)
    pad_multiple: int = 1
    timestep_mode: str = "scalar"
    provenance: dict[str, Any] = field(default_factory=dict)
    format_version: int = CARD_FORMAT_VERSION

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> "ModelCard":
        data = json.loads(text)
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown model card fields: {sorted(unknown)}")
        return cls(**data)
