"""Every shell command of README.md runs, at a small size, so the README cannot go stale.

The commands are read from the README's ```bash blocks. Each must have an entry in `SMALLER`:
the replacements that make it small (frame sizes, step counts, the dataset root), each of which
must still occur in the README's text, or the reason it does not run here. A README command
without an entry, or an entry whose command left the README, fails `test_every_readme_command_is_covered`.
Commands run in README order in one working folder (later ones use what earlier ones wrote), with
inputs generated here: a short clip, a frame folder, a Middlebury-like layout.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

README = Path(__file__).resolve().parents[2] / "README.md"
TRAIN_SMALL = [("--steps 2000 --batch 8 --crop 128", "--steps 2 --batch 2 --crop 32")]

#: README command -> list of (text in the README, what it becomes here), or a string: why it does
#: not run here.
SMALLER: dict[str, list[tuple[str, str]] | str] = {
    "make demo": "runs `vfi weights import rife` and `vfi demo`, both run below",
    "make test": "the command that runs this test",
    "vfi doctor": [],
    "vfi models": [],
    "vfi weights import rife": [],
    "vfi interpolate clip.mp4 -o clip_2x.mp4": [],
    "vfi interpolate clip.mp4 -o clip_4x.mkv -f 4": [],
    "vfi interpolate clip.mp4 -o clip_60.mp4 --fps 60": [],
    "vfi interpolate frames/ -o out_frames/ --model rife-4.0-fast --backend onnxruntime": [],
    "vfi interpolate clip.mp4 -o clip_bf16.mp4 --backend openvino --precision bf16": [],
    "vfi interpolate clip.mp4 -o clip_half_flow.mp4 --flow-scale 0.5": [],
    "vfi demo --out out/demo": [("--out out/demo", "--out out/demo --size 64x96 --frames 5")],
    "vfi export rife-4.0 -o rife.onnx --flavour portable --shape 768x1280": [("768x1280", "64x128")],
    "vfi interpolate clip.mp4 -o out.mp4 --backend onnxruntime --model rife.onnx": [],
    "vfi build rife-4.0 -o rife.pt2 --target compiled --shape 768x1280": [("768x1280", "64x128")],
    "vfi interpolate clip.mp4 -o out_compiled.mp4 --backend compiled --model rife.pt2": [],
    "vfi build rife-4.0-fast -o rife_fast.xml --target openvino --precision bf16 --shape 768x1280": [("768x1280", "64x128")],
    "vfi interpolate clip.mp4 -o out_ir.mp4 --model rife_fast.xml": [],
    "vfi export rife-4.0 -o rife_trt.onnx --dynamic": [],
    "vfi build rife_trt.onnx -o rife.engine --min 1x256x256 --opt 1x768x1280 --max 1x1088x1920": [],
    "vfi serve rife-4.0-fast --backend openvino --max-batch 8 --instances 1": "a server that runs until stopped; tests/serve start `vfi serve` on free ports and send it real requests",
    "vfi interpolate clip.mp4 -o clip_2x.mp4 --backend triton --url gpu-server:8001 --model rife-4.0-fast": "needs a running server; tests/serve/test_triton_client.py runs it against `vfi serve`",
    "vfi eval --dataset middlebury --root ../shared/data/middlebury_other --json eval.json": [
        ("../shared/data/middlebury_other", "middlebury_other")
    ],
    "vfi bench --models rife-4.0,rife-4.0-fast,ifrnet-s --backends torch,onnxruntime --resolution 256x448 --json bench.json": [
        ("--resolution 256x448", "--resolution 64x64 --runs 2 --warmup 0 -q")
    ],
    "vfi bench --models rife-4.0-fast --backends openvino --precision fp32,bf16 --flow-scales 1,0.5 --resolution 256x448 --json bench_cpu.json": [
        ("--resolution 256x448", "--resolution 64x64 --runs 2 --warmup 0 -q")
    ],
    "vfi report --bench bench.json --eval eval.json --out report/": [],
    "vfi train ifrnet-s --data synthetic --steps 2000 --batch 8 --crop 128 --out runs/ifrnet-s": TRAIN_SMALL,
    "vfi train --resume --out runs/ifrnet-s --steps 4000": [("--steps 4000", "--steps 4")],
    "vfi eval --dataset middlebury --root ../shared/data/middlebury_other --model runs/ifrnet-s/last.safetensors": [
        ("../shared/data/middlebury_other", "middlebury_other")
    ],
    "vfi train rife-finetune --data frames --root my_frames/ --init rife-4.0 --freeze blocks.0.,blocks.1. --out runs/rife-ft": [
        ("--out runs/rife-ft", "--steps 1 --batch 1 --crop 64 --out runs/rife-ft")
    ],
    "vfi train dbvfi --data frames --root my_frames/ --out runs/dbvfi": [
        (
            "--out runs/dbvfi",
            "--steps 1 --batch 1 --crop 64 --set val_samples=1 --set hparams.steps=1 --set hparams.alphas=[1.0] "
            "--set hparams.raft_iters=1 --out runs/dbvfi",
        )
    ],
    "torchrun --standalone --nproc_per_node 2 -m vfi train ifrnet-s --data synthetic --steps 100 --out runs/ddp": [
        ("--steps 100", "--steps 2 --batch 2 --crop 32 --teacher none")
    ],
}


def readme_commands() -> list[str]:
    """The shell commands of the README's bash blocks, comments stripped, in order."""
    commands, in_block = [], False
    for line in README.read_text().splitlines():
        if line.startswith("```"):
            in_block = line.strip() == "```bash"
            continue
        if in_block:
            command = re.split(r"\s+#", line, maxsplit=1)[0].strip()
            if command and not line.lstrip().startswith("#"):
                commands.append(re.sub(r"\s+", " ", command))
    return commands


