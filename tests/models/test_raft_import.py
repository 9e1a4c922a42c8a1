"""The official-RAFT checkpoint converter, on a synthetic state dict with the official key names
and shapes (the official files cannot be downloaded here). The layout below is written from the
reference code's module structure (princeton-vl/RAFT core/extractor.py, update.py), independently of
our model, so a wrong mapping or a missing tensor fails."""

from __future__ import annotations

import pytest
import torch

from vfi.core.errors import CheckpointError, WeightsMissing
from vfi.models import raft
from vfi.models.weights import raft_import

STAGES = [(1, 64, 64, 1), (2, 64, 96, 2), (3, 96, 128, 2)]  # (layer, in, out, stride)


def _conv(keys, name, out, inp, kh, kw):
    keys[f"{name}.weight"] = (out, inp, kh, kw)
    keys[f"{name}.bias"] = (out,)


def _batch_norm(keys, name, channels):
    for tensor in ("weight", "bias", "running_mean", "running_var"):
        keys[f"{name}.{tensor}"] = (channels,)
    keys[f"{name}.num_batches_tracked"] = ()


def official_layout() -> dict[str, tuple]:
    """Key -> shape of the official full RAFT's state dict (without `module.`)."""
    keys: dict[str, tuple] = {}
    for enc, out_dim, batch in (("fnet", 256, False), ("cnet", 256, True)):
        _conv(keys, f"{enc}.conv1", 64, 3, 7, 7)
        if batch:
            _batch_norm(keys, f"{enc}.norm1", 64)
        for layer, cin, cout, stride in STAGES:
            for block in (0, 1):
                prefix = f"{enc}.layer{layer}.{block}"
                _conv(keys, f"{prefix}.conv1", cout, cin if block == 0 else cout, 3, 3)
                _conv(keys, f"{prefix}.conv2", cout, cout, 3, 3)
                if batch:
                    _batch_norm(keys, f"{prefix}.norm1", cout)
                    _batch_norm(keys, f"{prefix}.norm2", cout)
                if block == 0 and stride != 1:
                    _conv(keys, f"{prefix}.downsample.0", cout, cin, 1, 1)
                    if batch:  # registered twice: as norm3 and as downsample.1
                        _batch_norm(keys, f"{prefix}.norm3", cout)
                        _batch_norm(keys, f"{prefix}.downsample.1", cout)
        _conv(keys, f"{enc}.conv2", out_dim, 128, 1, 1)
    u = "update_block"
    _conv(keys, f"{u}.encoder.convc1", 256, 4 * 81, 1, 1)
    _conv(keys, f"{u}.encoder.convc2", 192, 256, 3, 3)
    _conv(keys, f"{u}.encoder.convf1", 128, 2, 7, 7)
    _conv(keys, f"{u}.encoder.convf2", 64, 128, 3, 3)
    _conv(keys, f"{u}.encoder.conv", 126, 256, 3, 3)
    for gate in "zrq":
        _conv(keys, f"{u}.gru.conv{gate}1", 128, 384, 1, 5)
        _conv(keys, f"{u}.gru.conv{gate}2", 128, 384, 5, 1)
    _conv(keys, f"{u}.flow_head.conv1", 256, 128, 3, 3)
    _conv(keys, f"{u}.flow_head.conv2", 2, 256, 3, 3)
    _conv(keys, f"{u}.mask.0", 256, 128, 3, 3)
    _conv(keys, f"{u}.mask.2", 576, 256, 1, 1)
    return keys


def synthetic_official_state_dict(seed=0) -> dict[str, torch.Tensor]:
    generator = torch.Generator().manual_seed(seed)
    state = {}
    for key, shape in official_layout().items():
        if key.endswith("num_batches_tracked"):
            state[f"module.{key}"] = torch.tensor(7)
        elif key.endswith("running_var"):
            state[f"module.{key}"] = torch.rand(shape, generator=generator) + 0.5
        else:
            state[f"module.{key}"] = torch.randn(shape, generator=generator)
    for key in [k for k in state if ".norm3." in k]:  # the twin registrations hold the same tensor
        state[key] = state[key.replace(".norm3.", ".downsample.1.")]
    return state


def test_every_official_tensor_lands_in_raft():
    official = synthetic_official_state_dict()
    converted = raft_import.convert_state_dict(official)
    model = raft.RAFT()
    raft_import.load_converted(model, converted)  # strict: nothing missing, nothing unexpected
    ours = model.state_dict()
    # Spot checks of where tensors went (names differ; values must be the official ones).
    pairs = {
        "module.fnet.conv1.weight": "feature_encoder.stem.weight",
        "module.cnet.norm1.running_var": "context_encoder.stem_norm.running_var",
        "module.cnet.layer3.0.downsample.1.bias": "context_encoder.stages.2.0.shortcut.1.bias",
        "module.fnet.layer2.1.conv2.weight": "feature_encoder.stages.1.1.conv2.weight",
        "module.update_block.encoder.conv.weight": "update.motion.merge.weight",
        "module.update_block.gru.convq2.weight": "update.gru_vertical.candidate.weight",
        "module.update_block.gru.convr1.bias": "update.gru_horizontal.reset_gate.bias",
        "module.update_block.flow_head.conv2.weight": "update.flow_head.2.weight",
        "module.update_block.mask.2.bias": "update.mask_head.2.bias",
    }
    for reference, name in pairs.items():
        assert torch.equal(ours[name], official[reference]), name
    # Every non-duplicate official tensor was used once.
    assert len(converted) == len([k for k in official if ".norm3." not in k]) == len(ours)


def test_unknown_or_inconsistent_keys_are_refused():
    official = synthetic_official_state_dict()
    official["module.update_block.gru.convz3.weight"] = torch.zeros(1)
    with pytest.raises(CheckpointError, match="no counterpart"):
        raft_import.convert_state_dict(official)
    official = synthetic_official_state_dict()
    official["module.cnet.layer2.0.norm3.weight"] = torch.zeros(96)
    with pytest.raises(CheckpointError, match="twin"):
        raft_import.convert_state_dict(official)


def test_import_writes_a_loadable_flow_checkpoint(tmp_path, monkeypatch):
    monkeypatch.setenv("VFI_CACHE_DIR", str(tmp_path / "cache"))
    from vfi.models.flow_estimators import load_flow_estimator

    source = tmp_path / "raft-things.pth"
    torch.save(synthetic_official_state_dict(), source)
    assert raft_import.main([str(source)]) == 0
    model = load_flow_estimator("raft")  # found in the cache under the variant's pretrained name
    assert model.card.provenance["converter"] == raft_import.__name__
    assert torch.equal(model.feature_encoder.stem.weight, synthetic_official_state_dict()["module.fnet.conv1.weight"])
    with pytest.raises(WeightsMissing, match="not found"):
        raft_import.import_raft(tmp_path / "missing.pth")
