"""The run's metrics file: ``metrics.jsonl``, one JSON object per line.

Rows carry ``kind`` ("train" or "val") and ``step`` (updates done). Train rows hold at least
``loss`` (mean since the previous row, over all processes), ``lr``, ``epoch`` (epochs completed),
``samples_per_s`` and the objective's terms; val rows hold ``psnr`` (held-in split) and, when
Middlebury-Other is evaluated, ``middlebury_ie`` and ``middlebury_psnr``. `write_csv` flattens
the file for spreadsheets.
"""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path


class MetricsLog:
    """Appends rows to `path`; on resume, `truncate_after(step)` drops rows a crashed run wrote
    after its last resume state, so the file reads as one uninterrupted run."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)

    def write(self, row: dict) -> None:
        clean = {k: _jsonable(v) for k, v in row.items()}
        with self.path.open("a", encoding="utf-8") as f:
            f.write(json.dumps(clean) + "\n")

    def truncate_after(self, step: int) -> None:
        if not self.path.exists():
            return
        rows = [r for r in read_metrics(self.path) if int(r.get("step", 0)) <= step]
        with self.path.open("w", encoding="utf-8") as f:
            for r in rows:
                f.write(json.dumps(r) + "\n")


def _jsonable(value):
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)  # JSON has no inf/nan; keep them readable
    if hasattr(value, "item"):
        return _jsonable(value.item())
    return value


def read_metrics(path: str | Path) -> list[dict]:
    """All rows of a metrics.jsonl file."""
    with Path(path).open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def write_csv(rows: list[dict], path: str | Path) -> Path:
    """Write rows as CSV with the union of their keys as columns (missing cells empty)."""
    columns: list[str] = []
    for row in rows:
        columns += [k for k in row if k not in columns]
    path = Path(path)
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)
    return path