def smaller(command: str) -> str:
    for old, new in SMALLER[command]:
        assert old in command, f"README command changed: {old!r} is no longer in {command!r}"
        command = command.replace(old, new)
    return command


def test_every_readme_command_is_covered():
    commands = readme_commands()
    assert len(commands) == len(set(commands)), "a README command appears twice"
    assert set(commands) == set(SMALLER), (
        f"README commands without an entry here: {sorted(set(commands) - set(SMALLER))}; "
        f"entries whose command left the README: {sorted(set(SMALLER) - set(commands))}"
    )


@pytest.fixture(scope="module")
def workspace(tmp_path_factory, rife_weights):
    """A folder holding the README's inputs: clip.mp4, frames/, my_frames/, middlebury_other/."""
    from vfi.core.frames import write_png
    from vfi.core.synthetic_scene import make_scene
    from vfi.runtime.video_io import write_video

    folder = tmp_path_factory.mktemp("readme")
    scene = make_scene(64, 96, seed=3)
    frames = [scene.render(float(t)) for t in range(7)]
    write_video(frames[:4], folder / "clip.mp4", fps=25)
    # my_frames/ holds one 7-frame window, as DBVFI's training needs (I_-1, I_0 | I_t | I_1, I_2).
    for name, count in (("frames", 4), ("my_frames", 7)):
        (folder / name).mkdir()
        for index, frame in enumerate(frames[:count]):
            write_png(frame, folder / name / f"frame{index}.png")
    for seq, seed in (("Seq1", 4), ("Seq2", 5)):
        scene = make_scene(64, 96, seed=seed)
        (folder / "middlebury_other" / "input" / seq).mkdir(parents=True)
        (folder / "middlebury_other" / "gt" / seq).mkdir(parents=True)
        write_png(scene.render(0.0), folder / "middlebury_other" / "input" / seq / "frame10.png")
        write_png(scene.render(1.0), folder / "middlebury_other" / "input" / seq / "frame11.png")
        write_png(scene.render(0.5), folder / "middlebury_other" / "gt" / seq / "frame10i11.png")
    return folder


def _tensorrt_builder_missing() -> bool:
    try:
        from vfi.core.tensorrt import import_builder

        import_builder()
    except Exception:  # the reason is what the command itself must print
        return True
    return False


@pytest.mark.slow
@pytest.mark.parametrize("command", readme_commands())
def test_readme_command_runs(command, workspace, monkeypatch, capsys):
    if command not in SMALLER:
        pytest.fail(f"{command!r} has no entry in SMALLER")
    if isinstance(SMALLER[command], str):
        pytest.skip(SMALLER[command])
    monkeypatch.chdir(workspace)
    argv = smaller(command).split()
    if argv[0] == "torchrun":
        env = {**os.environ, "OMP_NUM_THREADS": "1"}
        env.pop("WORLD_SIZE", None)
        torchrun = shutil.which("torchrun", path=str(Path(sys.executable).parent)) or "torchrun"
        result = subprocess.run([torchrun, *argv[1:]], capture_output=True, text=True, timeout=600, env=env)
        assert result.returncode == 0, result.stderr[-2000:]
        assert (workspace / "runs" / "ddp" / "last.safetensors").is_file()
        return
    from vfi.cli.app import main

    assert argv[0] == "vfi"
    builds_engine = argv[:2] == ["vfi", "build"] and argv[-1].endswith("1x1088x1920")
    if builds_engine and not _tensorrt_builder_missing():
        pytest.skip("TensorRT is installed: the engine build is a GPU test (tests/export/test_tensorrt_builder.py)")
    try:
        main(argv[1:])
        code = 0
    except SystemExit as exc:
        code = exc.code
    err = capsys.readouterr().err
    if builds_engine:
        # Without TensorRT's builder the README's own promise holds: one line, exit 2, no file.
        assert code == 2 and err.count("\n") == 1 and "TensorRT builder not available" in err, err
        assert not (workspace / "rife.engine").exists()
        return
    assert code == 0, err[-2000:]
    expected = {"clip_2x.mp4": 7, "clip_4x.mkv": 13}
    for name, count in expected.items():
        if f" {name}" in command:
            from vfi.runtime.video_io import VideoReader

            with VideoReader(workspace / name) as reader:
                assert sum(1 for _ in reader) == count
    if "--json eval.json" in command:
        import json

        result = json.loads((workspace / "eval.json").read_text())
        assert result["count"] == 2 and np.isfinite(result["ie"])
    if argv[:2] == ["vfi", "build"] and "--target" in argv:
        import json

        # The build measured its artifact against torch fp32 on rendered frames and passed.
        out = workspace / argv[argv.index("-o") + 1]
        frame = json.loads(out.with_name(out.name + ".json").read_text())["parity"]["outputs"]["frame"]
        assert frame["passed"] and frame["max_abs"] <= frame["tolerance"]["atol"]
        if "compiled" in argv:
            assert frame["max_abs"] < 1e-4  # the same fp32 network, compiled
