"""Output that appears complete or not at all: the one atomic-write routine of the toolkit.

A writer writes into a temporary file or folder next to the target (same file system, so the
final rename is atomic) and it is renamed into place only on success; on any error, including
KeyboardInterrupt, the temporary output and any parent folders created for it are removed. A
reader of the target never sees a half-written video, checkpoint, graph, engine or sidecar, and a
failed run leaves nothing behind.

    with AtomicOutput("out.mp4") as out:      # out.temp: where to write
        write_video(out.temp)
    atomic_write_bytes("model.engine", plan)  # the same for a buffer in memory
"""

from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path

#: marks temporary outputs: ``.<stem>.partial-<token><suffix>``
PARTIAL_MARK = ".partial-"


class AtomicOutput:
    """Context manager around a temporary output path.

    Args:
        target: the final file or folder.
        is_folder: True for a folder (a frame folder, a model repository), False for a file.
        temp: the temporary path to use (default: a fresh hidden name next to the target); given
            for a file a writer names itself, such as the ``.bin`` beside an OpenVINO ``.xml``.

    Attributes:
        temp: where the writer must write. A file keeps the target's suffix, so format guessing
            by suffix (video containers, ``onnx.save``) still works.

    On a clean exit the temporary output replaces `target` (an existing file is overwritten; an
    existing folder is moved aside, replaced, then deleted). On an exception it is deleted.
    Files are made readable like any other file (0644 less the umask), not private.
    """

    def __init__(self, target: str | os.PathLike, is_folder: bool = False, temp: str | os.PathLike | None = None):
        self.target = Path(target)
        self.is_folder = is_folder
        token = uuid.uuid4().hex[:8]
        suffix = "" if is_folder else self.target.suffix
        self.temp = Path(temp) if temp is not None else self.target.parent / f".{self.target.stem}{PARTIAL_MARK}{token}{suffix}"
        self._created_parents: list[Path] = []

    def __enter__(self) -> AtomicOutput:
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
        if exc_type is not None:
            self.discard()
            return
        try:
            self.commit()
        except BaseException:
            self.discard()
            raise

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


def atomic_write_bytes(path: str | os.PathLike, data) -> Path:
    """Write `data` (bytes or a buffer) to `path` atomically; returns the path."""
    with AtomicOutput(path) as out:
        with open(out.temp, "wb") as handle:
            handle.write(memoryview(data))
    return Path(path)


def atomic_write_text(path: str | os.PathLike, text: str) -> Path:
    """Write `text` (UTF-8) to `path` atomically; returns the path."""
    return atomic_write_bytes(path, text.encode("utf-8"))
