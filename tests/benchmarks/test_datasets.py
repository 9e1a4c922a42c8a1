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
    assert set(names()) == {"middlebury", "vimeo90k", "vimeo90k-septuplet", "ucf101", "snu-film", "triplets", "video", "frames"}


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


# -- windows for models with context frames ------------------------------------------------------


def _tagged_frames(count: int) -> list[np.ndarray]:
    """Frames whose value is their index (so a sample's frames can be told apart)."""
    return [np.full((8, 8, 3), index, np.uint8) for index in range(count)]


def _indices(triplet) -> list[int]:
    return [int(f[0, 0, 0]) for f in (triplet.frame0, triplet.gt, triplet.frame1, *triplet.context)]


@pytest.mark.parametrize(
    ("count", "context", "expected"),
    [
        (7, 1, [[0, 1, 2], [2, 3, 4], [4, 5, 6]]),
        # img0, gt, img1, then I_-1 and I_2 at the kept spacing; the ends repeat the first / last kept frame.
        (9, 2, [[0, 1, 2, 0, 4], [2, 3, 4, 0, 6], [4, 5, 6, 2, 8], [6, 7, 8, 4, 8]]),
        (8, 2, [[0, 1, 2, 0, 4], [2, 3, 4, 0, 6], [4, 5, 6, 2, 6]]),  # the last odd frame has no right neighbour
        (3, 3, [[0, 1, 2, 0, 2, 0, 2]]),
    ],
)
def test_drop_frame_windows(count, context, expected):
    from vfi.benchmarks.datasets.drop_frame import drop_frame_triplets

    samples = list(drop_frame_triplets(iter(_tagged_frames(count)), context))
    assert [_indices(s) for s in samples] == expected
    assert [s.name for s in samples] == [f"frame{2 * j + 1:06d}" for j in range(len(expected))]
    assert len(list(drop_frame_triplets(iter(_tagged_frames(count)), context, limit=1))) == 1


def test_frames_folder_and_video_give_windows(tmp_path):
    for index, frame in enumerate(_tagged_frames(7)):
        save(tmp_path / "clip" / f"f{index}.png", frame)
    samples = list(open_dataset("frames", tmp_path / "clip", context=2))
    assert [_indices(s) for s in samples] == [[0, 1, 2, 0, 4], [2, 3, 4, 0, 6], [4, 5, 6, 2, 6]]
    video = write_video(tmp_path / "clip.mkv", frames=7)
    windows = list(open_dataset("video", video, context=2))
    pairs = list(open_dataset("video", video))
    assert len(windows) == len(pairs) == 3 and all(len(w.context) == 2 for w in windows)
    np.testing.assert_array_equal(windows[1].context[0], pairs[0].frame0)  # I_-1 of sample 1 is frame 0
    np.testing.assert_array_equal(windows[1].context[1], pairs[2].frame1)  # I_2 of sample 1 is frame 6


def test_vimeo90k_septuplets_for_context_models(tmp_path):
    root = tmp_path / "vimeo"
    for entry in ("00001/0001", "00001/0002"):
        for index, frame in enumerate(_tagged_frames(7)):
            save(root / "sequences" / entry / f"im{index + 1}.png", frame)
    (root / "sep_testlist.txt").write_text("00001/0001\n00001/0002\n")
    assert [_indices(s) for s in open_dataset("vimeo90k-septuplet", root, context=2)] == [[2, 3, 4, 0, 6]] * 2
    assert [_indices(s) for s in open_dataset("vimeo90k-septuplet", root)] == [[2, 3, 4]] * 2
    with pytest.raises(InputError) as info:
        open_dataset("vimeo90k-septuplet", root, context=3)
    assert "longer clips" in _one_line(info)


def test_triplet_datasets_refuse_context_models(tmp_path):
    root = write_middlebury(tmp_path / "mb")
    with pytest.raises(InputError) as info:
        open_dataset("middlebury", root, context=2)
    message = _one_line(info)
    assert "holds triplets" in message and "vimeo90k-septuplet" in message and "frames" in message
