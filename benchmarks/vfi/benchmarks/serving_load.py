"""Serving throughput and latency against concurrency, and the serving overhead.

    python -m vfi.benchmarks.serving_load --model rife-4.0-fast --size 256x448 --concurrency 1,2,4,8 --requests 16

Starts `vfi serve MODEL --backend torch` as its own process on free 127.0.0.1 ports (as a real
deployment runs it), then, from this process, for each concurrency c: c client threads, each with
its own gRPC client, send `--requests` uint8 requests of one frame each one after another. It
reports throughput (frames/s over the wall time) and p50 / p99 request latency (ms). The baseline
is the local runner, the same model on the same backend in this process with the server idle, at
batch 1: its median `infer` time, padded input, the cost a request has without serving. The
overhead is the serving p50 at concurrency 1 over that median. The machine (CPU model and its
precision flags) is printed. A Markdown table is printed last.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np


def _free_ports(count: int) -> list[int]:
    sockets = [socket.socket() for _ in range(count)]
    for s in sockets:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in sockets]
    for s in sockets:
        s.close()
    return ports


def _start(model: str, name: str, threads: int, extra: list[str]) -> tuple[subprocess.Popen, int, int]:
    import tritonclient.grpc as grpcclient

    from vfi.core.serving import uint8_name

    http, grpc, metrics = _free_ports(3)
    command = [
        sys.executable,
        "-m",
        "vfi",
        "serve",
        model,
        "--backend",
        "torch",
        "--address",
        "127.0.0.1",
        "--threads",
        str(threads),
    ]
    command += ["--http-port", str(http), "--grpc-port", str(grpc), "--metrics-port", str(metrics), *extra]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, start_new_session=True)
    client = grpcclient.InferenceServerClient(f"127.0.0.1:{grpc}")
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"vfi serve exited: {process.stderr.read()}")
        try:
            if client.is_model_ready(uint8_name(name)):
                return process, grpc, metrics
        except Exception:
            pass
        time.sleep(0.3)
    os.killpg(process.pid, signal.SIGKILL)
    raise SystemExit("vfi serve did not become ready in 120 s")


def _load(url: str, name: str, frames: tuple, concurrency: int, requests: int) -> tuple[float, list[float]]:
    """(wall seconds, request latencies in seconds) of `concurrency` clients x `requests` each."""
    import tritonclient.grpc as grpcclient

    a, b = frames
    latencies, lock = [], threading.Lock()

    def client():
        c = grpcclient.InferenceServerClient(url)
        inputs = []
        for n, array in (("img0", a), ("img1", b), ("timestep", np.full((1, 1), 0.5, np.float32))):
            tensor = grpcclient.InferInput(n, list(array.shape), "UINT8" if array.dtype == np.uint8 else "FP32")
            tensor.set_data_from_numpy(array)
            inputs.append(tensor)
        mine = []
        for _ in range(requests):
            start = time.perf_counter()
            c.infer(name, inputs)
            mine.append(time.perf_counter() - start)
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=client) for _ in range(concurrency)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return time.perf_counter() - start, latencies


def main(argv: list[str] | None = None) -> None:
    from vfi.benchmarks.machine import cpu_flags, cpu_model
    from vfi.core.padding import pad_to_multiple
    from vfi.core.serving import uint8_name
    from vfi.runtime.backends import create_runner

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default="rife-4.0-fast")
    parser.add_argument("--size", default="256x448", help="HxW of the frames (pixels)")
    parser.add_argument("--concurrency", default="1,2,4,8")
    parser.add_argument("--requests", type=int, default=16, help="requests per client")
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1, help="server's torch threads")
    parser.add_argument("--max-batch", type=int, default=8)
    parser.add_argument("--max-queue-delay-us", type=int, default=2000)
    args = parser.parse_args(argv)
    h, w = (int(v) for v in args.size.lower().split("x"))
    model = args.model
    with tempfile.TemporaryDirectory() as folder:
        import vfi.models

        if model in vfi.models.names():
            try:
                with create_runner("torch", model):
                    pass
            except Exception:  # no pretrained weights here: random weights cost the same
                model = str(vfi.models.save(vfi.models.create(model), Path(folder) / f"{model}.safetensors"))
        rng = np.random.default_rng(0)
        frames = tuple(rng.integers(0, 256, (1, h, w, 3), dtype=np.uint8) for _ in range(2))
        with create_runner("torch", model, threads=args.threads) as runner:
            name = runner.card.variant
            img = [
                pad_to_multiple(np.ascontiguousarray(f.transpose(0, 3, 1, 2), np.float32) / 255, runner.pad_multiple)
                for f in frames
            ]
            t = np.full(1, 0.5, np.float32)
            runner.infer(img[0], img[1], t)
            local = []
            for _ in range(max(8, args.requests)):
                start = time.perf_counter()
                runner.infer(img[0], img[1], t)
                local.append(time.perf_counter() - start)
        local_ms = float(np.median(local)) * 1e3
        extra = ["--max-batch", str(args.max_batch), "--max-queue-delay-us", str(args.max_queue_delay_us)]
        process, grpc, _ = _start(model, name, args.threads, extra)
        try:
            url = f"127.0.0.1:{grpc}"
            _load(url, uint8_name(name), frames, 1, 2)  # warm-up
            rows = []
            for c in (int(v) for v in args.concurrency.split(",")):
                wall, lat = _load(url, uint8_name(name), frames, c, args.requests)
                ms = np.asarray(lat) * 1e3
                rows.append((c, len(lat) / wall, float(np.percentile(ms, 50)), float(np.percentile(ms, 99))))
        finally:
            process.send_signal(signal.SIGTERM)
            process.communicate(timeout=60)
    print(
        f"machine: {cpu_model()}, {os.cpu_count()} cores, flags {' '.join(cpu_flags()) or 'none'}; server torch fp32, {args.threads} threads"
    )
    print(
        f"{name} at {h}x{w}, uint8 over gRPC on 127.0.0.1, {args.requests} requests per client, max batch {args.max_batch}, queue delay {args.max_queue_delay_us} us"
    )
    print(f"local runner (same process as the clients, server idle), batch 1: median {local_ms:.1f} ms over {len(local)} calls")
    print("\n| concurrency | throughput frames/s | p50 ms | p99 ms | p50 vs local runner |")
    print("|---|---|---|---|---|")
    for c, fps, p50, p99 in rows:
        print(f"| {c} | {fps:.2f} | {p50:.1f} | {p99:.1f} | {p50 / local_ms:.2f}x |")


if __name__ == "__main__":
    main()
