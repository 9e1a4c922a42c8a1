"""Outputs the system will not take, and final renames that fail, from the command line: one line
on stderr (``vfi: error: cannot write PATH: ...``), exit code 2, no traceback, nothing left behind
(no ``.partial-`` file or folder, no created parent folders). Also unreadable inputs."""

from __future__ import annotations

import errno
import os
import subprocess
from pathlib import Path

import pytest
from cli_runs import assert_one_line_error, run_cli

from vfi.core.atomic import PARTIAL_MARK, AtomicOutput


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    """A small RIFE 4.0 fast checkpoint with random weights."""
    import vfi.models

    path = tmp_path_factory.mktemp("ckpt") / "tiny.safetensors"
    return vfi.models.save(vfi.models.create("rife-4.0-fast", block_widths=(8, 8, 8, 8)), path)


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    from vfi.core.frames import write_png_folder
    from vfi.core.synthetic_scene import make_scene

    return write_png_folder(make_scene(64, 64, seed=0).render_clip(range(3)), tmp_path_factory.mktemp("clip") / "in")


@pytest.fixture
def outputs(tmp_path):
    """A folder holding one file of the user's; a failed run must leave it exactly so."""
    folder = tmp_path / "outputs"
    folder.mkdir()
    (folder / "somefile").write_text("mine")
    return folder


def _untouched(folder: Path) -> None:
    assert sorted(p.name for p in folder.rglob("*")) == ["somefile"], list(folder.rglob("*"))


def _interpolate(clip, output, checkpoint, capsys):
    return run_cli(["interpolate", clip, "-o", output, "-m", checkpoint, "--backend", "torch", "-q"], capsys)


@pytest.fixture
def immutable_folder(outputs):
    """A folder inside `outputs` nobody may create files in, root included (chattr +i)."""
    import shutil

    folder = outputs / "locked"
    folder.mkdir()
    if shutil.which("chattr") and subprocess.run(["chattr", "+i", str(folder)], capture_output=True).returncode == 0:
        yield folder
        subprocess.run(["chattr", "-i", str(folder)], check=True)
    elif os.geteuid() != 0:
        folder.chmod(0o555)
        yield folder
        folder.chmod(0o755)
    else:
        pytest.skip("needs chattr +i on this file system, or a non-root user, for a folder root cannot write")
    folder.rmdir()


# -- unwritable outputs, up front --------------------------------------------------------------------


@pytest.mark.parametrize(
    "where,pattern",
    [
        ("somefile/out.mp4", "somefile is a file, not a folder"),
        ("somefile/deeper/out.mp4", "somefile is a file, not a folder"),
        ("somefile/frames", "somefile is a file, not a folder"),
    ],
)
def test_file_used_as_a_folder(clip, outputs, checkpoint, capsys, where, pattern):
    code, _, err = _interpolate(clip, outputs / where, checkpoint, capsys)
    assert code == 2
    assert_one_line_error(code, err, "cannot write")
    assert pattern in err
    _untouched(outputs)


@pytest.mark.parametrize("where", ["/proc/vfi-test.mp4", "/proc/vfi-test-frames", "/sys/vfi-test.mkv"])
def test_pseudo_file_system(clip, checkpoint, capsys, where):
    if not Path("/", Path(where).parts[1]).is_dir():
        pytest.skip(f"no /{Path(where).parts[1]} on this system")
    code, _, err = _interpolate(clip, where, checkpoint, capsys)
    assert code == 2
    assert_one_line_error(code, err, f"cannot write {where}: folder /{Path(where).parts[1]} does not accept new files")
    assert not Path(where).exists()


@pytest.mark.parametrize("name", ["out.mp4", "new/deeper/out.mkv", "frames"])
def test_read_only_folder(clip, outputs, immutable_folder, checkpoint, capsys, name):
    code, _, err = _interpolate(clip, immutable_folder / name, checkpoint, capsys)
    assert code == 2
    assert_one_line_error(code, err, f"folder {immutable_folder} does not accept new files")
    assert list(immutable_folder.iterdir()) == []


# -- failures while writing and at the final rename ------------------------------------------------


