"""The layout: every module's import path is its file path, in the checkout as installed."""

from __future__ import annotations

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PORTIONS = ("core", "kernels", "models", "train", "export", "runtime", "serve", "benchmarks", "cli")


def test_every_module_resolves_to_its_own_file():
    checked = 0
    for portion in PORTIONS:
        base = ROOT / portion
        assert (base / "vfi" / portion).is_dir(), f"{portion}/ must hold vfi/{portion}/"
        for path in sorted((base / "vfi").rglob("*.py")):
            parts = path.relative_to(base).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            spec = importlib.util.find_spec(name)
            assert spec is not None and Path(spec.origin).resolve() == path.resolve(), f"{name} -> {spec and spec.origin}"
            checked += 1
    assert checked > 150


def test_vfi_is_one_namespace_over_the_portions():
    import vfi

    portions = sorted(Path(p).resolve().parent.name for p in vfi.__path__)
    assert portions == sorted(PORTIONS)
    assert not any((ROOT / portion / "vfi" / "__init__.py").exists() for portion in PORTIONS)
