import numpy as np

from vfi.core.synthetic_scene import make_scene
from vfi.runtime.scene import DEFAULT_CUT_THRESHOLD, classify_pair, cut_score, nearer_frame


def test_motion_is_not_a_cut_and_different_scenes_are():
    # Faster than the pipeline tests' clips: objects 6 px/frame, background 3 px/frame.
    scenes = [make_scene(64, 96, speed=6.0, background_speed=3.0, seed=seed) for seed in range(4)]
    for scene in scenes:
        a, b = scene.render(0), scene.render(1)
        assert cut_score(a, b) < DEFAULT_CUT_THRESHOLD / 2
        assert classify_pair(a, b) == "motion"
    first = [scene.render(0) for scene in scenes]
    for a, b in zip(first, first[1:]):
        assert classify_pair(a, b) == "cut"


def test_duplicates_and_disabled_threshold():
    frame = np.random.default_rng(0).integers(0, 256, (48, 64, 3), dtype=np.uint8)
    assert classify_pair(frame, frame.copy()) == "duplicate"
    black, white = np.zeros_like(frame), np.full_like(frame, 255)
    assert classify_pair(black, white) == "cut"
    assert classify_pair(black, white, threshold=0) == "motion"


def test_nearer_frame():
    assert [nearer_frame(t) for t in (0.25, 0.49, 0.5, 0.75)] == [0, 0, 1, 1]
