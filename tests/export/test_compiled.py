"""AOTInductor packages on CPU: build, sidecar, load through the `compiled` runtime backend."""

from __future__ import annotations

import json

import numpy as np
import pytest

from vfi.export.compiled_builder import CompiledOptions, build_compiled


def test_compiled_round_trip_tiny_model(tiny_model, tmp_path):
    import torch

    from vfi.core.graph_spec import GraphSpec
    from vfi.runtime.backends import create_runner

    model = tiny_model("scalar")
    package, side = build_compiled(model, tmp_path / "tiny.pt2", CompiledOptions(shape=(16, 24), batch=2))
    data = json.loads(side.read_text())
    assert data["kind"] == "aoti-package" and data["device"] == "cpu" and data["parity"]["passed"]
    assert data["inputs"]["img0"] == [2, 3, 16, 24] and data["tools"]["torch"] not in ("", "-")
    feeds = GraphSpec("scalar").rendered_inputs(3, 16, 24, seed=3)
    t = feeds["timestep"].reshape(-1)
    with create_runner("compiled", str(package)) as runner:
        assert runner.pad_multiple == 8 and runner.timestep_mode == "scalar"
        out = runner.infer(feeds["img0"][:, :, :8, :16], feeds["img1"][:, :, :8, :16], t)  # smaller: padded up, cropped
        full = runner.infer(feeds["img0"], feeds["img1"], t)  # batch 3 over a static batch of 2
    with torch.inference_mode():
        ref = model(torch.from_numpy(feeds["img0"]), torch.from_numpy(feeds["img1"]), torch.from_numpy(t)).numpy()
    np.testing.assert_allclose(full, ref, atol=1e-5)
    assert out.shape == (3, 3, 8, 16)


def test_compiled_runner_refuses_wrong_inputs(tiny_model, tmp_path):
    from vfi.core.errors import InputError
    from vfi.runtime.backends import create_runner

    with pytest.raises(InputError, match=".pt2"):
        create_runner("compiled", "rife-4.0")
    with pytest.raises(InputError, match="is empty"):
        (tmp_path / "x.pt2").write_bytes(b"")
        create_runner("compiled", str(tmp_path / "x.pt2")).load()
    with pytest.raises(InputError, match="no sidecar"):
        (tmp_path / "y.pt2").write_bytes(b"PK\x03\x04" + bytes(64))
        create_runner("compiled", str(tmp_path / "y.pt2")).load()


# RIFE itself (pretrained rife-4.0 at 64x128) is compiled, checked against torch on rendered
# frames, and run on a clip by the README's `vfi build ... --target compiled` and
# `vfi interpolate ... --backend compiled` commands (tests/cli/test_readme_commands.py); a second
# RIFE compile here would add two minutes on 2 cores and check nothing more.
