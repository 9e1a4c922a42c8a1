"""The serving interface: tensors per variant, and the request checks."""

from __future__ import annotations

import numpy as np
import pytest

from vfi.core.errors import InputError
from vfi.core.serving import check_request, io_tensors, served_name, uint8_name


def test_variants_share_names_and_differ_in_layout():
    f_in, f_out = io_tensors(timestep=True, uint8=False)
    u_in, u_out = io_tensors(timestep=True, uint8=True)
    assert [t.name for t in f_in] == [t.name for t in u_in] == ["img0", "img1", "timestep"]
    assert f_in[0].dims == (3, -1, -1) and u_in[0].dims == (-1, -1, 3) and u_in[0].datatype == "UINT8"
    assert f_in[2] == u_in[2] and f_in[2].dims == (1,) and f_out[0].name == u_out[0].name == "frame"
    assert [t.name for t in io_tensors(timestep=False, uint8=False)[0]] == ["img0", "img1"]
    assert uint8_name("rife-4.0") == "rife-4.0-uint8" and served_name("my model/v2") == "my_model_v2"


def _request(h=40, w=48, n=1, t=0.5, uint8=False):
    shape = (n, h, w, 3) if uint8 else (n, 3, h, w)
    dtype = np.uint8 if uint8 else np.float32
    return {"img0": np.zeros(shape, dtype), "img1": np.zeros(shape, dtype), "timestep": np.full((n, 1), t, np.float32)}


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda r: r.pop("img1"), "lacks input"),
        (lambda r: r.update(img1=r["img1"][:, :, :, :40]), "differ in shape"),
        (lambda r: r.update(img0=r["img0"][:0], img1=r["img1"][:0]), "batch size 0"),
        (lambda r: r.update(timestep=np.full((1, 1), np.nan, np.float32)), "finite and in"),
        (lambda r: r.update(timestep=np.zeros((2, 1), np.float32)), "one t per frame"),
        (lambda r: r.update(img0=r["img0"][:, :2], img1=r["img1"][:, :2]), "expected [N,3,H,W]"),
    ],
)
def test_bad_requests_are_refused(change, message):
    request = _request()
    change(request)
    with pytest.raises(InputError, match=message.replace("[", r"\[")):
        check_request(request, uint8=False)


def test_size_limits():
    check_request(_request(32, 4096), uint8=False)
    check_request(_request(40, 48, uint8=True), uint8=True)
    for h, w in ((31, 64), (32, 4097)):
        with pytest.raises(InputError, match="outside the served range"):
            check_request(_request(h, w), uint8=False)
    with pytest.raises(InputError, match="outside the served range"):
        check_request(_request(64, 200), uint8=False, max_side=128)
