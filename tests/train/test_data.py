import numpy as np
import pytest
import torch
from PIL import Image
from torch.utils.data import DataLoader

from vfi.core.errors import InputError
from vfi.core.synthetic_scene import Shape, SyntheticScene
from vfi.train.augment import (
    Augment,
    center_crop,
    flip_horizontal,
    flip_vertical,
    permute_channels,
    random_crop,
    reverse_time,
    seed_worker,
)
from vfi.train.data import build_dataset


def _frame(value: int, h=16, w=24) -> np.ndarray:
    """A frame whose pixels encode (value, row, column), so crops and frame identity are checkable."""
    ys, xs = np.mgrid[0:h, 0:w]
    return np.stack([np.full((h, w), value), ys * 8, xs * 8], axis=-1).astype(np.uint8)


def _save(frame: np.ndarray, path):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(frame).save(path)


def _u8(tensor: torch.Tensor) -> np.ndarray:
    return np.rint(tensor.numpy().transpose(1, 2, 0) * 255).astype(np.uint8)


def _sample(h=12, w=10, t=0.25):
    g = torch.Generator().manual_seed(0)
    return {k: torch.rand(3, h, w, generator=g) for k in ("img0", "img1", "gt")} | {"t": torch.tensor(t)}


# -- synthetic ---------------------------------------------------------------------------------
def test_synthetic_samples_are_deterministic_and_well_formed():
    ds = build_dataset("synthetic", crop=(32, 48), length=3, arbitrary_t=True, seed=7)
    a, b = ds[1], build_dataset("synthetic", crop=(32, 48), length=3, arbitrary_t=True, seed=7)[1]
    for key in ("img0", "img1", "gt"):
        assert a[key].shape == (3, 32, 48) and a[key].dtype == torch.float32
        assert 0 <= float(a[key].min()) and float(a[key].max()) <= 1
        torch.testing.assert_close(a[key], b[key], rtol=0, atol=0)
    assert a["t"].shape == () and 0 < float(a["t"]) < 1
    assert not torch.equal(ds[0]["img0"], a["img0"])
    val = build_dataset("synthetic", split="val", crop=(32, 48), length=3, arbitrary_t=True, seed=7)
    assert not torch.equal(val[1]["img0"], a["img0"])  # the val split is a different set
    middle = build_dataset("synthetic", crop=32, length=1)[0]
    assert float(middle["t"]) == 0.5 and not torch.equal(middle["gt"], middle["img0"])
    batch = next(iter(DataLoader(ds, batch_size=3)))
    assert batch["img0"].shape == (3, 3, 32, 48) and batch["t"].shape == (3,)


def test_nonlinear_sprite_motion_is_exact():
    flat = [np.zeros((64, 64, 3), np.float32), np.ones((64, 64, 3), np.float32)]
    shape = Shape("box", (24.0, 20.0), (2.0, 0.0), (6.0, 3.0), 1, (0, 0), acceleration=(0.0, 4.0), spin=np.pi / 2, zoom=0.5)
    scene = SyntheticScene(40, 48, flat, (0.0, 0.0), (0.0, 0.0), shapes=[shape])
    assert shape.center_at(1.0) == pytest.approx((26.0, 22.0))  # curved: c + v t + a t^2 / 2
    ys, xs = np.mgrid[0:40, 0:48]
    for t in (0.0, 0.5, 1.0):
        mask = scene.render_float(t)[..., 0]
        centroid = ((mask * xs).sum() / mask.sum(), (mask * ys).sum() / mask.sum())
        assert centroid == pytest.approx(shape.center_at(t), abs=0.05)
        assert mask.sum() == pytest.approx(4 * 6 * 3 * np.exp(2 * 0.5 * t), rel=0.03)  # area grows with zoom^2
    # A quarter turn at t = 1 makes the wide box tall.
    mask = scene.render_float(1.0)[..., 0] > 0.5
    assert np.ptp(np.nonzero(mask)[0]) > np.ptp(np.nonzero(mask)[1])


# -- vimeo90k ----------------------------------------------------------------------------------
def _vimeo(root, prefix, n_frames, names=("00001/0001", "00001/0002")):
    root.mkdir(parents=True, exist_ok=True)
    for split in ("train", "test"):
        (root / f"{prefix}_{split}list.txt").write_text("\n".join(names) + "\n")
    for s, name in enumerate(names):
        for i in range(1, n_frames + 1):
            _save(_frame(10 * s + i), root / "sequences" / name / f"im{i}.png")
    return root


