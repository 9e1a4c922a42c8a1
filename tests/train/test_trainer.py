"""The training loop: loss falls, exact resume, EMA math, checkpoints, freezing, fine-tuning."""

from __future__ import annotations

import json

import pytest
import torch
from train_doubles import TINY_HPARAMS, L1Objective, TinyDataset, tiny_model

import vfi.models
from vfi.train import checkpointing
from vfi.train.config import TrainConfig
from vfi.train.ema import EMA
from vfi.train.metrics_log import read_metrics
from vfi.train.session import build_model, freeze
from vfi.train.trainer import Trainer


def config(tmp_path, **overrides) -> TrainConfig:
    values = dict(
        recipe="test",
        model="ifrnet-s",
        hparams=dict(TINY_HPARAMS),
        steps=12,
        batch=4,
        crop=32,
        lr=3e-3,
        lr_min=3e-4,
        warmup=3,
        ema_decay=0.9,
        val_every=5,
        val_samples=4,
        log_every=2,
        workers=0,
        seed=0,
        grad_clip=1.0,
        out=str(tmp_path),
    )
    values.update(overrides)
    return TrainConfig(**values)


def trainer(cfg, n_train=16, extra_validation=None):
    torch.manual_seed(cfg.seed)
    model = vfi.models.create(cfg.model, **cfg.hparams)
    return Trainer(
        cfg,
        model,
        L1Objective(model),
        TinyDataset(n_train, cfg.crop, "train", cfg.seed),
        TinyDataset(4, cfg.crop, "val", cfg.seed),
        extra_validation=extra_validation,
    )


def test_loss_falls_on_a_fixed_batch(tmp_path):
    # One batch of 4 samples, 30 updates: measured 0.038 -> 0.002 (lr 3e-3); assert a loose 0.8x.
    cfg = config(tmp_path, steps=30, lr=3e-3, lr_min=3e-4, warmup=0, ema_decay=None, val_every=0, log_every=1)
    tr = trainer(cfg, n_train=4)
    tr.train_set.rng = None  # no augmentation: the same batch every update
    tr.fit()
    rows = [r for r in read_metrics(tmp_path / "metrics.jsonl") if r["kind"] == "train"]
    assert [r["step"] for r in rows] == list(range(1, 31))
    assert rows[-1]["loss"] < 0.8 * rows[0]["loss"]
    assert {"step", "loss", "lr", "l1", "samples_per_s"} <= set(rows[0])


def test_resume_is_bit_exact(tmp_path):
    # 12 updates straight == 7 updates, a fresh process state, resume, 5 more (epochs of 4 batches,
    # so the break falls mid-epoch; validation at 5 and 10 on both paths).
    straight = trainer(config(tmp_path / "a"))
    straight.fit()

    first = trainer(config(tmp_path / "b"))
    first.fit(stop_after=7)
    assert first.step == 7 and (tmp_path / "b" / "resume.pt").exists()
    torch.manual_seed(999)  # the resumed run must not depend on the state the process happens to be in
    second = trainer(config(tmp_path / "b"))
    second.resume()
    assert second.step == 7 and second.epoch == 1 and second.batch_in_epoch == 3
    second.fit()

    for name, value in straight.model.state_dict().items():
        assert torch.equal(value, second.model.state_dict()[name]), name
    for name, value in straight.ema.module.state_dict().items():
        assert torch.equal(value, second.ema.module.state_dict()[name]), name
    a, b = straight.optimizer.state_dict()["state"], second.optimizer.state_dict()["state"]
    assert all(torch.equal(a[k]["exp_avg_sq"], b[k]["exp_avg_sq"]) for k in a)
    rows_a = [r for r in read_metrics(tmp_path / "a" / "metrics.jsonl") if r["kind"] == "val"]
    rows_b = [r for r in read_metrics(tmp_path / "b" / "metrics.jsonl") if r["kind"] == "val"]
    assert [(r["step"], r["psnr"]) for r in rows_a] == [(r["step"], r["psnr"]) for r in rows_b]


