"""The one atomic-write routine: complete or absent, every failure path cleans up."""

from __future__ import annotations

import errno
import os
import subprocess
from pathlib import Path

import pytest

from vfi.core.atomic import PARTIAL_MARK, AtomicOutput, atomic_write_bytes, atomic_write_text, check_writable
from vfi.core.errors import InputError, OutputError


def test_file_appears_only_on_success(tmp_path):
    target = tmp_path / "a" / "b" / "out.bin"
    with AtomicOutput(target) as out:
        out.temp.write_bytes(b"data")
        assert out.temp.suffix == ".bin" and PARTIAL_MARK in out.temp.name and not target.exists()
    assert target.read_bytes() == b"data"
    assert sorted(p.name for p in target.parent.iterdir()) == ["out.bin"]


@pytest.mark.parametrize("error", [RuntimeError, KeyboardInterrupt])
def test_failure_removes_temp_and_created_parents(tmp_path, error):
    target = tmp_path / "new" / "deeper" / "out.bin"
    with pytest.raises(error):
        with AtomicOutput(target) as out:
            out.temp.write_bytes(b"half")
            raise error()
    assert list(tmp_path.iterdir()) == []


def test_existing_target_survives_a_failed_replacement(tmp_path):
    target = tmp_path / "out.txt"
    target.write_text("old")
    with pytest.raises(ValueError):
        with AtomicOutput(target) as out:
            out.temp.write_text("new, half written")
            raise ValueError
    assert target.read_text() == "old" and [p.name for p in tmp_path.iterdir()] == ["out.txt"]
    atomic_write_text(target, "new")
    assert target.read_text() == "new"


def test_folder_is_replaced_whole(tmp_path):
    target = tmp_path / "frames"
    target.mkdir()
    (target / "stale.png").write_bytes(b"x")
    with AtomicOutput(target, is_folder=True) as out:
        out.temp.mkdir()
        (out.temp / "00000.png").write_bytes(b"y")
    assert [p.name for p in target.iterdir()] == ["00000.png"]
    assert [p.name for p in tmp_path.iterdir()] == ["frames"]


def test_a_failed_commit_cleans_up(tmp_path):
    target = tmp_path / "out.bin"
    with pytest.raises(OutputError, match="left no temporary output") as caught:
        with AtomicOutput(target):
            pass  # nothing written: the rename fails, and nothing is left behind
    assert isinstance(caught.value.__cause__, FileNotFoundError)
    assert list(tmp_path.iterdir()) == []
    assert atomic_write_bytes(tmp_path / "b.bin", memoryview(b"ab")).read_bytes() == b"ab"


# -- failures of the final rename --------------------------------------------------------------------


def _refuse(code: int):
    def rename(src, dst, *args, **kwargs):
        raise OSError(code, os.strerror(code), os.fspath(src), None, os.fspath(dst))

    return rename


@pytest.mark.parametrize("name", ["replace", "rename"])
def test_disk_full_at_commit_is_one_output_error(tmp_path, monkeypatch, name):
    is_folder = name == "rename"  # a file is committed by os.replace, a folder by os.rename
    target = tmp_path / "new" / ("frames" if is_folder else "out.bin")
    monkeypatch.setattr(os, name, _refuse(errno.ENOSPC))
    with pytest.raises(OutputError) as caught:
        with AtomicOutput(target, is_folder=is_folder) as out:
            if is_folder:
                out.temp.mkdir()
                (out.temp / "00000.png").write_bytes(b"x")
            else:
                out.temp.write_bytes(b"data")
    message = str(caught.value)
    assert isinstance(caught.value, InputError) and "\n" not in message
    assert str(target) in message and "disk is full" in message, message
    assert caught.value.__cause__.errno == errno.ENOSPC
    assert list(tmp_path.iterdir()) == []  # temporary output and the created parent are gone


def test_target_turned_into_a_folder_before_commit(tmp_path):
    target = tmp_path / "out.mp4"
    with pytest.raises(OutputError, match="folder of that name is in the way"):
        with AtomicOutput(target) as out:
            out.temp.write_bytes(b"video")
            target.mkdir()  # another process made a folder there meanwhile
            (target / "theirs.txt").write_text("keep")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.mp4"]
    assert [p.name for p in target.iterdir()] == ["theirs.txt"]


def test_failed_folder_commit_puts_the_old_folder_back(tmp_path, monkeypatch):
    target = tmp_path / "frames"
    target.mkdir()
    (target / "00000.png").write_bytes(b"old")
    real_rename = os.rename

    def rename(src, dst):
        if PARTIAL_MARK in os.fspath(src):  # moving the old folder aside works; the new one fails
            raise PermissionError(errno.EACCES, "Permission denied", os.fspath(src))
        real_rename(src, dst)

    monkeypatch.setattr(os, "rename", rename)
    with pytest.raises(OutputError, match="permission denied"):
        with AtomicOutput(target, is_folder=True) as out:
            out.temp.mkdir()
            (out.temp / "00000.png").write_bytes(b"new")
    assert [p.name for p in tmp_path.iterdir()] == ["frames"]
    assert (target / "00000.png").read_bytes() == b"old"


