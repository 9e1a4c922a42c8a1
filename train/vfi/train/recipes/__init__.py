"""Training recipes: one TOML file per model family in this folder (``train/vfi/train/recipes/``), holding the paper's settings.

A recipe's top-level keys are `vfi.train.config.TrainConfig` fields (``hparams``,
``data_options`` and ``objective_weights`` are tables); comments cite where each value comes from.
`resolve_config` turns ``vfi train MODEL_OR_RECIPE`` plus command-line overrides into a config:

- a recipe name (``ifrnet-s``) or a path to a ``.toml`` file: that recipe;
- a registered model without its own recipe (``rife-4.0-fast``): its family's recipe, with
  ``model`` set to the name given.

TOML is read with the standard library's `tomllib` (Python >= 3.11; on 3.10 the `tomli` package
provides the same API).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from vfi.core.errors import InputError
from vfi.train.config import TrainConfig

RECIPE_DIR = Path(__file__).parent


def _toml():
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        try:
            import tomli as tomllib
        except ModuleNotFoundError:
            raise InputError("reading recipes needs Python >= 3.11 or the tomli package (pip install tomli)") from None
    return tomllib


def names() -> list[str]:
    """The bundled recipes, sorted."""
    return sorted(p.stem for p in RECIPE_DIR.glob("*.toml"))


def recipe_path(name_or_path: str) -> Path | None:
    """The file of a bundled recipe or an existing .toml path; None when neither."""
    path = Path(name_or_path)
    if path.suffix == ".toml":
        if not path.is_file():
            raise InputError(f"recipe file {path} does not exist")
        return path
    bundled = RECIPE_DIR / f"{name_or_path}.toml"
    return bundled if bundled.is_file() else None


def load_recipe(name_or_path: str) -> dict[str, Any]:
    """The recipe's settings as a dict (validated against `TrainConfig`'s fields)."""
    path = recipe_path(name_or_path)
    if path is None:
        raise InputError(f"no recipe {name_or_path!r}; bundled recipes: {', '.join(names())}")
    try:
        data = _toml().loads(path.read_text(encoding="utf-8"))
    except Exception as exc:  # a TOML syntax error: name the file and the line
        raise InputError(f"recipe {path} is not valid TOML ({exc})") from None
    TrainConfig.from_dict(data)  # unknown keys fail here, naming them
    data.setdefault("recipe", path.stem)
    return data


def resolve_config(model_or_recipe: str, overrides: dict[str, Any] | None = None) -> TrainConfig:
    """The run's config: the recipe (or the model family's recipe) with `overrides` applied.

    `overrides` holds command-line values (None values are ignored). Dict-valued fields
    (``hparams``, ``objective_weights``, ``data_options``) are merged key by key.
    """
    import vfi.models as vm

    if recipe_path(model_or_recipe) is not None:
        data = load_recipe(model_or_recipe)
    else:
        try:
            variant = vm.get_variant(model_or_recipe)
        except InputError:
            raise InputError(
                f"{model_or_recipe!r} is neither a recipe ({', '.join(names())}) nor a registered model; see `vfi models`"
            ) from None
        family = variant.family
        if recipe_path(family) is None:
            raise InputError(f"no recipe for family {family!r}; write one (see train/vfi/train/recipes/*.toml) and pass its path")
        data = load_recipe(family)
        data["model"] = variant.name
    data = apply_overrides(data, overrides or {})
    cfg = TrainConfig.from_dict(data).validate()
    vm.get_variant(cfg.model)  # a recipe naming an unknown model fails here
    return cfg


def apply_overrides(data: dict[str, Any], overrides: dict[str, Any]) -> dict[str, Any]:
    """`data` with every non-None override set; dict-valued fields merge."""
    out = dict(data)
    for key, value in overrides.items():
        if value is None:
            continue
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = {**out[key], **value}
        else:
            out[key] = value
    return out


def parse_set(items: list[str]) -> dict[str, Any]:
    """``KEY=VALUE`` items (`vfi train --set`) as overrides; VALUE is read as TOML (numbers, booleans, strings,
    arrays), falling back to a plain string. ``a.b=v`` sets key b of table a (e.g.
    ``objective_weights.distill=0.02``)."""
    out: dict[str, Any] = {}
    for item in items:
        if "=" not in item:
            raise InputError(f"set {item!r}: expected KEY=VALUE", "set")
        key, text = (s.strip() for s in item.split("=", 1))
        try:
            value = _toml().loads(f"v = {text}")["v"]
        except Exception:
            value = text
        target = out
        *tables, leaf = key.split(".")
        for table in tables:
            target = target.setdefault(table, {})
        target[leaf] = value
    return out


#: settings a resumed run may change (they do not alter what has been computed so far)
RESUME_OVERRIDABLE = ("steps", "val_every", "save_every", "log_every", "workers", "middlebury", "device", "val_samples")


def resume_config(run_dir: str | Path, overrides: dict[str, Any] | None = None) -> TrainConfig:
    """The config of the run in `run_dir` (from its resume.pt), with the overrides a resumed run
    may take (`RESUME_OVERRIDABLE`; others are refused, naming them)."""
    from vfi.train.checkpointing import load_resume

    state = load_resume(run_dir)
    data = dict(state["config"])
    given = {k: v for k, v in (overrides or {}).items() if v is not None}
    refused = sorted(k for k in given if k not in RESUME_OVERRIDABLE and data.get(k) != given[k])
    if refused:
        raise InputError(
            f"resume continues the run's own settings; these cannot change: {', '.join(refused)} "
            f"(changeable: {', '.join(RESUME_OVERRIDABLE)})",
            "resume",
        )
    data.update({k: v for k, v in given.items() if k in RESUME_OVERRIDABLE})
    data["out"] = str(run_dir)
    return TrainConfig.from_dict(data).validate()