def test_vimeo_triplets(tmp_path):
    root = _vimeo(tmp_path, "tri", 3)
    val = build_dataset("vimeo90k", root, split="val", crop=(8, 12))
    assert len(val) == 2
    s = val[1]
    assert float(s["t"]) == 0.5
    assert [int(_u8(s[k])[0, 0, 0]) for k in ("img0", "gt", "img1")] == [11, 12, 13]
    # Centre crop: rows 4..11, columns 6..17 of the 16x24 frame.
    assert _u8(s["gt"])[0, 0, 1] == 4 * 8 and _u8(s["gt"])[0, 0, 2] == 6 * 8
    again = build_dataset("vimeo90k", root, split="val", crop=(8, 12))[1]
    assert all(torch.equal(s[k], again[k]) for k in s)
    train = build_dataset("vimeo90k", root, split="train", crop=8, seed=3)
    sample = train[0]
    assert sample["img0"].shape == (3, 8, 8)
    # Whatever the augmentation, the frames stay aligned (same crop, flips and channel order): they
    # differ only in the channel that holds the frame number.
    frames = [sample[k] for k in ("img0", "img1", "gt")]
    for other in frames[1:]:
        assert sum(torch.equal(frames[0][c], other[c]) for c in range(3)) == 2


def test_vimeo_septuplets_give_every_k_over_6(tmp_path):
    root = _vimeo(tmp_path, "sep", 7, names=("00002/0001",))
    val = build_dataset("vimeo90k", root, split="val", crop=None, arbitrary_t=True)
    assert len(val) == 5
    for k in range(1, 6):
        s = val[k - 1]
        assert float(s["t"]) == pytest.approx(k / 6)
        assert int(_u8(s["gt"])[0, 0, 0]) == k + 1 and int(_u8(s["img0"])[0, 0, 0]) == 1
    with pytest.raises(InputError, match="septuplet"):
        build_dataset("vimeo90k", _vimeo(tmp_path / "tri", "tri", 3), arbitrary_t=True)


def test_vimeo_errors_name_the_file(tmp_path):
    with pytest.raises(InputError, match="tri_trainlist.txt"):
        build_dataset("vimeo90k", tmp_path)
    root = _vimeo(tmp_path / "v", "tri", 3)
    (root / "sequences" / "00001" / "0002" / "im2.png").unlink()
    ds = build_dataset("vimeo90k", root, split="val", crop=8)
    with pytest.raises(InputError, match="0002.im2.png"):
        ds[1]
    (root / "tri_testlist.txt").write_text("99999/0001\n")
    with pytest.raises(InputError, match="99999"):
        build_dataset("vimeo90k", root, split="val")
    with pytest.raises(InputError, match="smaller than the crop"):
        build_dataset("vimeo90k", _vimeo(tmp_path / "w", "tri", 3), split="val", crop=64)[0]


# -- frames and video --------------------------------------------------------------------------
def test_frame_folders_windows(tmp_path):
    for i in range(5):
        _save(_frame(i), tmp_path / "clipA" / f"{i:03d}.png")
    for i in range(3):
        _save(_frame(50 + i), tmp_path / "clipB" / f"{i:03d}.png")
    ds = build_dataset("frames", tmp_path, split="val", crop=8)
    assert len(ds) == 3 + 1
    assert [int(_u8(ds[1][k])[0, 0, 0]) for k in ("img0", "gt", "img1")] == [1, 2, 3]
    wide = build_dataset("frames", tmp_path / "clipA", split="val", crop=None, arbitrary_t=True, window=5, stride=2)
    assert len(wide) == 3 and [float(wide[i]["t"]) for i in range(3)] == [0.25, 0.5, 0.75]
    with pytest.raises(InputError, match="at least 7 frames"):
        build_dataset("frames", tmp_path, arbitrary_t=True)
    with pytest.raises(InputError, match="not a directory"):
        build_dataset("frames", tmp_path / "nothing")


