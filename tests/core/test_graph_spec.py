"""The graph interface (`vfi.core.graph_spec`): one definition of names, shapes, axes and feeds."""

from __future__ import annotations

import numpy as np
import pytest

from vfi.core.graph_spec import DEFAULT_OPSET, GraphSpec


@pytest.mark.parametrize(
    "mode,names,timestep",
    [
        ("scalar", ["img0", "img1", "timestep"], [2, 1, 1, 1]),
        ("map", ["img0", "img1", "timestep"], [2, 1, 4, 6]),
        ("fixed", ["img0", "img1"], None),
    ],
)
def test_names_and_shapes_per_timestep_mode(mode, names, timestep):
    spec = GraphSpec(mode, pad_multiple=2)
    assert spec.input_names == names and spec.output_names == ["frame"]
    shapes = spec.shapes(2, 4, 6)
    assert shapes["img0"] == shapes["img1"] == shapes["frame"] == [2, 3, 4, 6]
    assert shapes.get("timestep") == timestep
    assert list(spec.input_shapes(2, 4, 6)) == names


def test_feeds_turn_the_runner_exchange_into_graph_inputs():
    img = np.zeros((2, 3, 4, 6), np.float32)
    t = np.array([0.25, 0.75], np.float32)
    assert GraphSpec("scalar").feeds(img, img, t)["timestep"].shape == (2, 1, 1, 1)
    mapped = GraphSpec("map").feeds(img, img, t)["timestep"]
    assert mapped.shape == (2, 1, 4, 6) and mapped[1].min() == mapped[1].max() == 0.75
    assert "timestep" not in GraphSpec("fixed").feeds(img, img, t)


def test_dynamic_axes_name_the_symbols():
    axes = GraphSpec("map").dynamic_axes()
    assert axes["img0"] == {0: "batch", 2: "height", 3: "width"} and axes["timestep"] == axes["img0"]
    assert GraphSpec("scalar").dynamic_axes(spatial=False)["timestep"] == {0: "batch"}
    assert GraphSpec("scalar").dynamic_axes(batch=False)["timestep"] == {}


def test_rendered_inputs_are_real_motion_in_unit_range():
    feeds = GraphSpec("scalar").rendered_inputs(3, 16, 24, seed=1)
    assert feeds["img0"].shape == (3, 3, 16, 24) and feeds["img0"].dtype == np.float32
    assert 0.0 <= feeds["img0"].min() and feeds["img1"].max() <= 1.0
    assert not np.array_equal(feeds["img0"], feeds["img1"])
    assert feeds["timestep"].reshape(-1).tolist() == pytest.approx([0.25, 0.5, 0.75])
    np.testing.assert_array_equal(feeds["img0"], GraphSpec("scalar").rendered_inputs(3, 16, 24, seed=1)["img0"])


def test_family_fields_come_from_the_registry():
    import vfi.models as vm

    card = vm.create("ifrnet-s").card
    spec = vm.graph_spec(card)
    assert spec.default_opset == DEFAULT_OPSET and spec.timestep_mode == "scalar" and spec.pad_multiple == card.pad_multiple
    with pytest.raises(ValueError, match="timestep_mode"):
        GraphSpec("sometimes")


def test_context_inputs_follow_the_timestep_nearest_first():
    from vfi.core.graph_spec import context_input_names, context_offsets

    assert context_input_names(1) == [] and context_offsets(1) == []
    assert context_input_names(2) == ["img_m1", "img2"] and context_offsets(2) == [-1, 2]
    assert context_input_names(3) == ["img_m1", "img2", "img_m2", "img3"] and context_offsets(3) == [-1, 2, -2, 3]
    spec = GraphSpec("scalar", pad_multiple=8, context=2)
    assert spec.input_names == ["img0", "img1", "timestep", "img_m1", "img2"]
    assert GraphSpec("fixed", context=2).input_names == ["img0", "img1", "img_m1", "img2"]
    shapes = spec.shapes("batch", 64, 96)
    assert shapes["img_m1"] == shapes["img2"] == ["batch", 3, 64, 96] and list(shapes)[-1] == "frame"
    assert spec.dynamic_axes()["img2"] == {0: "batch", 2: "height", 3: "width"}


def test_context_feeds_are_named_and_checked():
    spec = GraphSpec("scalar", context=2)
    rng = np.random.default_rng(0)
    a, b, c, d = (rng.random((2, 3, 8, 8), dtype=np.float32) for _ in range(4))
    feeds = spec.feeds(a, b, np.array([0.25, 0.75], np.float32), (c, d))
    assert list(feeds) == spec.input_names and feeds["img_m1"] is c and feeds["img2"] is d
    assert feeds["timestep"].reshape(-1).tolist() == [0.25, 0.75]
    with pytest.raises(ValueError, match="2 context frames"):
        spec.feeds(a, b, np.array([0.5, 0.5], np.float32))


def test_rendered_context_frames_are_the_scene_at_their_offsets():
    from vfi.core.frames import to_model_input
    from vfi.core.synthetic_scene import make_scene

    feeds = GraphSpec("scalar", context=2).rendered_inputs(1, 32, 48, seed=3)
    scene = make_scene(height=32, width=48, seed=3)
    for name, time in (("img0", 0.0), ("img1", 1.0), ("img_m1", -1.0), ("img2", 2.0)):
        np.testing.assert_array_equal(feeds[name], to_model_input(scene.render(time)))


def test_flow_estimator_interface_and_bad_values():
    spec = GraphSpec("fixed", task="flow")
    assert spec.input_names == ["img0", "img1"] and spec.output_names == ["flow"]
    assert spec.shapes(1, 16, 24)["flow"] == [1, 2, 16, 24]
    for bad in (dict(context=0), dict(context=4), dict(context=True), dict(task="segment")):
        with pytest.raises(ValueError):
            GraphSpec("scalar", **bad)
    with pytest.raises(ValueError, match="flow estimator"):
        GraphSpec("scalar", task="flow")
