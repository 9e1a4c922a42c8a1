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
