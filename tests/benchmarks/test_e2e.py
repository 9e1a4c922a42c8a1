"""vfi.benchmarks.e2e: one line without CUDA; --dry-run exercises the measuring logic on CPU."""

from __future__ import annotations

import pytest


def test_no_cuda_is_one_line(capsys):
    import torch

    from vfi.benchmarks import e2e

    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    assert e2e.main(["--models", "rife-4.0-fast"]) == 1
    out = capsys.readouterr().out
    assert out.count("\n") == 1 and "needs a CUDA device" in out


def test_dry_run_table(capsys):
    from vfi.benchmarks import e2e

    assert e2e.main(["--dry-run", "--models", "rife-4.0-fast", "--backends", "torch", "torch-fp16-graphs", "tensorrt"]) == 0
    table = capsys.readouterr().out.strip().splitlines()
    assert table[0].startswith("DRY RUN") and "p99 ms" in table[1]
    rows = table[2:]
    assert len(rows) == 6  # 3 backends x 2 stream counts at one size
    torch_rows = [r for r in rows if r.split()[1] == "torch"]
    assert all(float(r.split()[4]) > 0 for r in torch_rows)  # fps measured
    assert all("skipped" in r for r in rows if r.split()[1] != "torch")
