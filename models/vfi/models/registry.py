"""The model registry: names -> architectures, and the create / load / save API.

A *family* is one architecture (a `torch.nn.Module` class); a *variant* is a registered name that
fixes the family's hyper-parameters (widths, modes) and, optionally, names pretrained weights.
Builders are stored as "module:attribute" strings (`vfi.core.lazy`) so that listing names imports
no model code. A family also declares its graph interface (`graph_spec`: default opset,
validation tolerances), which every exporter and runtime reads. Renamed variants and families keep
their old names as aliases (`register_alias`), so old command lines and checkpoints still work.

Every model class provides:
  - ``__init__(**hparams)``;
  - ``forward(img0, img1, t)`` with frames float RGB in [0, 1], NCHW; a model with context frames
    (``context_frames`` k > 1) takes them after t, nearest first: ``forward(img0, img1, t, img_m1, img2,
    ...)`` (`vfi.core.graph_spec.context_input_names`); a flow estimator (``task = "flow"``)
    takes ``forward(img0, img1)`` and returns the flow;
  - a ``pad_multiple`` attribute (pixels) and a ``timestep_mode`` attribute, optionally
    ``context_frames`` (frames on each side, default 1; the card's ``context``) and ``task``
    (default "interpolate") (see `vfi.models.card`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from vfi.core.errors import CheckpointError, InputError, WeightsMissing
from vfi.core.lazy import LazyRegistry
from vfi.models.card import ModelCard

if TYPE_CHECKING:
    from vfi.core.graph_spec import GraphSpec


@dataclass(frozen=True)
class Variant:
    """A registered model name.

    Attributes:
        name: the registry name users type (`vfi interpolate --model NAME`).
        family: key into `FAMILIES`.
        hparams: keyword arguments passed to the family's constructor.
        pretrained: name of the converted weights file in the cache (`<pretrained>.safetensors`),
            or None when the variant has no published weights.
        weights_hint: the command that imports the pretrained weights.
        description: one line for `vfi models`.
    """

    name: str
    family: str
    hparams: dict[str, Any] = field(default_factory=dict)
    pretrained: str | None = None
    weights_hint: str | None = None
    description: str = ""


#: family name -> "module:ClassName"
FAMILIES = LazyRegistry("model family")
#: family name -> `GraphSpec` fields the family sets (default opset, tolerances)
FAMILY_GRAPHS: dict[str, dict[str, Any]] = {}
#: variant name -> Variant
VARIANTS: dict[str, Variant] = {}
#: old variant name -> current name
VARIANT_ALIASES: dict[str, str] = {}
#: old family name (in checkpoints written before a rename) -> current name
FAMILY_ALIASES: dict[str, str] = {}


def register_family(family: str, builder: str, **graph: Any) -> None:
    """Register an architecture under `family`; `builder` is "module:ClassName".

    `graph` sets fields of the family's `vfi.core.graph_spec.GraphSpec` (``default_opset``,
    ``tolerances``); the others follow from each model's card.
    """
    FAMILIES[family] = builder
    FAMILY_GRAPHS[family] = dict(graph)


def register_alias(old: str, new: str, family: bool = False) -> None:
    """Make `old` another name of the variant (or, with `family`, the family) `new`."""
    (FAMILY_ALIASES if family else VARIANT_ALIASES)[old] = new


def register_variant(variant: Variant) -> None:
    """Register a model name (a family plus fixed hyper-parameters)."""
    if variant.family not in FAMILIES:
        raise KeyError(f"variant {variant.name!r} names unknown family {variant.family!r}")
    VARIANTS[variant.name] = variant


def names() -> list[str]:
    """All registered model names, sorted (aliases are not listed; see `aliases`)."""
    _ensure_registered()
    return sorted(VARIANTS)


def aliases() -> dict[str, str]:
    """Old model name -> current name."""
    _ensure_registered()
    return dict(VARIANT_ALIASES)


def canonical_name(name: str) -> str:
    """The current registered name of `name` (itself unless it is an alias)."""
    _ensure_registered()
    return VARIANT_ALIASES.get(name, name)


def get_variant(name: str) -> Variant:
    """The registered variant called `name` (or an alias of it); `InputError` listing the known
    names otherwise."""
    _ensure_registered()
    try:
        return VARIANTS[canonical_name(name)]
    except KeyError:
        raise InputError(f"unknown model {name!r}; known models: {', '.join(sorted(VARIANTS))}", "model") from None


def canonical_family(family: str) -> str:
    """The current name of a model family (checkpoints may carry a family's old name)."""
    _ensure_registered()
    return FAMILY_ALIASES.get(family, family)


def graph_spec(card: ModelCard) -> GraphSpec:
    """The graph interface of the model described by `card`: its family's declared fields plus
    the card's timestep mode and pad multiple. An unregistered family gets the defaults."""
    from vfi.core.graph_spec import GraphSpec

    _ensure_registered()
    fields = FAMILY_GRAPHS.get(canonical_family(card.family), {})
    return GraphSpec(
        timestep_mode=card.timestep_mode,
        pad_multiple=int(card.pad_multiple),
        context=int(card.context),
        task=str(card.task),
        **fields,
    )


def create(name: str, **overrides: Any):
    """Build a freshly initialised model of the registered variant `name`.

    Keyword overrides replace the variant's hyper-parameters (e.g. ``mode="fast"``).
    The returned module carries its `ModelCard` as ``model.card``.
    """
    variant = get_variant(name)
    hparams = {**variant.hparams, **overrides}
    return _build(variant.family, variant.name, hparams, provenance={"source": "random-init"})


def load(name_or_path: str | os.PathLike, **overrides: Any):
    """Load a model with weights, in eval mode.

    `name_or_path` is a checkpoint path (`.safetensors` written by `save` or an importer) or a
    registered name with pretrained weights already imported into the cache. Keyword overrides
    replace hyper-parameters that do not change the weights' shapes (e.g. ``mode="fast"``).
    """
    from vfi.core.cache import weights_dir

    text = str(name_or_path)
    path = Path(text).expanduser()
    looks_like_path = path.suffix == ".safetensors" or os.sep in text or path.exists()
    if looks_like_path:
        return _load_checkpoint(path, variant_name=None, overrides=overrides)
    from vfi.models.flow_estimators import FLOW_ESTIMATORS, load_flow_estimator

    if text in FLOW_ESTIMATORS and canonical_name(text) not in VARIANTS:
        return load_flow_estimator(text, **overrides)  # a flow estimator (RAFT) by its name
    variant = get_variant(text)
    if variant.pretrained is None:
        raise WeightsMissing(f"model {variant.name!r} has no pretrained weights; train one (vfi train) or pass a checkpoint path")
    file = weights_dir() / f"{variant.pretrained}.safetensors"
    if not file.exists():
        hint = variant.weights_hint or "import its weights first"
        raise WeightsMissing(f"weights for {variant.name!r} are not in {file.parent}; run `{hint}`")
    return _load_checkpoint(file, variant_name=variant.name, overrides={**variant.hparams, **overrides})


def save(model, path: str | os.PathLike, provenance: dict[str, Any] | None = None) -> Path:
    """Save `model` (which must carry ``model.card``) as one `.safetensors` checkpoint."""
    from vfi.models.checkpoint import write_checkpoint

    card = getattr(model, "card", None)
    if not isinstance(card, ModelCard):
        raise TypeError("model has no ModelCard in .card; build it with vfi.models.create or load")
    if provenance is not None:
        card = ModelCard(**{**card.__dict__, "provenance": provenance})
    return write_checkpoint(path, model.state_dict(), card)


def card_for(family: str, variant: str, model, hparams: dict, provenance: dict) -> ModelCard:
    """The card describing `model` built from `hparams`."""
    return ModelCard(
        family=family,
        variant=variant,
        hparams=dict(hparams),
        pad_multiple=int(model.pad_multiple),
        timestep_mode=str(model.timestep_mode),
        context=int(getattr(model, "context_frames", 1)),
        task=str(getattr(model, "task", "interpolate")),
        provenance=dict(provenance),
    )


def _build(family: str, variant: str, hparams: dict, provenance: dict):
    import inspect

    cls = _family_class(family)
    parameters = inspect.signature(cls).parameters
    if not any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values()):
        unknown = sorted(set(hparams) - set(parameters))
        if unknown:
            raise InputError(
                f"bad hyper-parameters for {family}: {', '.join(unknown)} not among "
                f"{', '.join(p for p in parameters if p != 'self')}"
            )
    model = cls(**hparams)
    model.card = card_for(family, variant, model, hparams, provenance)
    return model


