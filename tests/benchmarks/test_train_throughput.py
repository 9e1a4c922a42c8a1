"""Training-throughput benchmark logic at a tiny size (the real run is the lead's, on a quiet CPU)."""

import pytest
import torch

from vfi.benchmarks import train_throughput


@pytest.fixture(autouse=True)
def _restore_threads():
    before = torch.get_num_threads()
    yield
    torch.set_num_threads(before)


def test_measure_tiny_model():
    torch.set_num_threads(1)
    row = train_throughput.measure(
        "ifrnet-s", batch=2, crop=32, steps=2, warmup=1, hparams={"widths": [4, 6, 8, 10], "side_channels": 2}
    )
    assert row["samples_per_s"] > 0 and row["update_ms"] > 0 and row["timed_steps"] == 2
    assert row["family"] == "ifrnet" and row["precision"] == "fp32"


def test_main_prints_markdown_table_last(capsys):
    table = train_throughput.main(
        ["--models", "cain", "--crop", "16", "--batch", "1", "--steps", "1", "--warmup", "0", "--device", "cpu", "--threads", "1"]
    )
    out = capsys.readouterr().out.rstrip()
    assert out.endswith(table.splitlines()[-1])
    assert table.splitlines()[-1].startswith("| cain |") and "16x16" in table
    assert "1 CPU threads" in table and "| batch | crop |" in table
