"""Reading and writing the JSON results of `vfi bench` and `vfi eval`.

Results are strict JSON: non-finite floats (a PSNR of identical frames is inf) are written as
null. Each file says what it is in ``"kind"`` ("vfi-bench" or "vfi-eval") and its ``"format"``.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

from vfi.core.atomic import atomic_write_text
from vfi.core.errors import InputError

FORMAT = 1


def _finite(value):
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    return value


def write_json(path: str | Path, data: dict) -> Path:
    """Write `data` as indented strict JSON (missing parent folders are created)."""
    return atomic_write_text(path, json.dumps(_finite(data), indent=2, allow_nan=False) + "\n")


def read_json(path: str | Path, kind: str) -> dict:
    """A results file of `kind`; `InputError` naming the file when it is missing or of another kind."""
    path = Path(path)
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        raise InputError(f"{path}: file not found; expected a {kind} JSON file") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: not valid JSON ({exc}); expected a {kind} JSON file") from None
    if not isinstance(data, dict) or data.get("kind") != kind:
        found = data.get("kind") if isinstance(data, dict) else type(data).__name__
        raise InputError(f"{path}: is {found!r}, expected a {kind} JSON file (written by vfi {kind[4:]})")
    return data
