import numpy as np
import pytest
from PIL import Image

from vfi.core.errors import InputError
from vfi.runtime.frame_folder_io import FrameFolderReader, FrameFolderWriter, is_replaceable_output


def _save(path, height=40, width=48, value=0):
    Image.fromarray(np.full((height, width, 3), value, np.uint8)).save(path)


def test_natural_order_and_jpg(tmp_path):
    for i in (10, 2, 1):
        _save(tmp_path / f"frame{i}.png", value=i)
    _save(tmp_path / "frame3.jpg", value=3)
    (tmp_path / "notes.txt").write_text("ignored")
    reader = FrameFolderReader(tmp_path)
    assert [p.name for p in reader.files] == ["frame1.png", "frame2.png", "frame3.jpg", "frame10.png"]
    assert (reader.width, reader.height, reader.frame_count) == (48, 40, 4)
    assert [int(f[0, 0, 0]) for f in reader][:2] == [1, 2]


def test_size_mismatch_names_the_file(tmp_path):
    _save(tmp_path / "a.png")
    _save(tmp_path / "b.png")
    _save(tmp_path / "c.png", height=41)
    with pytest.raises(InputError, match=r"c\.png.*one size"):
        FrameFolderReader(tmp_path)


def test_empty_folder(tmp_path):
    with pytest.raises(InputError, match="no"):
        FrameFolderReader(tmp_path)


def test_writer_names_and_replaceable(tmp_path):
    writer = FrameFolderWriter(tmp_path / "out")
    for value in range(3):
        writer.write(np.full((32, 32, 3), value, np.uint8))
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["00000.png", "00001.png", "00002.png"]
    assert is_replaceable_output(tmp_path / "out")
    (tmp_path / "out" / "keep.txt").write_text("x")
    assert not is_replaceable_output(tmp_path / "out")
