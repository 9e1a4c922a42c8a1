"""`vfi bench` on a tiny resolution: JSON rows, skipped rows with reasons, and --compare ratios."""

from __future__ import annotations

import json

import pytest

from vfi.benchmarks.bench import latency_stats, model_label, parse_flow_scales, parse_resolutions
from vfi.cli.app import main
from vfi.core.errors import InputError


def test_latency_stats_and_resolution_parsing():
    stats = latency_stats([10.0, 20.0, 30.0, 40.0, 1000.0])
    assert stats["latency_ms"] == 30.0 and stats["fps"] == pytest.approx(1000 / 30)
    assert 40.0 < stats["latency_p90_ms"] < stats["latency_p99_ms"] < 1000.0
    assert parse_resolutions("64x96,720x1280") == [(64, 96), (720, 1280)]
    with pytest.raises(InputError, match="HxW"):
        parse_resolutions("64by96")


def test_bench_rows_skips_and_compare(tmp_path, rife_weights, capsys):
    first = tmp_path / "first.json"
    main(
        [
            "bench",
            "--models",
            "rife-4.0-fast",
            "--backends",
            "torch,onnxruntime,no-such-backend",
            "--precision",
            "fp32,fp16",
            "--resolution",
            "64x64",
            "--runs",
            "2",
            "--warmup",
            "1",
            "--threads",
            "1",
            "--json",
            str(first),
            "-q",
        ]
    )
    result = json.loads(first.read_text())
    assert result["kind"] == "vfi-bench"
    assert result["machine"]["threads"] == 1 and result["machine"]["cpu"] and result["machine"]["cpu_cores"]
    assert result["libraries"]["torch"] and result["libraries"]["onnxruntime"]
    rows = {(r["backend"], r["precision"]): r for r in result["rows"]}
    assert len(rows) == 6
    for backend in ("torch", "onnxruntime"):
        row = rows[(backend, "fp32")]
        assert row["status"] == "ok", row.get("reason")
        for key in ("model", "backend", "precision", "resolution", "params", "macs", "flops", "latency_ms", "fps"):
            assert row[key] is not None
        assert row["weights"] == "pretrained" and row["resolution"] == "64x64"
        assert row["params"] > 8_000_000 and row["macs"] > 0 and row["flops"] >= 2 * row["macs"]
        assert row["latency_p90_ms"] >= row["latency_ms"] > 0 and row["fps"] == pytest.approx(1000 / row["latency_ms"])
        assert row["host_peak_mb"] >= 0
    assert rows[("torch", "fp16")]["status"] == "skipped" and "fp16" in rows[("torch", "fp16")]["reason"]
    assert rows[("no-such-backend", "fp32")]["status"] == "skipped"
    assert "backend 'no-such-backend' is unknown" in rows[("no-such-backend", "fp32")]["reason"]
    out = capsys.readouterr().out
    assert "rife-4.0-fast" in out and "skipped" in out

    second = tmp_path / "second.json"
    main(
        [
            "bench",
            "--models",
            "rife-4.0-fast",
            "--backends",
            "torch",
            "--resolution",
            "64x64",
            "--runs",
            "2",
            "--warmup",
            "1",
            "--threads",
            "1",
            "--json",
            str(second),
            "--compare",
            str(first),
            "-q",
        ]
    )
    comparison = json.loads(second.read_text())["comparison"]
    assert len(comparison["rows"]) == 1
    ratio = comparison["rows"][0]
    assert ratio["backend"] == "torch" and ratio["speedup"] == pytest.approx(ratio["baseline_ms"] / ratio["current_ms"])
    assert "speed-up" in capsys.readouterr().out


def test_bench_random_init_label_for_model_without_weights(tmp_path, monkeypatch):
    # An empty cache: the registered pretrained model falls back to random init, labelled so.
    monkeypatch.setenv("VFI_CACHE_DIR", str(tmp_path / "cache"))
    from vfi.benchmarks.bench import model_for_bench

    module, weights = model_for_bench("rife-4.0-fast")
    assert weights == "random-init" and module.card.variant == "rife-4.0-fast"


def test_bench_unknown_model_and_bad_compare_file(tmp_path, capsys):
    with pytest.raises(SystemExit) as info:
        main(["bench", "--models", "no-such-model", "--resolution", "64x64"])
    assert info.value.code == 2 and "unknown model" in capsys.readouterr().err
    (tmp_path / "x.json").write_text("{}")
    with pytest.raises(SystemExit):
        main(["bench", "--models", "rife-4.0-fast", "--resolution", "64x64", "--compare", str(tmp_path / "x.json")])
    assert "expected a vfi-bench JSON file" in capsys.readouterr().err


def test_flow_scale_rows_change_cost_and_skip_models_without_one(tmp_path, monkeypatch):
    monkeypatch.setenv("VFI_CACHE_DIR", str(tmp_path / "cache"))  # random init: cost only matters here
    assert parse_flow_scales(None) == [None] and parse_flow_scales("1,0.5") == [1.0, 0.5]
    with pytest.raises(InputError, match="flow scales"):
        parse_flow_scales("half")
    out = tmp_path / "bench.json"
    main(
        [
            "bench",
            "--models",
            "rife-4.0-fast,cain",
            "--flow-scales",
            "1,0.5",
            "--resolution",
            "128x128",
            "--runs",
            "1",
            "--warmup",
            "0",
            "--threads",
            "1",
            "--json",
            str(out),
            "-q",
        ]
    )
    rows = {(r["model"], r["flow_scale"]): r for r in json.loads(out.read_text())["rows"]}
    full, half = rows[("rife-4.0-fast", 1.0)], rows[("rife-4.0-fast", 0.5)]
    assert full["status"] == half["status"] == "ok"
    # Flows estimated at half resolution: the flow blocks' MACs fall by about 4x.
    assert 0.15 < half["macs"] / full["macs"] < 0.4
    assert rows[("cain", 0.5)]["status"] == "skipped" and "flow_scale" in rows[("cain", 0.5)]["reason"]
    assert model_label(half) == "rife-4.0-fast @ flow scale 0.5" and model_label({"model": "cain"}) == "cain"


def test_bench_inputs_pan_steadily_through_the_context_frames():
    import numpy as np

    from vfi.benchmarks.bench import BENCH_SHIFT, bench_inputs

    img0, img1, t, context = bench_inputs(16, 40, context=2)
    assert t.tolist() == [0.5] and [f.shape for f in (img0, img1, *context)] == [(1, 3, 16, 40)] * 4
    before, after = context  # I_-1, I_2
    s = BENCH_SHIFT
    np.testing.assert_array_equal(img1[..., :-s], img0[..., s:])  # the scene moves s pixels per frame
    np.testing.assert_array_equal(img0[..., :-s], before[..., s:])
    np.testing.assert_array_equal(after[..., :-s], img1[..., s:])
    assert bench_inputs(16, 40)[3] == ()
