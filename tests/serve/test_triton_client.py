"""`vfi interpolate --backend triton` against a real `vfi serve`: the same frames as a local run,
and a lost server as one error line with nothing left behind."""

from __future__ import annotations

import numpy as np
import pytest

from vfi.cli.app import main
from vfi.core.frames import list_image_files, read_image, write_png_folder
from vfi.core.synthetic_scene import make_scene


def _run(args, capsys):
    try:
        main([str(a) for a in args])
        code = 0
    except SystemExit as exc:
        code = exc.code
    return code, *capsys.readouterr()


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    # 72x88: not a multiple of the model's 32, so the server's padding is exercised.
    return write_png_folder(make_scene(72, 88, seed=3).render_clip(range(5)), tmp_path_factory.mktemp("clip") / "in")


def _frames(folder):
    return np.stack([read_image(p) for p in list_image_files(folder)])


@pytest.mark.parametrize("protocol, wire", [("grpc", "uint8"), ("http", "fp32")])
def test_remote_output_reproduces_local(server, served_checkpoint, clip, tmp_path, capsys, protocol, wire):
    local, remote = tmp_path / "local", tmp_path / "remote"
    code, _, err = _run(
        ["interpolate", clip, "-o", local, "-f", "3", "-m", served_checkpoint, "--backend", "torch", "-q"], capsys
    )
    assert code == 0, err
    port = server.grpc if protocol == "grpc" else server.http
    args = ["interpolate", clip, "-o", remote, "-f", "3", "-m", server.name, "--backend", "triton", "--url", f"127.0.0.1:{port}"]
    code, _, err = _run(args + ["--protocol", protocol, "--wire", wire, "--inflight", "3"], capsys)
    assert code == 0, err
    a, b = _frames(local), _frames(remote)
    assert a.shape == b.shape == (13, 72, 88, 3)
    # The server batches frames of several pairs; a reordered sum may move a value by one level.
    assert np.abs(a.astype(int) - b.astype(int)).max() <= 1 and np.mean(a != b) < 1e-3
    assert np.array_equal(a[::3], b[::3])  # the input frames are copied bit-exact


def test_unreachable_server_is_one_line_and_leaves_nothing(clip, tmp_path, capsys):
    from served_process import free_ports

    output = tmp_path / "out.mkv"
    (port,) = free_ports(1)
    code, _, err = _run(
        ["interpolate", clip, "-o", output, "-m", "rife-4.0-fast", "--backend", "triton", "--url", f"127.0.0.1:{port}"], capsys
    )
    lines = err.strip().splitlines()
    assert code == 2 and len(lines) == 1 and lines[0].startswith("vfi: error:") and "unreachable" in lines[0], err
    assert not output.exists() and list(tmp_path.iterdir()) == []


def test_unknown_served_model_is_one_line(server, clip, tmp_path, capsys):
    code, _, err = _run(
        ["interpolate", clip, "-o", tmp_path / "o", "-m", "nope", "--backend", "triton", "--url", server.grpc_url], capsys
    )
    assert code == 2 and "serves no ready model named 'nope'" in err and len(err.strip().splitlines()) == 1


def test_server_lost_mid_run_is_one_line_and_leaves_nothing(served_checkpoint, tmp_path, capsys):
    import threading

    from served_process import start_server

    served = start_server(served_checkpoint, "--exit-timeout", "0")
    clip = write_png_folder(make_scene(96, 128, seed=4).render_clip(range(40)), tmp_path / "long")
    output = tmp_path / "out" / "frames"
    stop = threading.Event()

    def kill_after_first_frames():
        # Kill the server mid-stream: once it has answered a few of the run's 117 frames.
        import urllib.request

        while not stop.wait(0.05):
            text = urllib.request.urlopen(f"http://127.0.0.1:{served.metrics}/metrics", timeout=5).read().decode()
            if sum(float(line.rsplit(" ", 1)[1]) for line in text.splitlines() if line.startswith("nv_inference_count{")) >= 4:
                served.kill_all()
                return

    killer = threading.Thread(target=kill_after_first_frames)
    killer.start()
    try:
        args = [
            "interpolate",
            clip,
            "-o",
            output,
            "-f",
            "4",
            "-m",
            served.name,
            "--backend",
            "triton",
            "--url",
            served.grpc_url,
            "-q",
        ]
        code, _, err = _run(args, capsys)
    finally:
        stop.set()
        killer.join()
        served.stop()
    lines = err.strip().splitlines()
    assert code == 2 and len(lines) == 1 and lines[0].startswith("vfi: error:") and "triton server" in lines[0], err
    leftovers = list((tmp_path / "out").iterdir()) if (tmp_path / "out").exists() else []
    assert not output.exists() and leftovers == []
