"""Recipes: every bundled file parses, names a registered model, and takes overrides."""

import pytest

import vfi.models
from vfi.core.errors import InputError
from vfi.train import recipes
from vfi.train.config import TrainConfig

EXPECTED = {"ifrnet", "ifrnet-s", "ifrnet-l", "cain", "cspa", "ugsp", "rife", "rife-finetune", "ifrnet-di", "rife-di", "dbvfi"}


def test_every_family_has_a_recipe():
    assert EXPECTED <= set(recipes.names())


@pytest.mark.parametrize("name", recipes.names())
def test_recipe_parses_and_names_a_registered_model(name):
    cfg = recipes.resolve_config(name)
    assert cfg.model in vfi.models.names()
    assert cfg.recipe == name
    assert cfg.steps > 0 and cfg.batch > 0 and cfg.crop > 0 and 0 < cfg.lr_min < cfg.lr
    if cfg.init:  # fine-tuning recipes start from a registered model with weights
        assert vfi.models.get_variant(cfg.init).pretrained is not None
    text = (recipes.RECIPE_DIR / f"{name}.toml").read_text()
    assert text.lstrip().startswith("#"), "recipes open with a comment citing their source"


def test_paper_settings():
    ifrnet = recipes.resolve_config("ifrnet")
    assert (ifrnet.lr, ifrnet.lr_min, ifrnet.batch, ifrnet.crop) == (1e-4, 1e-5, 24, 224)
    rife = recipes.resolve_config("rife-4.0")
    assert (rife.lr, rife.lr_min, rife.warmup, rife.batch) == (3e-4, 3e-6, 2000, 64)
    assert recipes.resolve_config("ifrnet-di").arbitrary_t


def test_overrides_and_set():
    over = recipes.parse_set(["warmup=7", "objective_weights.distillation=0.5", "hparams.widths=[4,6,8,10]", "teacher=none"])
    cfg = recipes.resolve_config("ifrnet-s", {**over, "steps": 3, "batch": None})
    assert cfg.steps == 3 and cfg.batch == 24 and cfg.warmup == 7 and cfg.teacher == "none"
    assert cfg.objective_weights == {"geometry": 0.01, "distillation": 0.5}
    assert cfg.hparams == {"widths": [4, 6, 8, 10]}


def test_model_name_uses_family_recipe():
    cfg = recipes.resolve_config("rife-4.0-fast")
    assert cfg.model == "rife-4.0-fast" and cfg.recipe == "rife"
    assert recipes.resolve_config("rife-hdv3-fast").model == "rife-4.0-fast"  # the old name still resolves


def test_bad_recipes_are_input_errors(tmp_path):
    with pytest.raises(InputError, match="neither a recipe"):
        recipes.resolve_config("no-such-model")
    bad = tmp_path / "bad.toml"
    bad.write_text('model = "ifrnet"\nlearning_rate = 3\n')
    with pytest.raises(InputError, match="learning_rate"):
        recipes.resolve_config(str(bad))
    unknown_model = tmp_path / "m.toml"
    unknown_model.write_text('model = "nope"\n')
    with pytest.raises(InputError, match="unknown model"):
        recipes.resolve_config(str(unknown_model))
    with pytest.raises(InputError):
        TrainConfig(steps=0).validate()


@pytest.mark.parametrize("name", recipes.names())
def test_recipe_objective_and_weights_exist(name):
    from vfi.train.objectives import OBJECTIVES, objective_family

    cfg = recipes.resolve_config(name)
    cls = OBJECTIVES[objective_family(cfg.objective or cfg.model)]
    assert set(cfg.objective_weights) <= set(cls.DEFAULTS) | set(cls.OPTIONS)
    if cls.requires_teacher:
        assert cfg.teacher, f"{name}: the {cls.family} objective needs a teacher"
