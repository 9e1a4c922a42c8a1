"""The one atomic-write routine: complete or absent, every failure path cleans up."""

from __future__ import annotations

import pytest

from vfi.core.atomic import PARTIAL_MARK, AtomicOutput, atomic_write_bytes, atomic_write_text


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
    with pytest.raises(FileNotFoundError):
        with AtomicOutput(target):
            pass  # nothing written: the rename fails, and nothing is left behind
    assert list(tmp_path.iterdir()) == []
    assert atomic_write_bytes(tmp_path / "b.bin", memoryview(b"ab")).read_bytes() == b"ab"
