"""SNU-FILM (Choi et al., AAAI 2020): `test-<split>.txt` (in the root or in `eval_modes/`), one
sample per line as three image paths: first frame, true middle frame, last frame.

Published list files name paths like ``data/SNU-FILM/test/GOPRO_test/...``; each path is looked
up under the root, dropping leading components until it exists (so the root may be the folder
that holds ``test/``), and the number dropped on the first line is used for every line.
"""

from __future__ import annotations

from pathlib import Path, PurePosixPath

from vfi.benchmarks.datasets.base import Dataset, FileTriplet, file_dataset, require_files
from vfi.core.errors import InputError

SPLITS = ("easy", "medium", "hard", "extreme")
LAYOUT = "test-<split>.txt (or eval_modes/test-<split>.txt) with three image paths per line: first, middle (ground truth), last"


def _strip_count(root: Path, parts: tuple[str, ...]) -> int | None:
    for drop in range(len(parts)):
        if root.joinpath(*parts[drop:]).is_file():
            return drop
    return None


def open_snu_film(root: Path, split: str | None) -> Dataset:
    if split is None:
        raise InputError(f"snu-film needs a split, one of {', '.join(SPLITS)}", "split")
    if split not in SPLITS:
        raise InputError(f"snu-film: unknown split {split!r}; choose one of {', '.join(SPLITS)}")
    candidates = [root / f"test-{split}.txt", root / "eval_modes" / f"test-{split}.txt"]
    listing = next((p for p in candidates if p.is_file()), None)
    if listing is None:
        raise InputError(f"snu-film: missing {candidates[0]} (nor {candidates[1]}); expected {LAYOUT}")
    items, drop = [], None
    for number, line in enumerate(listing.read_text().splitlines(), start=1):
        paths = line.split()
        if not paths:
            continue
        if len(paths) != 3:
            raise InputError(f"snu-film: {listing} line {number} has {len(paths)} paths; expected {LAYOUT}")
        parts = [PurePosixPath(p.replace("\\", "/")).parts for p in paths]
        if drop is None:
            drop = _strip_count(root, parts[0])
            if drop is None:
                raise InputError(f"snu-film: {listing} line {number}: {paths[0]} not found under {root} (nor any tail of it)")
        first, middle, last = (root.joinpath(*p[drop:]) for p in parts)
        require_files("snu-film", f"{LAYOUT} ({listing} line {number})", first, middle, last)
        items.append(FileTriplet(f"{split}/{number:04d}", first, last, middle))
    return file_dataset("snu-film", root, split, LAYOUT, items)
