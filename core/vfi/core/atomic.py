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

import errno
import os
import shutil
import tempfile
import uuid
from pathlib import Path

from vfi.core.errors import OutputError

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
    existing folder is moved aside, replaced, then deleted; if the replacement fails it is put
    back). On an exception it is deleted. Files are made readable like any other file (0644 less
    the umask), not private.

    Entering runs `check_writable`; an `OSError` about the output (its temporary path, or a full
    disk) in the body, or any `OSError` of the final rename, leaves as `OutputError` after the
    clean-up, with the original as its cause.
    """

    def __init__(self, target: str | os.PathLike, is_folder: bool = False, temp: str | os.PathLike | None = None):
        self.target = Path(target)
        self.is_folder = is_folder
        token = uuid.uuid4().hex[:8]
        suffix = "" if is_folder else self.target.suffix
        self.temp = Path(temp) if temp is not None else self.target.parent / f".{self.target.stem}{PARTIAL_MARK}{token}{suffix}"
        self._created_parents: list[Path] = []

    def __enter__(self) -> AtomicOutput:
        check_writable(self.target, self.is_folder)
        # Create missing parent folders, remembering them so a failed run can take them back.
        missing = []
        parent = self.target.parent
        while not parent.exists():
            missing.append(parent)
            parent = parent.parent
        try:
            for folder in reversed(missing):
                folder.mkdir()
                self._created_parents.append(folder)
        except OSError as exc:
            self.discard()
            raise OutputError(f"cannot write {self.target}: {_reason(exc)}") from exc
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is not None:
            self.discard()
            if isinstance(exc, OSError) and self._is_about_output(exc):
                raise OutputError(f"cannot write {self.target}: {_reason(exc)}") from exc
            return
        try:
            self.commit()
        except BaseException as error:
            self.discard()
            if isinstance(error, OSError):
                raise OutputError(f"cannot write {self.target}: {self._commit_reason(error)}") from error
            raise

    def commit(self) -> None:
        """Move the finished temporary output to the target (`OSError` when the system refuses)."""
        if not self.is_folder:
            if self.target.is_dir() and not self.target.is_symlink():
                # os.replace would say only "Is a directory"; say which folder is in the way.
                raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), str(self.target))
            os.replace(self.temp, self.target)
            return
        old = None
        if self.target.exists() or self.target.is_symlink():
            old = self.target.parent / f".{self.target.name}.old-{uuid.uuid4().hex[:8]}"
            os.rename(self.target, old)
        try:
            os.rename(self.temp, self.target)
        except BaseException:
            if old is not None:
                os.rename(old, self.target)  # the earlier output stays as it was
            raise
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)

    def discard(self) -> None:
        """Delete the temporary output and the parent folders this output created. Never raises
        `OSError` (a clean-up must not hide the failure that caused it)."""
        try:
            if self.temp.is_dir() and not self.temp.is_symlink():
                # A writer thread still finishing its last frame may add a file while the tree is
                # removed (rmtree then cannot remove the folder); its next write fails, so a
                # second pass finds the folder quiet.
                for _ in range(3):
                    shutil.rmtree(self.temp, ignore_errors=True)
                    if not os.path.lexists(self.temp):
                        break
            else:
                self.temp.unlink(missing_ok=True)
        except OSError:  # its folder is gone or unwritable: there is nothing this can remove
            pass
        for folder in reversed(self._created_parents):
            try:
                folder.rmdir()
            except OSError:  # not empty: something else was put there meanwhile; leave it
                break
        self._created_parents = []

    def _is_about_output(self, exc: OSError) -> bool:
        """True when `exc`, raised while writing, is about this output: it names the temporary
        path (or a file in it, or the target), or says the disk is full."""
        if exc.errno in _OUTPUT_ERRNOS:
            return True
        temp, target = os.path.abspath(self.temp), os.path.abspath(self.target)
        for name in (exc.filename, exc.filename2):
            if name is None or isinstance(name, int):
                continue
            path = os.path.abspath(os.fsdecode(name))
            if path in (temp, target) or path.startswith(temp + os.sep):
                return True
        return False

    def _commit_reason(self, exc: OSError) -> str:
        if exc.errno == errno.ENOENT and not os.path.lexists(self.temp):
            return f"the writer left no temporary output {self.temp.name} to rename (a bug: please report it)"
        if exc.errno == errno.EISDIR or (exc.errno == errno.ENOTEMPTY and not self.is_folder):
            return "a folder of that name is in the way; remove it or choose another name"
        return f"the final rename failed: {_reason(exc)}"


#: errors of a write that are about where it writes, whatever file they name
_OUTPUT_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EROFS}

#: what to tell the user for an errno, beyond the system's own words
_ADVICE = {
    errno.ENOSPC: "the disk is full; free some space or write elsewhere",
    errno.EDQUOT: "the disk quota is used up; free some space or write elsewhere",
    errno.EFBIG: "the file is too large for its file system; write elsewhere",
    errno.EROFS: "the file system is read-only; choose another folder",
    errno.EACCES: "permission denied; choose a folder you may write to",
    errno.EPERM: "operation not permitted; choose a folder you may write to",
    errno.ENOTDIR: "a file is in the way of a folder on that path; choose another path",
    errno.EISDIR: "a folder is in the way; remove it or choose another name",
}


def _reason(exc: OSError) -> str:
    """One line: what the system said (`exc`'s words and the path it named), with advice."""
    words = exc.strerror or str(exc)
    name = exc.filename if exc.filename is not None and not isinstance(exc.filename, int) else None
    said = f"{words}: {os.fsdecode(name)}" if name is not None else words
    advice = _ADVICE.get(exc.errno)
    return f"{advice} ({said})" if advice else said


def check_writable(target: str | os.PathLike, is_folder: bool = False) -> None:
    """Raise `OutputError` unless an output can be written at `target`; creates nothing.

    Refused: a file target that is an existing folder (or a folder target that is an existing
    file); a path whose nearest existing ancestor is a file (``somefile/out.mp4``); a folder that
    does not accept a new file (read-only, no permission, a pseudo file system such as /proc or
    /sys). The last is tried for real: a hidden file is created in that folder and removed at once.

    Args:
        target: the final file or folder (it need not exist; missing parents are fine).
        is_folder: True when the output is a folder.
    """
    target = Path(target)
    if target.is_dir() and not is_folder:
        raise OutputError(f"cannot write {target}: it is an existing folder; choose a file name")
    if is_folder and target.exists() and not target.is_dir():
        raise OutputError(f"cannot write {target}: it is an existing file; a folder output needs a folder name")
    ancestor = target.parent
    while not ancestor.exists() and ancestor != ancestor.parent:
        ancestor = ancestor.parent
    if not ancestor.is_dir():
        raise OutputError(f"cannot write {target}: {ancestor} is a file, not a folder; choose another path")
    try:
        handle, probe = tempfile.mkstemp(prefix=f".{target.stem or 'output'}{PARTIAL_MARK}probe-", dir=ancestor)
    except OSError as exc:
        words = exc.strerror or str(exc)
        if exc.errno == errno.ENOENT:  # the folder exists, yet a new file in it "does not": /proc
            words += ", a pseudo file system?"
        raise OutputError(
            f"cannot write {target}: folder {ancestor} does not accept new files ({words}); choose another path"
        ) from exc
    os.close(handle)
    os.unlink(probe)


def atomic_write_bytes(path: str | os.PathLike, data) -> Path:
    """Write `data` (bytes or a buffer) to `path` atomically; returns the path."""
    with AtomicOutput(path) as out:
        with open(out.temp, "wb") as handle:
            handle.write(memoryview(data))
    return Path(path)


def atomic_write_text(path: str | os.PathLike, text: str) -> Path:
    """Write `text` (UTF-8) to `path` atomically; returns the path."""
    return atomic_write_bytes(path, text.encode("utf-8"))