def test_disk_full_at_the_final_rename(clip, outputs, checkpoint, capsys, monkeypatch):
    real_replace = os.replace

    def replace(src, dst):
        if PARTIAL_MARK in os.fspath(src):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), os.fspath(src), None, os.fspath(dst))
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", replace)
    output = outputs / "new" / "out.mp4"
    code, _, err = _interpolate(clip, output, checkpoint, capsys)
    assert code == 2
    assert_one_line_error(code, err, f"cannot write {output}: the final rename failed: the disk is full")
    _untouched(outputs)


def test_target_became_a_folder_before_the_rename(clip, outputs, checkpoint, capsys, monkeypatch):
    commit = AtomicOutput.commit

    def commit_after_a_folder_appeared(self):
        self.target.mkdir()
        commit(self)

    monkeypatch.setattr(AtomicOutput, "commit", commit_after_a_folder_appeared)
    output = outputs / "out.mp4"
    code, _, err = _interpolate(clip, output, checkpoint, capsys)
    assert code == 2
    assert_one_line_error(code, err, f"cannot write {output}: a folder of that name is in the way")
    output.rmdir()  # the folder "someone else" made; ours left nothing
    _untouched(outputs)


def test_disk_full_while_encoding(clip, outputs, checkpoint, capsys, monkeypatch):
    from vfi.runtime.video_io import VideoWriter

    written = []

    def write(self, frame, *args, **kwargs):
        written.append(frame)
        if len(written) == 2:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(VideoWriter, "write", write)
    output = outputs / "new" / "out.mkv"
    code, _, err = _interpolate(clip, output, checkpoint, capsys)
    assert code == 2
    assert_one_line_error(code, err, f"cannot write {output}: the disk is full")
    _untouched(outputs)


# -- vfi export -----------------------------------------------------------------------------------


@pytest.mark.slow
def test_export_to_a_pseudo_file_system(checkpoint, capsys):
    code, _, err = run_cli(["export", checkpoint, "-o", "/proc/vfi-test.onnx", "--shape", "64x64"], capsys)
    assert code == 2
    assert_one_line_error(code, err, "does not accept new files")
    assert not Path("/proc/vfi-test.onnx").exists()


@pytest.mark.slow
def test_export_disk_full_at_the_final_rename(checkpoint, outputs, capsys, monkeypatch):
    def replace(src, dst):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), os.fspath(src), None, os.fspath(dst))

    monkeypatch.setattr(os, "replace", replace)
    output = outputs / "new" / "model.onnx"
    code, _, err = run_cli(["export", checkpoint, "-o", output, "--shape", "64x64"], capsys)
    assert code == 2
    assert_one_line_error(code, err, "the disk is full")
    _untouched(outputs)


# -- unreadable inputs ------------------------------------------------------------------------------


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads a file whatever its permissions")
def test_unreadable_video(clip, outputs, checkpoint, capsys, tmp_path):
    from vfi.core.synthetic_scene import make_scene
    from vfi.runtime.video_io import write_video

    video = write_video(make_scene(64, 64).render_clip(range(3)), tmp_path / "locked.mkv")
    video.chmod(0)
    code, _, err = _interpolate(video, outputs / "out.mp4", checkpoint, capsys)
    assert code == 2
    assert_one_line_error(code, err, "not a readable video")
    _untouched(outputs)


def test_video_the_system_refuses_to_open(outputs, checkpoint, capsys, tmp_path, monkeypatch):
    """As `test_unreadable_video` where it cannot run (as root): FFmpeg's EACCES is one line."""
    import av

    video = tmp_path / "locked.mkv"
    video.write_bytes(b"\x1aE\xdf\xa3")

    def refuse(path, *args, **kwargs):
        if os.fspath(path) == str(video):
            raise av.error.PermissionError(errno.EACCES, "Permission denied", str(path))
        raise AssertionError(f"unexpected av.open({path!r})")

    monkeypatch.setattr(av, "open", refuse)
    code, _, err = _interpolate(video, outputs / "out.mp4", checkpoint, capsys)
    assert code == 2
    assert_one_line_error(code, err, "not a readable video ([Errno 13] Permission denied")
    _untouched(outputs)
