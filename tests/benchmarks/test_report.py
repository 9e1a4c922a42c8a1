"""`vfi report`: Markdown beside the published figures, and the Pareto PNG."""

from __future__ import annotations

import json

import numpy as np
from dataset_layouts import write_middlebury
from PIL import Image

from vfi.benchmarks.report import Point, load_published, pareto_front, pareto_points
from vfi.cli.app import main


def test_pareto_front_keeps_points_nothing_beats():
    points = [
        Point("a", "t", "fp32", 10, 30.0),
        Point("b", "t", "fp32", 20, 29.0),
        Point("c", "t", "fp32", 30, 33.0),
        Point("d", "t", "fp32", 40, 32.0),
    ]
    assert [p.model for p in pareto_front(points, higher_is_better=True)] == ["a", "c"]
    ie_points = [Point("a", "t", "fp32", 10, 3.0), Point("b", "t", "fp32", 20, 2.0), Point("c", "t", "fp32", 30, 2.5)]
    assert [p.model for p in pareto_front(ie_points, higher_is_better=False)] == ["a", "b"]


def test_pareto_points_pair_each_flow_scale_with_its_own_evaluation():
    def bench_row(backend, precision, flow_scale, ms):
        return {
            "status": "ok",
            "model": "rife-4.0",
            "backend": backend,
            "precision": precision,
            "device": "cpu",
            "resolution": "720x1280",
            "flow_scale": flow_scale,
            "latency_ms": ms,
        }

    def evaluation(backend, precision, flow_scale, psnr):
        return {
            "model": "rife-4.0",
            "backend": backend,
            "precision": precision,
            "flow_scale": flow_scale,
            "psnr": psnr,
            "dataset": {"name": "middlebury"},
        }

    benches = [
        {
            "rows": [
                bench_row("torch", "fp32", None, 500.0),
                bench_row("openvino", "bf16", None, 200.0),
                bench_row("openvino", "bf16", 0.5, 80.0),
                bench_row("openvino", "fp32", 0.25, 50.0),
            ]
        }
    ]
    evals = [
        evaluation("torch", "fp32", None, 37.0),
        evaluation("openvino", "bf16", None, 36.9),
        evaluation("torch", "fp32", 0.5, 35.0),
    ]
    points = {
        (p.backend, p.precision, p.flow_scale): p for p in pareto_points(benches, evals, "middlebury", "cpu", "720x1280", "psnr")
    }
    assert points[("openvino", "bf16", None)].accuracy == 36.9  # its own evaluation
    assert points[("openvino", "bf16", 0.5)].accuracy == 35.0  # torch fp32 at the same flow scale
    assert ("openvino", "fp32", 0.25) not in points  # never scored at that flow scale: no point
    assert points[("openvino", "bf16", 0.5)].label == "rife-4.0 @ flow scale 0.5 (openvino bf16)"


def test_published_figures_have_sources():
    published = load_published()
    names = {m["name"] for m in published["models"]}
    assert {"CAIN", "IFRNet-S", "IFRNet", "IFRNet-L", "RIFE", "UGSP", "CSPA"} <= names
    for entry in published["models"]:
        assert entry["source"] in published["sources"]
    ifrnet_l = next(m for m in published["models"] if m["name"] == "IFRNet-L")
    assert (ifrnet_l["params_m"], ifrnet_l["macs_t"], ifrnet_l["vimeo90k_psnr"], ifrnet_l["middlebury_ie"]) == (
        19.7,
        0.79,
        36.20,
        1.846,
    )


def test_report_writes_markdown_and_pareto_png(tmp_path, rife_weights):
    bench, evaluation = tmp_path / "bench.json", tmp_path / "eval.json"
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
            "0",
            "--threads",
            "1",
            "--json",
            str(bench),
            "-q",
        ]
    )
    root = write_middlebury(tmp_path / "mb", sequences=("Alpha",), height=64, width=64)
    main(["eval", "--dataset", "middlebury", "--root", str(root), "--model", "rife-4.0-fast", "--json", str(evaluation), "-q"])
    # A second, slower and less accurate configuration, so the plot has a dominated point.
    data = json.loads(bench.read_text())
    slower = dict(data["rows"][0], backend="onnxruntime", latency_ms=data["rows"][0]["latency_ms"] * 3)
    data["rows"].append(slower)
    bench.write_text(json.dumps(data))
    ev = json.loads(evaluation.read_text())
    ev2 = dict(ev, backend="onnxruntime", psnr=ev["psnr"] - 1.0)
    (tmp_path / "eval2.json").write_text(json.dumps(ev2))

    out = tmp_path / "report"
    main(["report", "--bench", str(bench), "--eval", str(evaluation), "--eval", str(tmp_path / "eval2.json"), "--out", str(out)])
    text = (out / "report.md").read_text()
    assert "| Model | Source | PSNR/SSIM | Middlebury IE | Params | MACs (T) | Runtime |" in text
    assert "| IFRNet-L | published [ifrnet] | 36.20/- (Vimeo90K) | 1.846 | 19.7M | 0.79 @ 720x1280 |" in text
    assert "| rife-4.0-fast | ours (pretrained) |" in text
    assert "Pareto front: rife-4.0-fast (torch fp32)." in text
    png = out / "pareto_middlebury_cpu_64x64.png"
    image = np.asarray(Image.open(png))
    assert image.shape[0] > 300 and image.shape[1] > 500


def test_report_needs_an_input_file(tmp_path, capsys):
    import pytest

    with pytest.raises(SystemExit) as info:
        main(["report", "--out", str(tmp_path / "r")])
    assert info.value.code == 2 and "at least one --bench or --eval" in capsys.readouterr().err


def test_several_evaluations_of_a_model_say_what_each_ran():
    from vfi.benchmarks.report import _eval_config

    fp32 = {"backend": "openvino", "precision": "fp32", "flow_scale": 1.0}
    bf16 = {"backend": "openvino", "precision": "bf16", "flow_scale": 0.5}
    assert _eval_config(fp32, [fp32]) == ""  # one evaluation needs no label
    assert _eval_config(bf16, [fp32, bf16]) == "; openvino bf16 @ flow scale 0.5"
    assert _eval_config(fp32, [fp32, bf16], alone=True) == " (openvino fp32 @ flow scale 1)"
