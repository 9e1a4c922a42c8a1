"""CPU-side logic of vfi.benchmarks.kernels: arguments, case collection, table, JSON (dry run)."""

from __future__ import annotations

import json

import pytest

from vfi.benchmarks import kernels as bench


def test_runs_below_100_refused_for_real_measurements():
    with pytest.raises(SystemExit):
        bench.parse_args(["--runs", "10"])
    assert bench.parse_args(["--dry-run", "--runs", "10"]).dry_run


def test_unknown_op_refused():
    with pytest.raises(SystemExit, match="unknown ops"):
        bench.collect_cases(["nope"], dry_run=True)


def test_full_size_cases_are_hd_fp32_fp16_realistic_channels():
    cases = bench.collect_cases(["backward_warp"], dry_run=False)
    assert {(c.label, c.dtype) for c in cases} == {(f"1920x1080 C={c}", d) for c in (3, 64) for d in ("float32", "float16")}
    c64 = next(c for c in cases if c.label.endswith("C=64") and c.dtype == "float16")
    assert c64.bytes_moved == 1920 * 1080 * (2 * 64 + 2) * 2


def test_dry_run_prints_table_last_and_writes_json(tmp_path, capsys):
    out = tmp_path / "k.json"
    assert bench.main(["--dry-run", "--ops", "backward_warp", "--json", str(out)]) == 0
    printed = capsys.readouterr().out.strip().splitlines()
    assert printed[0].startswith("DRY RUN") and "backward_warp" in printed[-1]
    rows = json.loads(out.read_text())["rows"]
    assert len(rows) == 4 and all(r["max_abs_diff"] < 1e-3 for r in rows)


def test_format_table_aligns_columns():
    row = bench.Row("op", "case", "float16", 1.0, 2.0, 2.0, 10.0, 5.0, 50.0, 0.0)
    lines = bench.format_table([row]).splitlines()
    assert len({len(line) for line in lines}) == 1 and "2.00x" in lines[-1]