# -- failures while writing ------------------------------------------------------------------------


def test_error_about_the_temporary_output_becomes_output_error(tmp_path):
    target = tmp_path / "out.bin"
    with pytest.raises(OutputError, match="permission denied"):
        with AtomicOutput(target) as out:
            raise PermissionError(errno.EACCES, "Permission denied", str(out.temp))
    assert list(tmp_path.iterdir()) == []


def test_disk_full_while_writing_becomes_output_error(tmp_path):
    with pytest.raises(OutputError, match="disk is full"):
        with AtomicOutput(tmp_path / "new" / "out.bin") as out:
            out.temp.write_bytes(b"half")
            raise OSError(errno.ENOSPC, "No space left on device")  # a write() names no file
    assert list(tmp_path.iterdir()) == []


def test_unrelated_os_error_passes_through(tmp_path):
    with pytest.raises(FileNotFoundError) as caught:
        with AtomicOutput(tmp_path / "out.bin") as out:
            out.temp.write_bytes(b"half")
            open(tmp_path / "no-such-input.bin", "rb")  # an input missing is not about the output
    assert not isinstance(caught.value, OutputError)
    assert list(tmp_path.iterdir()) == []


# -- outputs that cannot be written, refused up front ---------------------------------------------


@pytest.fixture
def immutable_folder(tmp_path):
    """A folder nobody, root included, may create files in (chattr +i; else chmod for non-root)."""
    folder = tmp_path / "locked"
    folder.mkdir()
    done = subprocess.run(["chattr", "+i", str(folder)], capture_output=True) if _has("chattr") else None
    if done is not None and done.returncode == 0:
        yield folder
        subprocess.run(["chattr", "-i", str(folder)], check=True)
        return
    if os.geteuid() == 0:
        pytest.skip("needs chattr +i on this file system, or a non-root user, for a folder root cannot write")
    folder.chmod(0o555)
    yield folder
    folder.chmod(0o755)


def _has(program: str) -> bool:
    import shutil

    return shutil.which(program) is not None


def test_check_writable_accepts_new_paths_and_creates_nothing(tmp_path):
    check_writable(tmp_path / "a" / "b" / "out.mp4")
    check_writable(tmp_path / "frames", is_folder=True)
    (tmp_path / "old.mp4").write_bytes(b"x")
    check_writable(tmp_path / "old.mp4")  # overwriting a file is fine
    assert [p.name for p in tmp_path.iterdir()] == ["old.mp4"]


@pytest.mark.parametrize(
    "where,is_folder,pattern",
    [
        ("file/out.mp4", False, "file is a file, not a folder"),
        ("file/deeper/out.mp4", False, "file is a file, not a folder"),
        ("folder", False, "is an existing folder"),
        ("file", True, "is an existing file"),
    ],
)
def test_check_writable_refuses_what_is_in_the_way(tmp_path, where, is_folder, pattern):
    (tmp_path / "file").write_text("mine")
    (tmp_path / "folder").mkdir()
    with pytest.raises(OutputError, match=pattern):
        check_writable(tmp_path / where, is_folder)
    with pytest.raises(OutputError, match=pattern):
        with AtomicOutput(tmp_path / where, is_folder):
            pass
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file", "folder"]


@pytest.mark.parametrize("where", ["/proc/vfi-test.mp4", "/proc/vfi-new/out.mp4", "/sys/vfi-test.mp4"])
def test_check_writable_refuses_pseudo_file_systems(where):
    mount = Path("/", Path(where).parts[1])
    if not mount.is_dir():
        pytest.skip(f"no {mount} on this system")
    with pytest.raises(OutputError, match="does not accept new files"):
        check_writable(where)
    assert not Path(where).exists()


def test_read_only_folder_is_refused_before_writing(immutable_folder):
    for target in (immutable_folder / "out.mp4", immutable_folder / "new" / "out.mp4"):
        with pytest.raises(OutputError, match=f"folder {immutable_folder} does not accept new files"):
            with AtomicOutput(target) as out:
                out.temp.write_bytes(b"never")  # not reached
    assert list(immutable_folder.iterdir()) == []


def test_write_artifact_commit_failure_leaves_neither_file(tmp_path, monkeypatch):
    from vfi.core.sidecar import write_artifact

    monkeypatch.setattr(os, "replace", _refuse(errno.ENOSPC))
    with pytest.raises(OutputError, match="disk is full"):
        write_artifact(tmp_path / "model.onnx", {"kind": "onnx"}, lambda temp: Path(temp).write_bytes(b"graph"))
    assert list(tmp_path.iterdir()) == []
