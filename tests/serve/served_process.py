"""Starting a real `vfi serve` (PyTriton's tritonserver) on 127.0.0.1 with free ports, as a subprocess."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

#: longest a server may take to come up (seconds)
START_TIMEOUT_S = 90


def free_ports(count: int) -> list[int]:
    sockets = [socket.socket() for _ in range(count)]
    try:
        for s in sockets:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


@dataclass
class Served:
    process: subprocess.Popen
    http: int
    grpc: int
    metrics: int
    name: str
    #: the server's TMPDIR (its workspace lives there), removed by `stop`: a killed server cannot
    tmp: str = ""

    @property
    def grpc_url(self) -> str:
        return f"127.0.0.1:{self.grpc}"

    def kill_all(self) -> None:
        """SIGKILL the server and its tritonserver child (its own process group): a lost machine."""
        os.killpg(self.process.pid, signal.SIGKILL)

    def stop(self, sig=signal.SIGTERM, timeout: float = 60) -> tuple[int, str]:
        if self.process.poll() is None:
            self.process.send_signal(sig)
        try:
            _, err = self.process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill_all()
            _, err = self.process.communicate()
        if self.tmp:
            shutil.rmtree(self.tmp, ignore_errors=True)
        return self.process.returncode, err


def start_server(checkpoint: Path, *extra: str) -> Served:
    """`vfi serve CHECKPOINT` on free ports; returns once both variants are ready."""
    pytest.importorskip("pytriton", reason="vfi serve needs PyTriton (pip install 'vfi[serve]')")
    import tritonclient.grpc as grpcclient

    http, grpc, metrics = free_ports(3)
    command = [sys.executable, "-m", "vfi", "serve", str(checkpoint), "--backend", "torch", "--address", "127.0.0.1"]
    command += ["--http-port", str(http), "--grpc-port", str(grpc), "--metrics-port", str(metrics), *extra]
    tmp = tempfile.mkdtemp(prefix="vfi-serve-test-")
    env = {**os.environ, "OMP_NUM_THREADS": "1", "TMPDIR": tmp}
    process = subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env, start_new_session=True
    )
    served = Served(process, http, grpc, metrics, "rife-4.0-fast", tmp)
    deadline = time.monotonic() + START_TIMEOUT_S
    client = grpcclient.InferenceServerClient(served.grpc_url)
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"vfi serve exited {process.returncode}: {process.stderr.read()}")
        try:
            if client.is_model_ready(served.name) and client.is_model_ready(served.name + "-uint8"):
                return served
        except Exception:
            pass
        time.sleep(0.3)
    served.kill_all()
    served.stop()
    raise AssertionError("vfi serve did not become ready in time")
