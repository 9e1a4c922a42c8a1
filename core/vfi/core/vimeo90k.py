"""The Vimeo-90K layout (Xue et al., IJCV 2019), as distributed; read here for evaluation and for
training alike.

Under the dataset root::

    tri_trainlist.txt, tri_testlist.txt     one "00001/0001" per line  (triplets)
    sep_trainlist.txt, sep_testlist.txt     one "00001/0001" per line  (septuplets)
    sequences/00001/0001/im1.png ... im3.png   (triplet)  or  im1.png ... im7.png  (septuplet)
"""

from __future__ import annotations

from pathlib import Path

from vfi.core.errors import InputError

#: layout -> (list-file prefix, frames per sequence)
LAYOUTS = {"triplet": ("tri", 3), "septuplet": ("sep", 7)}
#: the list a split reads
SPLIT_LISTS = {"train": "trainlist", "test": "testlist"}


def describe(layout: str) -> str:
    """One line saying what a root of this layout holds (for error messages)."""
    prefix, frames = LAYOUTS[layout]
    return (
        f"{prefix}_trainlist.txt / {prefix}_testlist.txt (one <a>/<b> per line) and sequences/<a>/<b>/im1.png ... im{frames}.png"
    )


def list_path(root: Path, layout: str, split: str) -> Path:
    """The list file of `split` ("train" or "test") for `layout` under `root`."""
    prefix, _ = LAYOUTS[layout]
    return Path(root) / f"{prefix}_{SPLIT_LISTS[split]}.txt"


def read_sequences(root: Path, layout: str, split: str) -> list[tuple[str, Path]]:
    """(entry, sequence folder) for every line of the split's list, in file order.

    Raises:
        InputError: the list is missing, empty, or has a line that is not ``<a>/<b>`` (naming the
            file and line number).
    """
    listing = list_path(root, layout, split)
    if not listing.is_file():
        raise InputError(f"{listing}: missing; a Vimeo-90K {layout} root holds {describe(layout)}")
    entries = []
    for number, line in enumerate(listing.read_text().splitlines(), start=1):
        entry = line.strip()
        if not entry:
            continue
        parts = entry.split("/")
        if len(parts) != 2 or not all(parts):
            raise InputError(f"{listing} line {number}: {entry!r} is not <a>/<b>; expected {describe(layout)}")
        entries.append((entry, Path(root) / "sequences" / parts[0] / parts[1]))
    if not entries:
        raise InputError(f"{listing}: lists no sequences (expected lines like '00001/0001')")
    return entries


def frame_path(sequence: Path, position: int) -> Path:
    """Frame at 0-based `position` of a sequence folder (``im1.png`` is position 0)."""
    return Path(sequence) / f"im{position + 1}.png"
