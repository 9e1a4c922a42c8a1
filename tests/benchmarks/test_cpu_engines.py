"""vfi.benchmarks.cpu_engines: rows per engine with ratios against torch fp32, Middlebury scores."""

from __future__ import annotations

import json

from dataset_layouts import write_middlebury


def test_rows_ratios_and_scores(tmp_path, rife_weights, capsys):
    from vfi.benchmarks import cpu_engines

    root = write_middlebury(tmp_path / "mb", sequences=("Alpha", "Beta"), height=64, width=64)
    out = tmp_path / "engines.json"
    cpu_engines.main(
        [
            "--models",
            "rife-4.0-fast",
            "--size",
            "64x64",
            "--threads",
            "1",
            "--runs",
            "1",
            "--warmup",
            "0",
            "--middlebury",
            str(root),
            "--json",
            str(out),
            "--engines",
            "torch eager fp32",
            "OpenVINO fp32",
            "OpenVINO bf16 (islands)",
            "OpenVINO bf16 (no islands)",
        ]
    )
    result = json.loads(out.read_text())
    assert result["machine"]["cpu"] and "cpu_flags" in result["machine"]
    rows = {row["engine"]: row for row in result["rows"]}
    assert set(rows) == {"torch eager fp32", "OpenVINO fp32", "OpenVINO bf16 (islands)", "OpenVINO bf16 (no islands)"}
    baseline, fp32 = rows["torch eager fp32"], rows["OpenVINO fp32"]
    assert baseline["speedup"] == 1.0 and baseline["psnr_delta"] == 0.0
    assert fp32["speedup"] == baseline["ms"] / fp32["ms"]
    # The same fp32 network in another engine scores the same to within rounding to uint8.
    assert abs(fp32["psnr_delta"]) < 0.05 and set(fp32["per_sequence"]) == {"Alpha", "Beta"}
    for label in ("OpenVINO bf16 (islands)", "OpenVINO bf16 (no islands)"):
        row = rows[label]
        assert ("skipped" in row and "bf16" in row["skipped"]) or row["worst_sequence_delta"] <= row["psnr_delta"] + 1e-9
    table = capsys.readouterr().out.strip().splitlines()[-4:]  # the Markdown table is printed last
    assert table[0].startswith("| rife-4.0-fast | torch eager fp32 |") and "| 1.00x |" in table[0]
    assert table[1].startswith("| rife-4.0-fast | OpenVINO fp32 |")
