"""The model registry and checkpoint files: create / save / load and the errors users can cause."""

from __future__ import annotations

import pytest
import torch

import vfi.models as vm
from vfi.core.errors import CheckpointError, InputError, WeightsMissing
from vfi.models.checkpoint import CARD_KEY, read_card

# A narrow RIFE keeps these tests fast; the registry treats it like any other hyper-parameter set.
SMALL = {"block_widths": (16, 16, 8, 8), "context_width": 4}


@pytest.fixture
def small_model():
    torch.manual_seed(0)
    return vm.create("rife-4.0-fast", **SMALL)


def test_save_load_round_trip_keeps_weights_and_card(small_model, tmp_path):
    provenance = {"source": "unit test", "licence": "MIT"}
    path = vm.save(small_model, tmp_path / "m.safetensors", provenance=provenance)

    loaded = vm.load(path)

    expected = small_model.state_dict()
    got = loaded.state_dict()
    assert set(got) == set(expected)
    for key, value in expected.items():
        assert torch.equal(got[key], value), key
    assert loaded.card.family == small_model.card.family == "rife"
    assert loaded.card.variant == "rife-4.0-fast"
    assert loaded.card.hparams == read_card(path).hparams
    assert loaded.card.hparams["mode"] == "fast"
    assert tuple(loaded.card.hparams["block_widths"]) == SMALL["block_widths"]
    assert loaded.card.pad_multiple == small_model.pad_multiple == loaded.pad_multiple
    assert loaded.card.timestep_mode == "scalar"
    assert loaded.card.provenance == provenance
    assert not loaded.training


def test_loaded_model_computes_the_same_frame(small_model, tmp_path):
    path = vm.save(small_model, tmp_path / "m.safetensors")
    loaded = vm.load(path)
    img0, img1 = torch.rand(2, 1, 3, 64, 64)
    with torch.no_grad():
        assert torch.equal(small_model.eval()(img0, img1, 0.5), loaded(img0, img1, 0.5))


def test_load_override_changes_mode_not_weights(small_model, tmp_path):
    path = vm.save(small_model, tmp_path / "m.safetensors")
    loaded = vm.load(path, mode="full")
    assert loaded.mode == "full" and loaded.card.hparams["mode"] == "full"


def test_load_missing_path(tmp_path):
    with pytest.raises(CheckpointError, match="not found"):
        vm.load(tmp_path / "absent.safetensors")


def test_load_corrupt_file(tmp_path):
    path = tmp_path / "corrupt.safetensors"
    path.write_bytes(b"\x10\x00\x00\x00\x00\x00\x00\x00{not json at all")
    with pytest.raises(CheckpointError, match="not a readable"):
        vm.load(path)


def test_load_safetensors_without_card(tmp_path):
    from safetensors.torch import save_file

    path = tmp_path / "foreign.safetensors"
    save_file({"w": torch.zeros(2)}, str(path), metadata={"other": "x"})
    with pytest.raises(CheckpointError, match="no vfi model card"):
        vm.load(path)


def test_load_checkpoint_whose_weights_do_not_fit(small_model, tmp_path):
    from vfi.models.checkpoint import write_checkpoint

    state = dict(small_model.state_dict())
    state.pop(next(iter(state)))
    path = write_checkpoint(tmp_path / "partial.safetensors", state, small_model.card)
    with pytest.raises(CheckpointError, match="1 missing"):
        vm.load(path)


def test_card_is_stored_under_its_key(small_model, tmp_path):
    from safetensors import safe_open

    path = vm.save(small_model, tmp_path / "m.safetensors")
    with safe_open(str(path), framework="pt") as f:
        assert CARD_KEY in f.metadata()


def test_unknown_name_lists_known_names():
    with pytest.raises(InputError) as info:
        vm.create("no-such-model")
    message = str(info.value)
    assert "no-such-model" in message
    for name in vm.names():
        assert name in message


def test_names_include_rife_variants():
    assert {"rife-4.0", "rife-4.0-fast"} <= set(vm.names())


def test_bad_hyper_parameter_is_input_error():
    with pytest.raises(InputError, match="hyper-parameters"):
        vm.create("rife-4.0", no_such_option=1)


def test_load_pretrained_with_empty_cache_names_import_command(tmp_path, monkeypatch):
    monkeypatch.setenv("VFI_CACHE_DIR", str(tmp_path))
    for name in ("rife-4.0", "rife-4.0-fast"):
        with pytest.raises(WeightsMissing, match="vfi weights import rife"):
            vm.load(name)


@pytest.mark.parametrize(
    "field, value",
    [
        ("family", ["ifrnet"]),
        ("variant", 3),
        ("format_version", "2"),
        ("hparams", [1, 2]),
        ("pad_multiple", "16"),
        ("pad_multiple", True),
        ("pad_multiple", 0),
        ("timestep_mode", "sometimes"),
        ("context", 1.5),
        ("task", "denoise"),
        ("provenance", "pypi"),
    ],
)
def test_card_fields_of_the_wrong_type_are_one_line_naming_the_field(small_model, tmp_path, field, value):
    import dataclasses
    import json

    from safetensors.torch import save_file

    card = dataclasses.asdict(small_model.card)
    card[field] = value
    path = tmp_path / "bad_card.safetensors"
    save_file({"w": torch.zeros(1)}, str(path), metadata={CARD_KEY: json.dumps(card)})
    with pytest.raises(CheckpointError, match=f"model card field '{field}' must be") as info:
        read_card(path)
    assert "\n" not in str(info.value) and str(path) in str(info.value)


def test_card_that_is_not_an_object_or_lacks_its_family(tmp_path):
    from vfi.models.card import ModelCard

    with pytest.raises(ValueError, match="a model card is a JSON object, got a list"):
        ModelCard.from_json("[1, 2]")
    with pytest.raises(ValueError, match="model card field 'family' is missing"):
        ModelCard.from_json('{"variant": "x"}')


def test_version_1_cards_still_read(small_model):
    import dataclasses
    import json

    from vfi.models.card import ModelCard

    card = dataclasses.asdict(small_model.card)
    del card["context"], card["task"]
    card["format_version"] = 1
    restored = ModelCard.from_json(json.dumps(card))
    assert restored.context == 1 and restored.task == "interpolate"


def test_checkpoint_tensors_of_the_wrong_shape_name_a_key_and_both_shapes(small_model, tmp_path):
    from vfi.models.checkpoint import write_checkpoint

    state = dict(small_model.state_dict())
    key = next(k for k, v in state.items() if v.ndim == 4)
    expected = tuple(state[key].shape)
    state[key] = torch.zeros(expected[0] + 1, *expected[1:])
    path = write_checkpoint(tmp_path / "misfit.safetensors", state, small_model.card)
    with pytest.raises(CheckpointError) as info:
        vm.load(path)
    message = str(info.value)
    assert "\n" not in message
    assert key in message and str((expected[0] + 1, *expected[1:])) in message and str(expected) in message
    assert "1 mismatched tensor(s)" in message


def test_card_hparams_the_family_cannot_take_are_a_checkpoint_error(small_model, tmp_path):
    from vfi.models.card import ModelCard
    from vfi.models.checkpoint import write_checkpoint

    card = ModelCard(**{**small_model.card.__dict__, "hparams": {**small_model.card.hparams, "no_such_option": 1}})
    path = write_checkpoint(tmp_path / "extra.safetensors", small_model.state_dict(), card)
    with pytest.raises(InputError, match="no_such_option"):
        vm.load(path)
