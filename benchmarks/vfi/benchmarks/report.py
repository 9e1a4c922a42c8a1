"""The Markdown report of `vfi report`: our measured figures beside the published ones, and
runtime-versus-accuracy Pareto plots.

Inputs are the JSON files of `vfi bench` and `vfi eval`; published figures come from
`published.json` next to this file (each with its paper). Outputs, in the chosen folder:

- ``report.md``: the comparison table (Model | PSNR/SSIM | IE | Params | MACs (T) | Runtime),
  then the full latency and accuracy tables, the sources, and how everything was measured;
- ``pareto_<dataset>_<device>_<HxW>.png``: one point per model x flow scale x backend x precision (latency
  from the bench rows at that device and resolution, accuracy from the evaluation of that model
  on that dataset), the Pareto front (no other point both faster and more accurate) highlighted.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path

from vfi.core.atomic import atomic_write_text

PUBLISHED = Path(__file__).with_name("published.json")

#: accuracy metrics a plot can use -> True when higher is better
METRICS = {"psnr": True, "ssim": True, "ie": False}


def load_published(path: Path = PUBLISHED) -> dict:
    """The published figures (see `published.json`)."""
    return json.loads(Path(path).read_text())


@dataclass
class Point:
    """One plotted configuration."""

    model: str
    backend: str
    precision: str
    latency_ms: float
    accuracy: float
    accuracy_from: str = ""
    on_front: bool = False
    #: the model's flow scale when the bench set one (None: the model's own)
    flow_scale: float | None = None

    @property
    def label(self) -> str:
        """ "rife-4.0 @ flow scale 0.5 (openvino bf16)": how plots and the report name the point."""
        from vfi.benchmarks.bench import model_label

        return f"{model_label({'model': self.model, 'flow_scale': self.flow_scale})} ({self.backend} {self.precision})"


def pareto_front(points: list[Point], higher_is_better: bool) -> list[Point]:
    """Mark and return the points no other point beats on both latency and accuracy.

    A point is on the front when every faster-or-equal point is strictly less accurate (ties in
    both figures keep the first one seen). Returned in order of latency.
    """
    sign = 1.0 if higher_is_better else -1.0
    ordered = sorted(points, key=lambda p: (p.latency_ms, -sign * p.accuracy))
    front, best = [], -math.inf
    for point in ordered:
        score = sign * point.accuracy
        point.on_front = score > best
        if point.on_front:
            front.append(point)
            best = score
    return front


#: up to this many points every point is named on the plot; beyond it only the Pareto front
LABEL_ALL_POINTS = 8


def plot_pareto(points: list[Point], metric: str, title: str, path: Path) -> Path:
    """Write a PNG of latency (log x) against `metric` with the Pareto front highlighted."""
    try:
        import matplotlib
    except ImportError:
        from vfi.core.errors import VfiError

        raise VfiError("the Pareto plot needs matplotlib; install it (pip install 'matplotlib>=3.8')") from None

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import matplotlib.ticker

    higher = METRICS[metric]
    front = pareto_front(points, higher)
    fig, ax = plt.subplots(figsize=(8, 5.5), dpi=120)
    others = [p for p in points if not p.on_front]
    ax.scatter([p.latency_ms for p in others], [p.accuracy for p in others], color="0.6", label="dominated", zorder=2)
    ax.plot([p.latency_ms for p in front], [p.accuracy for p in front], "-o", color="tab:red", label="Pareto front", zorder=3)
    # Many configurations crowd a plot: name every point on the front, the others only when few.
    for p in points if len(points) <= LABEL_ALL_POINTS else front:
        ax.annotate(
            p.label.replace(" (", "\n("),
            (p.latency_ms, p.accuracy),
            fontsize=7,
            xytext=(4, 4),
            textcoords="offset points",
        )
    ax.set_xscale("log")
    ax.xaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _: f"{v:g}"))
    ax.xaxis.set_minor_formatter(matplotlib.ticker.FuncFormatter(lambda v, _: f"{v:g}"))
    ax.margins(x=0.2, y=0.15)
    ax.set_xlabel("median latency per interpolated frame (ms, log scale)")
    ax.set_ylabel(f"{metric.upper()} ({'higher' if higher else 'lower'} is better)")
    ax.set_title(title, fontsize=9)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)
    return path


@dataclass
class Report:
    """What `build_report` wrote."""

    markdown: Path
    plots: list[Path] = field(default_factory=list)


def _fmt(value, pattern: str) -> str:
    return "-" if value is None or (isinstance(value, float) and not math.isfinite(value)) else pattern.format(value)


def _ok_rows(benches: list[dict]) -> list[tuple[dict, dict]]:
    return [(bench, row) for bench in benches for row in bench["rows"] if row.get("status") == "ok"]


def _where(bench: dict, row: dict) -> str:
    machine = bench["machine"]
    device = (
        machine.get("gpu")
        if row["device"] == "cuda" and machine.get("gpu")
        else f"{machine['cpu']} x{row.get('threads')} threads"
    )
    return f"{row['backend']} {row['precision']} {row['device']} ({device}) @ {row['resolution']}"


def _cost_row(rows: list[dict]) -> dict | None:
    # Papers quote cost at 1280x720; prefer that resolution when it was measured.
    with_cost = [r for r in rows if r.get("macs") is not None]
    preferred = [r for r in with_cost if r["resolution"] == "720x1280"]
    return (preferred or with_cost or [None])[0]


def comparison_table(benches: list[dict], evals: list[dict], published: dict) -> list[str]:
    """Markdown lines of the main table: each published model, then our rows for it."""
    lines = [
        "| Model | Source | PSNR/SSIM | Middlebury IE | Params | MACs (T) | Runtime |",
        "|---|---|---|---|---|---|---|",
    ]
    bench_rows = [r for _, r in _ok_rows(benches)] + [r for b in benches for r in b["rows"] if r.get("status") != "ok"]
    ours_named = {name for entry in published["models"] for name in entry.get("ours", [])}
    models = sorted({r["model"] for r in bench_rows} | {e["model"] for e in evals})
    groups = [(entry, [m for m in entry.get("ours", []) if m in models]) for entry in published["models"]]
    groups += [(None, [m]) for m in models if m not in ours_named]
    for entry, ours in groups:
        if entry is not None:
            psnr = _fmt(entry.get("vimeo90k_psnr"), "{:.2f}")
            ssim = _fmt(entry.get("vimeo90k_ssim"), "{:.3f}")
            macs = _fmt(entry.get("macs_t"), "{:.3g}")
            if entry.get("macs_resolution") and entry.get("macs_t") is not None:
                macs += f" @ {entry['macs_resolution']}"
            runtime = _fmt(entry.get("runtime_s"), "{:.3g} s")
            if entry.get("runtime_s") is not None and entry.get("runtime_conditions"):
                runtime += f"; {entry['runtime_conditions']}"
            lines.append(
                f"| {entry['name']} | published [{entry['source']}] | {psnr}/{ssim} (Vimeo90K) | "
                f"{_fmt(entry.get('middlebury_ie'), '{:.3f}')} | {_fmt(entry.get('params_m'), '{:.1f}M')} | {macs} | {runtime} |"
            )
        for model in ours:
            lines.append(_our_line(model, benches, evals))
    return lines


def _our_line(model: str, benches: list[dict], evals: list[dict]) -> str:
    rows = [(b, r) for b, r in _ok_rows(benches) if r["model"] == model]
    any_rows = [r for b in benches for r in b["rows"] if r["model"] == model]
    model_evals = [e for e in evals if e["model"] == model]
    accuracy = (
        "<br>".join(
            f"{_fmt(e.get('psnr'), '{:.2f}')}/{_fmt(e.get('ssim'), '{:.3f}')} ({_dataset_label(e)}{_eval_config(e, model_evals)})"
            for e in model_evals
        )
        or "-"
    )
    ie = (
        "<br>".join(
            f"{_fmt(e.get('ie'), '{:.3f}')}{_eval_config(e, model_evals, alone=True)}"
            for e in model_evals
            if e["dataset"]["name"] == "middlebury"
        )
        or "-"
    )
    params = next((r.get("params") for r in any_rows if r.get("params") is not None), None)
    cost = _cost_row(any_rows)
    macs = f"{cost['macs'] / 1e12:.3g} @ {cost['resolution']}" if cost else "-"
    runtime = "<br>".join(f"{r['latency_ms']:.1f} ms {_where(b, r)}" for b, r in rows) or "-"
    weights = sorted({r.get("weights", "-") for r in any_rows} | {e.get("weights", "-") for e in model_evals})
    label = f"ours ({', '.join(w for w in weights if w != '-') or 'measured'})"
    return f"| {model} | {label} | {accuracy} | {ie} | {_fmt(params / 1e6 if params else None, '{:.2f}M')} | {macs} | {runtime} |"


def _eval_config(evaluation: dict, model_evals: list[dict], alone: bool = False) -> str:
    """ ", backend precision @ flow scale S" naming what one of several evaluations of a model ran
    (empty when the model has a single evaluation); `alone` wraps it in brackets instead."""
    if len(model_evals) < 2:
        return ""
    text = f"{evaluation.get('backend', '-')} {evaluation.get('precision', '-')}"
    if evaluation.get("flow_scale") is not None:
        text += f" @ flow scale {evaluation['flow_scale']:g}"
    return f" ({text})" if alone else f"; {text}"


def _dataset_label(evaluation: dict) -> str:
    dataset = evaluation["dataset"]
    label = dataset["name"] + (f" {dataset['split']}" if dataset.get("split") else "")
    return label + (f", first {evaluation['count']} samples" if dataset.get("limit") else "")


def latency_table(benches: list[dict]) -> list[str]:
    from vfi.benchmarks.bench import model_label

    lines = [
        "| model | weights | backend | precision | device | HxW | params | MACs (G) | FLOPs (G) | median ms | p90 ms | p99 ms | fps | host peak MB | GPU peak MB | status |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for bench in benches:
        for r in bench["rows"]:
            status = "ok" if r.get("status") == "ok" else f"{r.get('status')}: {r.get('reason', '')}"
            lines.append(
                "| "
                + " | ".join(
                    [
                        model_label(r),
                        r.get("weights", "-"),
                        r["backend"],
                        r["precision"],
                        r["device"],
                        r["resolution"],
                        _fmt(r.get("params") and r["params"] / 1e6, "{:.2f}M"),
                        _fmt(r.get("macs") and r["macs"] / 1e9, "{:.1f}"),
                        _fmt(r.get("flops") and r["flops"] / 1e9, "{:.1f}"),
                        _fmt(r.get("latency_ms"), "{:.1f}"),
                        _fmt(r.get("latency_p90_ms"), "{:.1f}"),
                        _fmt(r.get("latency_p99_ms"), "{:.1f}"),
                        _fmt(r.get("fps"), "{:.2f}"),
                        _fmt(r.get("host_peak_mb"), "{:.0f}"),
                        _fmt(r.get("gpu_peak_mb"), "{:.0f}"),
                        status.replace("|", "/"),
                    ]
                )
                + " |"
            )
    return lines


def accuracy_table(evals: list[dict]) -> list[str]:
    from vfi.benchmarks.bench import model_label

    lines = [
        "| model | weights | backend | precision | dataset | samples | PSNR | SSIM | IE | frame averaging PSNR / IE |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for e in evals:
        avg = e.get("frame_averaging", {})
        dataset = _dataset_label(e)
        lines.append(
            f"| {model_label(e)} | {e.get('weights', '-')} | {e['backend']} | {e['precision']} | {dataset} | {e['count']} | "
            f"{_fmt(e.get('psnr'), '{:.2f}')} | {_fmt(e.get('ssim'), '{:.4f}')} | {_fmt(e.get('ie'), '{:.3f}')} | "
            f"{_fmt(avg.get('psnr'), '{:.2f}')} / {_fmt(avg.get('ie'), '{:.3f}')} |"
        )
    return lines


def pareto_points(benches: list[dict], evals: list[dict], dataset: str, device: str, resolution: str, metric: str) -> list[Point]:
    """Points for one plot: bench rows at `device`/`resolution` of models evaluated on `dataset`.

    Accuracy comes from the evaluation with the same flow scale, backend and precision when there
    is one, else from the model's torch fp32 evaluation at that flow scale, else from any evaluation
    of it at that flow scale on `dataset` (no point without one: flow scale changes accuracy).
    """
    on_dataset = [e for e in evals if e["dataset"]["name"] == dataset and e.get(metric) is not None]
    points = []
    for _, row in _ok_rows(benches):
        if row["device"] != device or row["resolution"] != resolution:
            continue
        candidates = [e for e in on_dataset if e["model"] == row["model"] and e.get("flow_scale") == row.get("flow_scale")]
        if not candidates:
            continue
        same = [e for e in candidates if e["backend"] == row["backend"] and e["precision"] == row["precision"]]
        torch32 = [e for e in candidates if e["backend"] == "torch" and e["precision"] == "fp32"]
        chosen = (same or torch32 or candidates)[0]
        points.append(
            Point(
                row["model"],
                row["backend"],
                row["precision"],
                row["latency_ms"],
                chosen[metric],
                _dataset_label(chosen),
                flow_scale=row.get("flow_scale"),
            )
        )
    return points


def build_report(
    benches: list[dict], evals: list[dict], out: Path, metric: str = "psnr", published: dict | None = None
) -> Report:
    """Write ``report.md`` and the Pareto PNGs into `out` (see module doc)."""
    from vfi.core.errors import InputError

    if metric not in METRICS:
        raise InputError(f"metric must be one of {', '.join(METRICS)}, got {metric!r}", "metric")
    published = published or load_published()
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    report = Report(markdown=out / "report.md")
    lines = ["# VFI models: measured and published", ""]
    lines += [
        "Published rows are the papers' own figures (Vimeo90K PSNR/SSIM, Middlebury-Other IE, MACs that papers label FLOPs) "
        "under the papers' conditions; our rows were measured by `vfi bench` / `vfi eval` under the conditions listed below. "
        "Random-init rows measure cost and speed only.",
        "",
    ]
    lines += comparison_table(benches, evals, published)
    plots_section = []
    datasets = sorted({e["dataset"]["name"] for e in evals})
    configs = sorted({(r["device"], r["resolution"]) for _, r in _ok_rows(benches)})
    for dataset in datasets:
        for device, resolution in configs:
            points = pareto_points(benches, evals, dataset, device, resolution, metric)
            if not points:
                continue
            title = f"{metric.upper()} on {dataset} vs latency on {device} at {resolution} (Pareto front in red)"
            path = plot_pareto(points, metric, title, out / f"pareto_{dataset}_{device}_{resolution}.png")
            report.plots.append(path)
            front = ", ".join(p.label for p in points if p.on_front)
            sources = "; ".join(sorted({f"{p.label}: {p.accuracy_from}" for p in points}))
            plots_section += [f"![{title}]({path.name})", "", f"Pareto front: {front}.", "", f"Accuracy from: {sources}.", ""]
    lines += ["", "## Runtime versus accuracy", ""]
    lines += plots_section or ["No plot: no model has both a bench row and an evaluation.", ""]
    if benches:
        lines += ["## Latency and cost (vfi bench)", ""] + latency_table(benches) + [""]
    if evals:
        lines += ["## Accuracy (vfi eval)", ""] + accuracy_table(evals) + [""]
    lines += ["## Sources of published figures", ""]
    lines += [f"- [{key}] {text}" for key, text in published["sources"].items()]
    lines += ["", published.get("about", ""), ""]
    for entry in published["models"]:
        if entry.get("note"):
            lines.append(f"- {entry['name']}: {entry['note']}")
    lines += ["", "## How it was measured", ""]
    for bench in benches:
        m, libs = bench["machine"], bench["libraries"]
        lines.append(
            f"- bench {bench.get('created', '')}: {m['cpu']} ({m['cpu_cores']} cores, {m['threads']} threads), "
            f"device {m['device']}{' ' + m['gpu'] if m.get('gpu') else ''}, torch {libs.get('torch')}, "
            f"onnxruntime {libs.get('onnxruntime')}; {bench['config']['runs']} timed runs after {bench['config']['warmup']} warm-up."
        )
    if benches:
        lines += [f"- {key}: {text}" for key, text in benches[0]["protocol"].items()]
    if evals:
        lines += [f"- eval {key}: {text}" for key, text in evals[0]["protocol"].items()]
    atomic_write_text(report.markdown, "\n".join(lines) + "\n")
    return report
