"""Output that appears complete or not at all.

The pipeline writes into a temporary file or folder next to the target (same file system, so the
final rename is atomic) and renames it into place only on success; on any error the temporary
output, and any parent folders created for it, are removed. A reader of the target never sees a
half-written video.
"""

from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path


class AtomicOutput:
    """Context manager around a temporary output path.

    Args:
        target: the final file or folder.
        is_folder: True for a frame folder, False for a file.

    Attributes:
        temp: where the writer must write (a file keeps the target's suffix, so format guessing by
            suffix still works).

    On a clean exit the temporary output replaces `target` (an existing file is overwritten; an
    existing folder is moved aside, replaced, then deleted). On an exception it is deleted.
    """

    def __init__(self, target: str | Path, is_folder: bool):
        self.target = Path(target)
        self.is_folder = is_folder
        token = uuid.uuid4().hex[:8]
        self.temp = self.target.parent / f".{self.target.stem}.partial-{token}{'' if is_folder else self.target.suffix}"
        self._created_parents: list[Path] = []

    def __enter__(self) -> "AtomicOutput":
        # Create missing parent folders, remembering them so a failed run can take them back.
        missing = []
        parent = self.target.parent
        while not parent.exists():
            missing.append(parent)
            parent = parent.parent
        for folder in reversed(missing):
            folder.mkdir()
            self._created_parents.append(folder)
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            self.commit()
        else:
            self.discard()

    def commit(self) -> None:
        """Move the finished temporary output to the target."""
        if not self.is_folder:
            os.replace(self.temp, self.target)
            return
        old = None
        if self.target.exists():
            old = self.target.parent / f".{self.target.name}.old-{uuid.uuid4().hex[:8]}"
            os.rename(self.target, old)
        os.rename(self.temp, self.target)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)

    def discard(self) -> None:
        """Delete the temporary output and the parent folders this output created."""
        if self.temp.is_dir():
            shutil.rmtree(self.temp, ignore_errors=True)
        else:
            self.temp.unlink(missing_ok=True)
        for folder in reversed(self._created_parents):
            try:
                folder.rmdir()
            except OSError:  # not empty: something else was put there meanwhile; leave it
                break
