"""Two CPU processes under torchrun (gloo): DDP, sharded data, rank 0 alone writes the run."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import torch

import vfi.models
from vfi.train.metrics_log import read_metrics

HERE = Path(__file__).parent
ARGS = [
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
    "--teacher",
    "none",
    "-q",
    "--set",
    "hparams.widths=[4,6,8,10]",
    "--set",
    "hparams.side_channels=2",
    "--set",
    "log_every=1",
    "--set",
    "val_samples=4",
    "--set",
    "warmup=0",
    "--set",
    "grad_clip=0",
]

# Runs `vfi train` (what `torchrun -m vfi train` runs) with the test doubles for data and objective; augmentation
# off so that 2 processes x batch 2 see exactly the samples 1 process x batch 4 sees.
LAUNCHER = """
import sys
sys.path.insert(0, {here!r})
import train_doubles
train_doubles.patch_session(augment=False)
from vfi.cli.app import main
main(["train", *sys.argv[1:]])
"""

#: stderr of a launch that lost its port to another process (retried once)
PORT_CLASH = ("EADDRINUSE", "address already in use", "Address already in use")


def launch(tmp_path: Path, nproc: int, out: Path) -> subprocess.CompletedProcess:
    script = tmp_path / "launch.py"
    script.write_text(LAUNCHER.format(here=str(HERE)))
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    env.pop("WORLD_SIZE", None)
    if nproc == 1:
        cmd = [sys.executable, str(script)]
    else:
        cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", str(nproc), str(script)]
    result = subprocess.run([*cmd, *ARGS, "--out", str(out)], capture_output=True, text=True, env=env, timeout=300)
    if result.returncode and any(m in result.stderr for m in PORT_CLASH):
        # Another job on this machine took the rendezvous port between torchrun's pick and its bind.
        result = subprocess.run([*cmd, *ARGS, "--out", str(out)], capture_output=True, text=True, env=env, timeout=300)
    return result


def test_two_gloo_processes_match_one(tmp_path):
    ddp = launch(tmp_path, 2, tmp_path / "ddp")
    assert ddp.returncode == 0, ddp.stderr[-3000:]
    files = sorted(p.name for p in (tmp_path / "ddp").iterdir())
    assert files == ["best.safetensors", "config.json", "last.safetensors", "metrics.jsonl", "resume.pt"]
    rows = read_metrics(tmp_path / "ddp" / "metrics.jsonl")
    assert [r["step"] for r in rows if r["kind"] == "train"] == [1, 2, 3, 4]  # written once, by rank 0
    assert [r["step"] for r in rows if r["kind"] == "val"] == [2, 4]
    card = vfi.models.load(tmp_path / "ddp" / "last.safetensors").card
    assert card.provenance["processes"] == 2
    state = torch.load(tmp_path / "ddp" / "resume.pt", weights_only=True)
    assert state["world_size"] == 2 and len(state["rng"]) == 2

    single = launch(tmp_path, 1, tmp_path / "single")
    assert single.returncode == 0, single.stderr[-3000:]
    # Gradients averaged over 2 x 2 samples equal those of the same 4 samples in one process.
    a = torch.load(tmp_path / "ddp" / "resume.pt", weights_only=True)["model"]
    b = torch.load(tmp_path / "single" / "resume.pt", weights_only=True)["model"]
    for name in a:
        torch.testing.assert_close(a[name], b[name], rtol=1e-4, atol=1e-5, msg=name)