def test_resume_state_loads_weights_only(tmp_path):
    tr = trainer(config(tmp_path, steps=2, val_every=0))
    tr.fit()
    state = torch.load(tmp_path / "resume.pt", weights_only=True)
    assert state["step"] == 2 and "optimizer" in state and "dataset" in state["rng"][0]


def test_ema_math():
    model = torch.nn.Linear(2, 1, bias=False)
    torch.nn.init.constant_(model.weight, 1.0)
    ema = EMA(model, decay=0.99)
    # Update n uses d = min(decay, (1 + n) / (10 + n)): 0.1 first, then 2/11.
    torch.nn.init.constant_(model.weight, 3.0)
    ema.update(model)
    assert ema.module.weight[0, 0].item() == pytest.approx(0.1 * 1.0 + 0.9 * 3.0)
    torch.nn.init.constant_(model.weight, 5.0)
    ema.update(model)
    d = 2 / 11
    assert ema.module.weight[0, 0].item() == pytest.approx(d * 2.8 + (1 - d) * 5.0)
    ema.updates = 10_000
    assert ema.current_decay() == pytest.approx(0.99)
    assert not any(p.requires_grad for p in ema.module.parameters())


def test_checkpoints_load_with_vfi_models_and_carry_provenance(tmp_path):
    tr = trainer(config(tmp_path, steps=6, val_every=3))
    tr.fit()
    for name in ("last.safetensors", "best.safetensors"):
        model = vfi.models.load(tmp_path / name)
        prov = model.card.provenance
        assert prov["source"] == "vfi train" and prov["recipe"] == "test" and prov["weights"] == "ema"
        assert prov["config"]["lr"] == 3e-3 and model.card.hparams["widths"] == [4, 6, 8, 10]
    last = vfi.models.load(tmp_path / "last.safetensors")
    assert last.card.provenance["step"] == 6
    for k, v in tr.ema.module.state_dict().items():  # last holds the EMA weights
        assert torch.equal(v, last.state_dict()[k])
    vals = [r for r in read_metrics(tmp_path / "metrics.jsonl") if r["kind"] == "val"]
    assert [r["step"] for r in vals] == [3, 6] and all(r["psnr"] > 10 for r in vals)
    assert json.loads((tmp_path / "config.json").read_text())["model"] == "ifrnet-s"


def test_freezing_keeps_frozen_parameters(tmp_path):
    cfg = config(tmp_path, steps=3, val_every=0, freeze=["encoder.", "decoders.3."])
    torch.manual_seed(0)
    model, provenance = build_model(cfg)
    assert provenance["frozen"] == ["encoder.", "decoders.3."] and provenance["frozen_parameters"] > 0
    before = {n: p.detach().clone() for n, p in model.named_parameters()}
    Trainer(cfg, model, L1Objective(model), TinyDataset(16, 32), None).fit()
    for name, p in model.named_parameters():
        frozen = name.startswith(("encoder.", "decoders.3."))
        assert torch.equal(p, before[name]) == frozen, name
    from vfi.core.errors import InputError

    with pytest.raises(InputError, match="matches no parameter"):
        freeze(tiny_model(), ["nonexistent."])


def test_init_from_checkpoint_records_provenance(tmp_path):
    source = tiny_model()
    vfi.models.save(source, tmp_path / "init.safetensors", provenance={"source": "unit test"})
    cfg = config(tmp_path / "run", init=str(tmp_path / "init.safetensors"), hparams={})
    model, provenance = build_model(cfg)
    assert provenance["initialised_from"]["source"] == "unit test"
    for k, v in source.state_dict().items():
        assert torch.equal(v, model.state_dict()[k])


