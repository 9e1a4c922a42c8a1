"""`vfi serve` against stock Triton clients: equal frames, concurrency and batching, malformed
requests, and a graceful SIGTERM. Every test talks to a real tritonserver on 127.0.0.1."""

from __future__ import annotations

import signal
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from served_process import start_server

from vfi.core.padding import crop_to, pad_to_multiple

H, W = 40, 56  # not a multiple of the model's 32: the server pads and crops


def _pair(seed: int, h: int = H, w: int = W):
    rng = np.random.default_rng(seed)
    frames = rng.integers(0, 256, size=(2, 1, h, w, 3), dtype=np.uint8)
    return frames[0], frames[1]


def _float(u8):
    return np.ascontiguousarray(u8.transpose(0, 3, 1, 2), np.float32) / np.float32(255)


def _inputs(grpcclient, arrays: dict):
    inputs = []
    for name, array in arrays.items():
        tensor = grpcclient.InferInput(
            name, list(array.shape), {np.uint8: "UINT8", np.float32: "FP32", np.float64: "FP64"}[array.dtype.type]
        )
        tensor.set_data_from_numpy(array)
        inputs.append(tensor)
    return inputs


@pytest.fixture(scope="module")
def local(served_checkpoint):
    from vfi.runtime.backends import create_runner

    with create_runner("torch", served_checkpoint) as runner:
        yield runner


def _local_frame(runner, img0, img1, t):
    m = runner.pad_multiple
    return crop_to(runner.infer(pad_to_multiple(img0, m), pad_to_multiple(img1, m), np.array([t], np.float32)), H, W)


def test_stock_client_frame_equals_local_runner(server, local):
    import tritonclient.grpc as grpcclient
    import tritonclient.http as httpclient

    a, b = _pair(0)
    expected = _local_frame(local, _float(a), _float(b), 0.3)
    t = np.array([[0.3]], np.float32)
    grpc = grpcclient.InferenceServerClient(server.grpc_url)
    frame = grpc.infer(server.name, _inputs(grpcclient, {"img0": _float(a), "img1": _float(b), "timestep": t})).as_numpy("frame")
    assert frame.shape == (1, 3, H, W) and np.abs(frame - expected).max() < 1e-4
    # The uint8 NHWC variant, over HTTP: the local frame rounded to 8 bits.
    http = httpclient.InferenceServerClient(f"127.0.0.1:{server.http}")
    inputs = []
    for name, array in (("img0", a), ("img1", b), ("timestep", t)):
        tensor = httpclient.InferInput(name, list(array.shape), "UINT8" if array.dtype == np.uint8 else "FP32")
        tensor.set_data_from_numpy(array)
        inputs.append(tensor)
    u8 = http.infer(server.name + "-uint8", inputs).as_numpy("frame")
    assert u8.dtype == np.uint8 and u8.shape == (1, H, W, 3)
    rounded = np.rint(expected[0].transpose(1, 2, 0) * 255)
    assert np.abs(u8[0].astype(np.float32) - rounded).max() <= 1


def test_health_endpoints(server):
    for path in ("/v2/health/live", "/v2/health/ready", f"/v2/models/{server.name}/ready"):
        with urllib.request.urlopen(f"http://127.0.0.1:{server.http}{path}", timeout=10) as response:
            assert response.status == 200


def _metric(server, name: str) -> float:
    text = urllib.request.urlopen(f"http://127.0.0.1:{server.metrics}/metrics", timeout=10).read().decode()
    return sum(
        float(line.rsplit(" ", 1)[1]) for line in text.splitlines() if line.startswith(f'{name}{{model="{server.name}-uint8"')
    )


def test_concurrent_clients_all_succeed_and_are_batched(server):
    import tritonclient.grpc as grpcclient

    frames_before, batches_before = _metric(server, "nv_inference_count"), _metric(server, "nv_inference_exec_count")
    a, b = _pair(1)
    t = np.array([[0.5]], np.float32)

    def client(i):
        c = grpcclient.InferenceServerClient(server.grpc_url)
        shapes = []
        for _ in range(20):
            out = c.infer(server.name + "-uint8", _inputs(grpcclient, {"img0": a, "img1": b, "timestep": t})).as_numpy("frame")
            shapes.append(out.shape)
        return shapes

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(client, range(8)))
    assert all(shape == (1, H, W, 3) for shapes in results for shape in shapes) and sum(map(len, results)) == 160
    frames = _metric(server, "nv_inference_count") - frames_before
    batches = _metric(server, "nv_inference_exec_count") - batches_before
    assert frames == 160 and batches < frames, f"{frames} frames in {batches} batches: no batch held more than one"


