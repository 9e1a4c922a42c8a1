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