def test_finetune_pretrained_rife_with_frozen_flow_blocks(tmp_path, rife_weights):
    cfg = TrainConfig(
        recipe="test",
        model="rife-4.0",
        init="rife-4.0",
        freeze=["blocks.0.", "blocks.1."],
        steps=1,
        batch=1,
        crop=64,
        lr=1e-5,
        lr_min=1e-6,
        ema_decay=None,
        val_every=0,
        val_samples=0,
        workers=0,
        out=str(tmp_path),
    )
    model, provenance = build_model(cfg)
    pretrained = vfi.models.load("rife-4.0")
    assert all(torch.equal(v, model.state_dict()[k]) for k, v in pretrained.state_dict().items())
    before = {n: p.detach().clone() for n, p in model.named_parameters()}
    Trainer(cfg, model, L1Objective(model), TinyDataset(2, 64), None, provenance=provenance).fit()
    changed = {n for n, p in model.named_parameters() if not torch.equal(p, before[n])}
    assert changed and not any(n.startswith(("blocks.0.", "blocks.1.")) for n in changed)
    saved = vfi.models.load(tmp_path / "last.safetensors")
    assert saved.card.provenance["initialised_from"]["spec"] == "rife-4.0"


def test_resume_is_bit_exact_with_real_frames_data_and_objective(tmp_path):
    # vfi.train.data's file datasets draw crops and flips from a generator of their own (not the
    # global RNG): resume.pt must carry it. A 12-frame clip of 40x40 PNGs, random 32x32 crops.
    import numpy as np
    from PIL import Image

    from vfi.train.session import build_datasets, build_objective

    clip = tmp_path / "clip"
    clip.mkdir()
    rng = np.random.default_rng(0)
    for i in range(12):
        Image.fromarray(rng.integers(0, 256, (40, 40, 3), dtype=np.uint8)).save(clip / f"{i:03d}.png")

    def make(out):
        cfg = config(
            out, steps=6, batch=2, val_every=3, val_samples=2, objective="ifrnet", teacher=None, data="frames", root=str(clip)
        )
        torch.manual_seed(cfg.seed)
        model = vfi.models.create(cfg.model, **cfg.hparams)
        train_set, val_set = build_datasets(cfg)
        return Trainer(cfg, model, build_objective(cfg, model, "cpu"), train_set, val_set)

    straight = make(tmp_path / "a")
    assert checkpointing.capture_dataset_rng(straight.train_set), "the dataset's own generator is found"
    straight.fit()
    first = make(tmp_path / "b")
    first.fit(stop_after=3)
    second = make(tmp_path / "b")
    second.resume()
    second.fit()
    for name, value in straight.model.state_dict().items():
        assert torch.equal(value, second.model.state_dict()[name]), name


def test_validation_on_middlebury_layout(tmp_path):
    import numpy as np
    from PIL import Image

    root = tmp_path / "middlebury"
    rng = np.random.default_rng(0)
    for seq in ("Alpha", "Beta"):
        for sub, name in (("input", "frame10.png"), ("input", "frame11.png"), ("gt", "frame10i11.png")):
            (root / sub / seq).mkdir(parents=True, exist_ok=True)
            Image.fromarray(rng.integers(0, 256, (24, 40, 3), dtype=np.uint8)).save(root / sub / seq / name)
    from vfi.benchmarks.evaluate import middlebury_validation
    from vfi.core.errors import InputError

    cfg = config(tmp_path / "run", steps=2, val_every=1, middlebury=str(root))
    with pytest.raises(InputError, match="no evaluator was given"):  # training cannot import the evaluation
        trainer(cfg)
    tr = trainer(cfg, extra_validation=middlebury_validation(root))
    tr.fit()
    vals = [r for r in read_metrics(tmp_path / "run" / "metrics.jsonl") if r["kind"] == "val"]
    assert [r["step"] for r in vals] == [1, 2]
    assert all(r["middlebury_samples"] == 2 and r["middlebury_ie"] > 0 and "psnr" in r for r in vals)
    best = vfi.models.load(tmp_path / "run" / "best.safetensors").card.provenance["validation"]
    assert best["middlebury_ie"] == min(r["middlebury_ie"] for r in vals)