@pytest.mark.parametrize(
    "case",
    ["wrong rank", "wrong dtype", "missing input", "zero size", "mismatched sizes", "too large", "timestep out of range"],
)
def test_malformed_request_refused_and_server_keeps_serving(server, case):
    import tritonclient.grpc as grpcclient
    from tritonclient.utils import InferenceServerException

    a, b = _float(_pair(2)[0]), _float(_pair(3)[1])
    t = np.array([[0.5]], np.float32)
    arrays = {
        "wrong rank": {"img0": a[0], "img1": b[0], "timestep": t},
        "wrong dtype": {"img0": a.astype(np.float64), "img1": b.astype(np.float64), "timestep": t},
        "missing input": {"img0": a, "timestep": t},
        "zero size": {"img0": a[:, :, :0], "img1": b[:, :, :0], "timestep": t},
        "mismatched sizes": {"img0": a, "img1": b[:, :, :, :48], "timestep": t},
        "too large": {
            "img0": np.zeros((1, 3, 40, 300), np.float32),
            "img1": np.zeros((1, 3, 40, 300), np.float32),
            "timestep": t,
        },
        "timestep out of range": {"img0": a, "img1": b, "timestep": np.array([[1.5]], np.float32)},
    }[case]
    client = grpcclient.InferenceServerClient(server.grpc_url)
    with pytest.raises(InferenceServerException) as caught:
        client.infer(server.name, _inputs(grpcclient, arrays))
    # Triton refuses rank, dtype and missing inputs, PyTriton's proxy an empty tensor; these are ours:
    if case in ("mismatched sizes", "too large", "timestep out of range"):
        assert any(
            word in str(caught.value) for word in ("batch size 0", "outside the served range", "differ in shape", "in [0, 1]")
        ), str(caught.value)
    good = client.infer(server.name, _inputs(grpcclient, {"img0": a, "img1": b, "timestep": t})).as_numpy("frame")
    assert good.shape == (1, 3, H, W) and np.isfinite(good).all()


def test_sigterm_mid_load_loses_no_accepted_request(served_checkpoint):
    import tritonclient.grpc as grpcclient

    served = start_server(served_checkpoint, "--max-batch", "2", "--exit-timeout", "60")
    a, b = _pair(4, 128, 128)
    t = np.array([[0.5]], np.float32)
    started, results = threading.Event(), []

    def client():
        c = grpcclient.InferenceServerClient(served.grpc_url)
        inputs = _inputs(grpcclient, {"img0": a, "img1": b, "timestep": t})
        done = []
        c.async_infer(served.name + "-uint8", inputs, callback=lambda result, error: done.append((result, error)))
        started.set()
        while not done:
            time.sleep(0.01)
        results.append(done[0])

    threads = [threading.Thread(target=client) for _ in range(6)]
    for thread in threads:
        thread.start()
    started.wait(10)
    time.sleep(0.3)  # all six were sent; with batches of 2 most of them still wait in the queue
    code, err = served.stop(signal.SIGTERM)
    for thread in threads:
        thread.join(30)
    assert code == 0, err
    assert "stopped (SIGTERM)" in err
    assert len(results) == 6 and all(error is None for _, error in results), [str(e) for _, e in results if e]
    assert all(result.as_numpy("frame").shape == (1, 128, 128, 3) for result, _ in results)


def test_port_in_use_is_one_line(served_checkpoint, server):
    import subprocess
    import sys

    command = [sys.executable, "-m", "vfi", "serve", str(served_checkpoint), "--backend", "torch", "--address", "127.0.0.1"]
    command += ["--http-port", str(server.http), "--grpc-port", "1", "--metrics-port", "2"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120)
    lines = done.stderr.strip().splitlines()
    assert done.returncode == 2 and len(lines) == 1 and f"--http-port {server.http}" in lines[0] and "not free" in lines[0], (
        done.stderr
    )