def test_video_windows(tmp_path):
    from vfi.core.synthetic_scene import make_scene
    from vfi.runtime.video_io import write_video

    scene = make_scene(32, 48, seed=1)
    frames = scene.render_clip(range(5))
    write_video(frames, tmp_path / "clip.mkv")  # FFV1: lossless
    ds = build_dataset("video", tmp_path, split="val", crop=None)
    assert len(ds) == 3
    s = ds[2]
    np.testing.assert_array_equal(_u8(s["gt"]), frames[3])
    np.testing.assert_array_equal(_u8(s["img1"]), frames[4])
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match="no video files"):
        build_dataset("video", tmp_path / "empty")
    (tmp_path / "bad.mp4").write_bytes(b"not a video")
    with pytest.raises(InputError, match="bad.mp4"):
        build_dataset("video", tmp_path / "bad.mp4")


def test_build_dataset_rejects_unknown_kind_and_option(tmp_path):
    with pytest.raises(InputError, match="dataset kind .* is unknown"):
        build_dataset("imagenet")
    with pytest.raises(InputError, match="window"):
        build_dataset("synthetic", window=3)
    with pytest.raises(InputError, match="needs a root"):
        build_dataset("vimeo90k")


# -- augmentation ------------------------------------------------------------------------------
def test_temporal_reversal_swaps_inputs_and_maps_t():
    s = _sample(t=0.25)
    r = reverse_time(s)
    assert torch.equal(r["img0"], s["img1"]) and torch.equal(r["img1"], s["img0"]) and torch.equal(r["gt"], s["gt"])
    assert float(r["t"]) == 0.75 and r["t"].dtype == torch.float32
    assert float(reverse_time(r)["t"]) == 0.25


def test_flips_and_channel_permutation_act_on_all_frames_alike():
    s = _sample()
    for flip, dim in ((flip_horizontal, -1), (flip_vertical, -2)):
        f = flip(s)
        for k in ("img0", "img1", "gt"):
            assert torch.equal(f[k], torch.flip(s[k], dims=(dim,)))
        assert torch.equal(flip(f)["gt"], s["gt"]) and f["t"] is s["t"]
    p = permute_channels(s, [2, 0, 1])
    for k in ("img0", "img1", "gt"):
        assert torch.equal(p[k][0], s[k][2]) and torch.equal(p[k][1], s[k][0])


def test_crops_take_the_same_window_of_every_frame():
    s = _sample(h=12, w=10)
    c = random_crop(s, (4, 6), np.random.default_rng(1))
    assert c["gt"].shape == (3, 4, 6)
    # Find the window in the source and check all frames used it.
    src = s["gt"].unfold(1, 4, 1).unfold(2, 6, 1)  # [3, 9, 5, 4, 6]
    where = (src == c["gt"][:, None, None]).flatten(-2).all(-1).all(0).nonzero()[0]
    top, left = int(where[0]), int(where[1])
    for k in ("img0", "img1"):
        assert torch.equal(c[k], s[k][:, top : top + 4, left : left + 6])
    cc = center_crop(s, 4)
    assert torch.equal(cc["img0"], s["img0"][:, 4:8, 3:7])


def test_augment_is_reproducible_from_its_seed():
    s = _sample(h=16, w=16)
    a, b, c = Augment(8, seed=5), Augment(8, seed=5), Augment(8, seed=6)
    outs_a = [a(s) for _ in range(4)]
    outs_b = [b(s) for _ in range(4)]
    outs_c = [c(s) for _ in range(4)]
    assert all(torch.equal(x["gt"], y["gt"]) and torch.equal(x["t"], y["t"]) for x, y in zip(outs_a, outs_b))
    assert not all(torch.equal(x["gt"], y["gt"]) for x, y in zip(outs_a, outs_c))


def test_seeded_loader_with_workers_is_reproducible(tmp_path):
    for i in range(6):
        _save(_frame(i, 24, 24), tmp_path / f"{i:03d}.png")

    def run():
        ds = build_dataset("frames", tmp_path, crop=8, seed=0)
        loader = DataLoader(
            ds,
            batch_size=2,
            shuffle=True,
            num_workers=2,
            worker_init_fn=seed_worker,
            generator=torch.Generator().manual_seed(123),
        )
        return [b for b in loader]

    first, second = run(), run()
    for x, y in zip(first, second):
        assert all(torch.equal(x[k], y[k]) for k in x)
