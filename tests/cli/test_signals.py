"""Real signals to a real `python -m vfi interpolate`: SIGINT, SIGTERM and SIGHUP stop it alike.

Each test starts the command in a subprocess, waits until it is in a given phase of the run, sends
the signal, and checks what a user (or a process supervisor) sees: the exit status 128 + the
signal's number, ``vfi: interrupted`` as the last line of stderr and no traceback, a prompt exit,
and an output folder holding nothing new (no ``.partial-`` file or folder, no created parents).

The phases are read from outside the process, never from a sleep:

- ``load``: the checkpoint is open or mapped (``/proc/PID/fd``, ``/proc/PID/maps``) and no output
  exists yet: the model is loading, before the first frame;
- ``stream``: the temporary output frame folder holds at least two frames, of 79;
- ``flush``: the encoder thread has entered ``VideoWriter.close`` (the H.264 flush). A flush at
  test sizes takes milliseconds, so a test-only ``sitecustomize`` (put on ``PYTHONPATH`` of the
  child; no product code knows it) marks the entry in a file outside the output folder and holds
  the flush open for a few seconds, as a long flush of a large video would.

One combination per phase runs by default; the rest of the 3 x 3 matrix is marked ``slow``.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from vfi.core.atomic import PARTIAL_MARK

pytestmark = pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="needs /proc (Linux) to see the run's phase")

#: frames of the test clips (64x64): the long one (2x: 79 output frames) for the stream phase, the
#: short one where the length does not matter (load, flush)
CLIP_FRAMES = 40
SHORT_CLIP_FRAMES = 4
#: how long (s) the flush hook holds `VideoWriter.close` open
FLUSH_HOLD_S = 20
#: most seconds from the signal to the process's exit (the target is one second; the slack is for
#: 2 busy CPU cores; the flush hold is far longer, so waiting for it would fail)
EXIT_WITHIN_S = 6
#: most seconds to wait for a phase
PHASE_TIMEOUT_S = 120

FLUSH_HOOK = textwrap.dedent(
    """
    # Test-only: loaded by the child's interpreter from PYTHONPATH (tests/cli/test_signals.py).
    import os, pathlib, time

    _marker = os.environ.get("VFI_TEST_FLUSH_MARKER")
    if _marker:
        from vfi.runtime.video_io import VideoWriter

        _close = VideoWriter.close

        def close(self):
            pathlib.Path(_marker).touch()
            time.sleep(float(os.environ["VFI_TEST_FLUSH_HOLD_S"]))
            _close(self)

        VideoWriter.close = close
    """
)


@pytest.fixture(scope="module")
def assets(tmp_path_factory):
    """(checkpoint, {phase: clip}, hook folder): a small RIFE with random weights, 64x64 FFV1 clips."""
    import vfi.models
    from vfi.core.synthetic_scene import make_scene
    from vfi.runtime.video_io import write_video

    folder = tmp_path_factory.mktemp("signal-assets")
    checkpoint = vfi.models.save(vfi.models.create("rife-4.0-fast", block_widths=(8, 8, 8, 8)), folder / "tiny.safetensors")
    scene = make_scene(64, 64, seed=0)
    long_clip = write_video(scene.render_clip(range(CLIP_FRAMES)), folder / "clip.mkv")
    short_clip = write_video(scene.render_clip(range(SHORT_CLIP_FRAMES)), folder / "short.mkv")
    clips = {"load": Path(short_clip), "stream": Path(long_clip), "flush": Path(short_clip)}
    hook = folder / "hook"
    hook.mkdir()
    (hook / "sitecustomize.py").write_text(FLUSH_HOOK)
    return Path(checkpoint), clips, hook


def _open_files(pid: int) -> set[str]:
    names = set()
    try:
        fds = os.listdir(f"/proc/{pid}/fd")
    except OSError:
        return names
    for fd in fds:
        try:
            names.add(os.readlink(f"/proc/{pid}/fd/{fd}"))
        except OSError:
            pass
    return names


def _maps(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/maps").read_text()
    except OSError:
        return ""


def _partials(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if PARTIAL_MARK in p.name] if folder.exists() else []


def _wait_for(process: subprocess.Popen, ready, what: str) -> None:
    deadline = time.monotonic() + PHASE_TIMEOUT_S
    while not ready():
        if process.poll() is not None:
            _, err = process.communicate()
            pytest.fail(f"the run ended (exit {process.returncode}) before {what}: {err[-2000:]}")
        if time.monotonic() > deadline:
            process.kill()
            pytest.fail(f"no {what} within {PHASE_TIMEOUT_S} s")
        time.sleep(0.002)


def _run_and_signal(assets, tmp_path, phase: str, signum: int) -> None:
    checkpoint, clips, hook = assets
    clip = clips[phase]
    # The output folder exists and holds one earlier file; the run writes two levels below it.
    outputs = tmp_path / "outputs"
    outputs.mkdir()
    (outputs / "keep.txt").write_text("mine")
    name = "frames" if phase == "stream" else "clip_2x.mp4"
    output = outputs / "new" / "deeper" / name
    env = dict(os.environ)
    marker = tmp_path / "flushing"
    if phase == "flush":
        env["PYTHONPATH"] = os.pathsep.join([str(hook), env.get("PYTHONPATH", "")])
        env["VFI_TEST_FLUSH_MARKER"] = str(marker)
        env["VFI_TEST_FLUSH_HOLD_S"] = str(FLUSH_HOLD_S)
    command = [sys.executable, "-m", "vfi", "interpolate", clip, "-o", output, "-m", checkpoint, "--backend", "torch", "-q"]
    process = subprocess.Popen([str(c) for c in command], stderr=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env)
    try:
        if phase == "load":
            _wait_for(
                process,
                lambda: str(checkpoint) in _open_files(process.pid) or str(checkpoint) in _maps(process.pid),
                "checkpoint load",
            )
            assert not _partials(outputs), "the output was opened before the model was loaded"
        elif phase == "stream":
            frames = lambda: [p for q in _partials(outputs) if q.is_dir() for p in q.glob("*.png")]  # noqa: E731
            _wait_for(process, lambda: len(frames()) >= 2, "two frames written")
        else:
            _wait_for(process, marker.exists, "the encoder's flush")
        sent = time.monotonic()
        process.send_signal(signum)
        _, err = process.communicate(timeout=60)
        took = time.monotonic() - sent
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 128 + signum, err
    assert err.strip().splitlines()[-1] == "vfi: interrupted", err
    assert "Traceback" not in err, err
    assert took < EXIT_WITHIN_S, f"exit {took:.1f} s after {signal.Signals(signum).name}"
    assert sorted(p.name for p in outputs.iterdir()) == ["keep.txt"], list(outputs.rglob("*"))


SIGNALS = [signal.SIGINT, signal.SIGTERM, signal.SIGHUP]
#: the combination of each phase that runs by default; the others are slow
DEFAULT = {("load", signal.SIGTERM), ("stream", signal.SIGINT), ("flush", signal.SIGHUP)}
CASES = [
    pytest.param(phase, s, id=f"{phase}-{s.name}", marks=() if (phase, s) in DEFAULT else pytest.mark.slow)
    for phase in ("load", "stream", "flush")
    for s in SIGNALS
]


@pytest.mark.parametrize("phase,signum", CASES)
def test_signal_stops_the_run_cleanly(assets, tmp_path, phase, signum):
    _run_and_signal(assets, tmp_path, phase, signum)


# -- in-process: the handlers `main` installs, and what it prints ------------------------------------


@pytest.mark.parametrize("signum", SIGNALS, ids=lambda s: s.name)
def test_main_turns_a_signal_into_interrupted(assets, tmp_path, capsys, monkeypatch, signum):
    import vfi.runtime.pipeline
    from vfi.cli.app import main
    from vfi.core.atomic import AtomicOutput

    before = {s: signal.getsignal(s) for s in SIGNALS}
    output = tmp_path / "new" / "out.mp4"

    def interpolate(input_path, output_path, runner, **_):
        with AtomicOutput(output_path) as out:
            out.temp.write_bytes(b"half a video")
            os.kill(os.getpid(), signum)
            time.sleep(10)  # the handler raises in this (the main) thread long before
        raise AssertionError("not interrupted")

    monkeypatch.setattr(vfi.runtime.pipeline, "interpolate", interpolate)
    clip = tmp_path / "clip"
    clip.mkdir()
    start = time.monotonic()
    with pytest.raises(SystemExit) as caught:
        main(["interpolate", clip, "-o", output, "-m", assets[0], "--backend", "torch", "-q"])
    assert time.monotonic() - start < 8
    assert caught.value.code == 128 + signum
    assert capsys.readouterr().err.strip().splitlines()[-1] == "vfi: interrupted"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["clip"]
    assert {s: signal.getsignal(s) for s in SIGNALS} == before  # restored for whoever runs next


def test_only_the_first_signal_raises_and_ignored_signals_stay_ignored():
    from vfi.cli.app import StopSignals
    from vfi.core.errors import Interrupted

    previous = signal.signal(signal.SIGHUP, signal.SIG_IGN)
    try:
        with StopSignals() as stop:
            assert signal.getsignal(signal.SIGHUP) is signal.SIG_IGN  # as under nohup
            with pytest.raises(Interrupted) as caught:
                os.kill(os.getpid(), signal.SIGTERM)
                time.sleep(5)
            assert caught.value.exit_code == 143 and stop.signum == signal.SIGTERM
            os.kill(os.getpid(), signal.SIGINT)  # a second signal does not cut the clean-up short
            time.sleep(0.05)
        assert signal.getsignal(signal.SIGHUP) is signal.SIG_IGN
    finally:
        signal.signal(signal.SIGHUP, previous)