def _load_checkpoint(path: Path, variant_name: str | None, overrides: dict):
    from vfi.models.checkpoint import read_checkpoint

    tensors, card = read_checkpoint(path)
    family = canonical_family(card.family)
    if family not in FAMILIES:
        raise CheckpointError(f"{path}: model card names unknown family {card.family!r}")
    hparams = {**card.hparams, **overrides}
    try:
        model = _build(family, variant_name or canonical_name(card.variant), hparams, provenance=card.provenance)
    except (TypeError, ValueError) as exc:  # a card whose hyper-parameters the family cannot take
        raise CheckpointError(
            f"{path}: model card hparams do not build {card.family} ({' '.join(str(exc).split())[:200]})"
        ) from None
    mismatched = _shape_mismatch(model, tensors)
    if mismatched:
        key, stored, expected = mismatched[0]
        raise CheckpointError(
            f"{path}: weights do not match {card.family} {card.hparams}: {key} has shape {stored} in the checkpoint, "
            f"{expected} in the model ({len(mismatched)} mismatched tensor(s)); the card's hparams are not the ones "
            "these weights were trained with"
        )
    result = model.load_state_dict(tensors, strict=False)
    if result.missing_keys or result.unexpected_keys:
        raise CheckpointError(
            f"{path}: weights do not match {card.family} {card.hparams}: "
            f"{len(result.missing_keys)} missing (e.g. {result.missing_keys[:2]}), "
            f"{len(result.unexpected_keys)} unexpected (e.g. {result.unexpected_keys[:2]})"
        )
    return model.eval()


def _shape_mismatch(model, tensors: dict) -> list[tuple[str, tuple, tuple]]:
    """(key, checkpoint shape, model shape) of every stored tensor whose shape the model's differs
    from (load_state_dict would raise a multi-line RuntimeError for them)."""
    own = model.state_dict()
    return [
        (key, tuple(value.shape), tuple(own[key].shape))
        for key, value in tensors.items()
        if key in own and tuple(value.shape) != tuple(own[key].shape)
    ]


def _family_class(family: str):
    _ensure_registered()
    return FAMILIES.load(canonical_family(family))


def _ensure_registered() -> None:
    # The catalogue module registers every built-in family and variant on first use.
    import vfi.models.catalogue  # noqa: F401
