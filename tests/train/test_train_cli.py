"""`vfi train`: a short run end to end, resume, and bad inputs (one line, exit code 2)."""

from __future__ import annotations

import pytest
from train_doubles import patch_session

import vfi.models
from vfi.cli.app import main
from vfi.train.metrics_log import read_metrics

TINY = [
    "--set",
    "hparams.widths=[4,6,8,10]",
    "--set",
    "hparams.side_channels=2",
    "--set",
    "log_every=1",
    "--set",
    "val_samples=4",
    "--teacher",
    "none",
]


def run(args):
    main(["train", *args])


def fails(capsys, args) -> str:
    with pytest.raises(SystemExit) as exc:
        run(args)
    assert exc.value.code == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1, err
    return err


def test_train_then_resume(tmp_path, monkeypatch, capsys):
    patch_session(monkeypatch)
    out = tmp_path / "run"
    run(
        [
            "ifrnet-s",
            "--data",
            "synthetic",
            "--steps",
            "4",
            "--batch",
            "4",
            "--crop",
            "32",
            "--lr",
            "1e-3",
            "--val-every",
            "2",
            "--workers",
            "0",
            "--out",
            str(out),
            "-q",
            *TINY,
        ]
    )
    assert "step 4" in capsys.readouterr().out
    card = vfi.models.load(out / "last.safetensors").card
    assert card.provenance["recipe"] == "ifrnet-s" and card.provenance["step"] == 4
    assert card.provenance["config"]["lr_min"] == pytest.approx(1e-4)  # scaled with --lr (recipe ratio 1/10)
    assert (out / "best.safetensors").exists()

    run(["--resume", "--out", str(out), "--steps", "6", "-q"])
    rows = read_metrics(out / "metrics.jsonl")
    assert [r["step"] for r in rows if r["kind"] == "train"] == [1, 2, 3, 4, 5, 6]
    assert [r["step"] for r in rows if r["kind"] == "val"] == [2, 4, 6]
    assert vfi.models.load(out / "last.safetensors").card.provenance["step"] == 6

    err = fails(capsys, ["ifrnet-s", "--data", "synthetic", "--out", str(out), *TINY])
    assert "already holds a run" in err
    err = fails(capsys, ["--resume", "--out", str(out), "--lr", "1"])
    assert "cannot change: lr" in err


def test_bad_inputs(tmp_path, capsys):
    assert "no-such-thing" in fails(capsys, ["no-such-thing", "--data", "synthetic", "--out", str(tmp_path / "a")])
    err = fails(capsys, ["ifrnet-s", "--data", "vimeo90k", "--root", str(tmp_path / "missing"), "--out", str(tmp_path / "b")])
    assert "does not exist" in err
    assert "needs --root" in fails(capsys, ["ifrnet-s", "--data", "frames", "--out", str(tmp_path / "c")])
    assert "unknown --data" in fails(capsys, ["ifrnet-s", "--data", "imagenet", "--out", str(tmp_path / "d")])
    assert "no resume.pt" in fails(capsys, ["--resume", "--out", str(tmp_path / "never")])
    assert "--resume needs --out" in fails(capsys, ["--resume"])
    assert "CUDA" in fails(capsys, ["ifrnet-s", "--amp", "--data", "synthetic", "--out", str(tmp_path / "e")])
    assert "KEY=VALUE" in fails(capsys, ["ifrnet-s", "--set", "warmup", "--out", str(tmp_path / "f")])


def test_finetune_from_checkpoint_with_frozen_prefixes(tmp_path, monkeypatch):
    patch_session(monkeypatch)
    common = ["--data", "synthetic", "--steps", "2", "--batch", "4", "--crop", "32", "--workers", "0", "-q", *TINY]
    run(["ifrnet-s", *common, "--out", str(tmp_path / "a")])
    start = tmp_path / "a" / "last.safetensors"
    run(["ifrnet-s", *common, "--init", str(start), "--freeze", "encoder.,decoders.3.", "--out", str(tmp_path / "b")])
    before = vfi.models.load(start).state_dict()
    # resume.pt holds the live weights of the fine-tuned run (last.safetensors holds their EMA)
    import torch

    after = torch.load(tmp_path / "b" / "resume.pt", weights_only=True)["model"]
    for name, value in after.items():
        if name.startswith(("encoder.", "decoders.3.")) and name in dict(vfi.models.load(start).named_parameters()):
            assert torch.equal(value, before[name]), name
    prov = vfi.models.load(tmp_path / "b" / "last.safetensors").card.provenance
    assert prov["frozen"] == ["encoder.", "decoders.3."] and prov["initialised_from"]["source"] == "vfi train"


def test_train_a_context_model_on_windows_of_a_frame_folder(tmp_path, capsys):
    """DBVFI (two frames on each side) trains from a folder of frames: every sample is a 7-frame
    window (I_-1, I_0 | I_t | I_1, I_2 two frames apart), validation feeds the context too."""
    from vfi.core.frames import write_png_folder
    from vfi.core.synthetic_scene import make_scene

    write_png_folder(make_scene(72, 72, seed=3).render_clip(range(9)), tmp_path / "clip")
    narrow = {
        "width": 8,
        "unet_widths": "[8, 16, 32]",
        "state_channels": 8,
        "style_width": 16,
        "style_input": 8,
        "mapping_layers": 2,
        "raft_iters": 1,
        "steps": 2,
        "alphas": "[0.5, 1.0]",
        "flow_hparams": "{encoder_widths = [8, 12, 16], feature_dim = 16, hidden_dim = 8, context_dim = 8, levels = 2, radius = 2}",
    }
    sets = [arg for key, value in narrow.items() for arg in ("--set", f"hparams.{key}={value}")]
    out = tmp_path / "run"
    run(
        ["dbvfi", "--data", "frames", "--root", str(tmp_path / "clip"), "--steps", "2", "--batch", "2", "--crop", "64"]
        + ["--val-every", "2", "--workers", "0", "--out", str(out), "-q", "--set", "val_samples=2", *sets]
    )
    assert "step 2" in capsys.readouterr().out
    card = vfi.models.load(out / "last.safetensors").card
    assert card.context == 2 and card.hparams["steps"] == 2
    rows = read_metrics(out / "metrics.jsonl")
    assert [r["step"] for r in rows if r["kind"] == "val"] == [2]
