"""Each dataset adapter on a tiny generated layout, and malformed layouts as one-line errors."""

from __future__ import annotations

import numpy as np
import pytest
from dataset_layouts import (
    moving_triplet,
    save,
    write_middlebury,
    write_snu,
    write_triplets,
    write_ucf,
    write_video,
    write_vimeo,
)

from vfi.benchmarks.datasets import names, open_dataset
from vfi.core.errors import InputError


def _one_line(exc_info) -> str:
    message = str(exc_info.value)
    assert "\n" not in message
    return message


def test_every_dataset_name_has_an_adapter():
    assert set(names()) == {"middlebury", "vimeo90k", "ucf101", "snu-film", "triplets", "video"}


def test_middlebury_reads_sequences_in_order_with_ground_truth(tmp_path):
    root = write_middlebury(tmp_path / "mb", sequences=("Beta", "Alpha"))
    data = open_dataset("middlebury", root)
    samples = list(data)
    assert data.count == 2 and [s.name for s in samples] == ["Alpha", "Beta"]
    f0, mid, f1 = moving_triplet(seed=1)  # "Alpha" was written second
    assert np.array_equal(samples[0].frame0, f0) and np.array_equal(samples[0].gt, mid) and np.array_equal(samples[0].frame1, f1)
    assert samples[0].t == 0.5
    assert len(list(open_dataset("middlebury", root, limit=1))) == 1


def test_middlebury_missing_ground_truth_names_the_file(tmp_path):
    root = write_middlebury(tmp_path / "mb")
    (root / "gt" / "Beta" / "frame10i11.png").unlink()
    with pytest.raises(InputError) as info:
        open_dataset("middlebury", root)
    message = _one_line(info)
    assert "gt/Beta/frame10i11.png" in message and "expected" in message


def test_middlebury_without_input_folder(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match="input is not a folder"):
        open_dataset("middlebury", tmp_path / "empty")


def test_missing_root_and_unknown_dataset(tmp_path):
    with pytest.raises(InputError, match="does not exist"):
        open_dataset("middlebury", tmp_path / "nowhere")
    with pytest.raises(InputError, match="dataset .* is unknown"):
        open_dataset("kitti", tmp_path)


def test_vimeo90k_triplets_and_bad_list_line(tmp_path):
    root = write_vimeo(tmp_path / "vimeo")
    samples = list(open_dataset("vimeo90k", root))
    assert [s.name for s in samples] == ["00001/0001", "00001/0002"]
    f0, mid, f1 = moving_triplet(32, 40, seed=0)
    assert np.array_equal(samples[0].gt, mid) and np.array_equal(samples[0].frame1, f1)
    (root / "tri_testlist.txt").write_text("00001/0001\nnot-a-pair\n")
    with pytest.raises(InputError) as info:
        open_dataset("vimeo90k", root)
    assert "line 2" in _one_line(info)
    (root / "tri_testlist.txt").unlink()
    with pytest.raises(InputError, match="tri_testlist.txt"):
        open_dataset("vimeo90k", root)


def test_vimeo90k_missing_frame(tmp_path):
    root = write_vimeo(tmp_path / "vimeo")
    (root / "sequences" / "00001" / "0002" / "im3.png").unlink()
    with pytest.raises(InputError, match=r"0002/im3.png"):
        open_dataset("vimeo90k", root)


def test_ucf101_natural_order_and_missing_gt(tmp_path):
    root = write_ucf(tmp_path / "ucf")
    assert [s.name for s in open_dataset("ucf101", root)] == ["1", "2", "10"]
    (root / "2" / "frame_01_gt.png").unlink()
    with pytest.raises(InputError) as info:
        open_dataset("ucf101", root)
    assert "frame_01_gt.png" in _one_line(info)


def test_snu_film_strips_the_list_prefix_and_needs_a_split(tmp_path):
    root = write_snu(tmp_path / "snu", "hard")
    samples = list(open_dataset("snu-film", root, split="hard"))
    assert len(samples) == 2
    _, mid, f1 = moving_triplet(32, 40, seed=1)
    assert np.array_equal(samples[1].gt, mid) and np.array_equal(samples[1].frame1, f1)
    with pytest.raises(InputError, match="needs a split"):
        open_dataset("snu-film", root)
    with pytest.raises(InputError, match="test-easy.txt"):
        open_dataset("snu-film", root, split="easy")
    with pytest.raises(InputError, match="unknown split"):
        open_dataset("snu-film", root, split="insane")
    listing = root / "eval_modes" / "test-hard.txt"
    listing.write_text(listing.read_text() + "only/two.png paths.png\n")
    with pytest.raises(InputError) as info:
        open_dataset("snu-film", root, split="hard")
    assert "line 3 has 2 paths" in _one_line(info)


def test_triplets_generic_folders(tmp_path):
    root = write_triplets(tmp_path / "tri")
    samples = list(open_dataset("triplets", root))
    f0, mid, f1 = moving_triplet(32, 40, seed=0)
    assert np.array_equal(samples[0].frame0, f0) and np.array_equal(samples[0].gt, mid)
    (root / "sample1" / "c.png").unlink()
    with pytest.raises(InputError) as info:
        open_dataset("triplets", root)
    assert "holds 2 frames" in _one_line(info)


def test_size_mismatch_within_a_sample_is_reported_when_read(tmp_path):
    root = write_triplets(tmp_path / "tri", count=1)
    save(root / "sample0" / "b.png", np.zeros((16, 16, 3), np.uint8))
    with pytest.raises(InputError, match="differ in size"):
        list(open_dataset("triplets", root))


def test_unreadable_image_names_the_file(tmp_path):
    root = write_triplets(tmp_path / "tri", count=1)
    (root / "sample0" / "a.png").write_bytes(b"not a png")
    with pytest.raises(InputError, match="a.png: not a readable image"):
        list(open_dataset("triplets", root))


def test_video_drop_frame_protocol(tmp_path):
    path = write_video(tmp_path / "clip.mkv", frames=7)
    data = open_dataset("video", path)
    samples = list(data)
    assert len(samples) == 3 and data.count in (3, None)
    # Sample k predicts frame 2k+1 from frames 2k and 2k+2 (scene moves 2 px per frame).
    first = samples[0]
    assert np.array_equal(first.gt[:, :-2], first.frame0[:, 2:]) and np.array_equal(first.frame1[:, :-2], first.gt[:, 2:])
    assert [s.name for s in samples] == ["frame000001", "frame000003", "frame000005"]
    assert len(list(open_dataset("video", path, limit=2))) == 2
    with pytest.raises(InputError, match="is a folder"):
        open_dataset("video", tmp_path)
    (tmp_path / "junk.mp4").write_bytes(b"junk")
    with pytest.raises(InputError, match="not a readable video"):
        open_dataset("video", tmp_path / "junk.mp4")
