"""`vfi serve`: a model (or built artifact) behind Triton Inference Server."""

from __future__ import annotations

from typing import Optional

import typer

from vfi.core.serving import (
    DEFAULT_GRPC_PORT,
    DEFAULT_HTTP_PORT,
    DEFAULT_MAX_BATCH,
    DEFAULT_MAX_SIDE,
    DEFAULT_METRICS_PORT,
    DEFAULT_QUEUE_DELAY_US,
    MIN_SIDE,
)

HELP = f"""Serve MODEL on Triton Inference Server (PyTriton's tritonserver) until stopped.

Two Triton models are served: NAME takes img0, img1 FP32 [N,3,H,W] in [0, 1]
and timestep FP32 [N,1] (absent for t = 0.5-only models) and returns frame
FP32 [N,3,H,W]; NAME-uint8 takes and returns RGB UINT8 [N,H,W,3] (a quarter
of the bytes). Any size from {MIN_SIDE} to --max-side pixels a side: the server
pads and crops. Dynamic batching merges requests of one size up to
--max-batch frames. Health: /v2/health/ready on the HTTP port; Prometheus
metrics on the metrics port (/metrics).

SIGTERM, SIGHUP or Ctrl-C stop it: new requests are refused, accepted ones
finish, and it exits 0. A port in use or a model that cannot load is one
error line and exit 2.

Clients: `vfi interpolate ... --backend triton --url HOST:PORT`, or any
Triton client (tritonclient, perf_analyzer).
"""

#: library parameter -> flag, where they differ
PARAMETER_FLAGS = {"name": "--name", "exit_timeout_s": "--exit-timeout"}
#: limits of the numeric options (`vfi.core.options` checks them before anything loads)
MAX_QUEUE_DELAY_US = 10_000_000
MAX_INSTANCES = 64
MAX_EXIT_TIMEOUT_S = 3600
#: largest --max-side (pixels): 16K frames; a request's own size is checked against --max-side
MAX_SERVE_SIDE = 16384


def serve_command(
    model: str = typer.Argument(
        ..., help="Registered model name or .safetensors checkpoint, or a built artifact (.onnx, .xml, .pt2, .engine)."
    ),
    backend: str = typer.Option(
        "auto", "--backend", help="auto, torch, openvino, onnxruntime, tensorrt or compiled (as vfi interpolate)."
    ),
    device: str = typer.Option("auto", "--device", help="auto (cuda when torch sees one), cpu or cuda."),
    precision: str = typer.Option("auto", "--precision", help="auto, fp32, bf16 or fp16 (as vfi interpolate)."),
    name: Optional[str] = typer.Option(
        None, "--name", help="Triton model name (default: the model's variant, e.g. rife-4.0-fast)."
    ),
    http_port: int = typer.Option(DEFAULT_HTTP_PORT, "--http-port", help="HTTP/REST port."),
    grpc_port: int = typer.Option(DEFAULT_GRPC_PORT, "--grpc-port", help="gRPC port."),
    metrics_port: int = typer.Option(DEFAULT_METRICS_PORT, "--metrics-port", help="Prometheus metrics port."),
    address: str = typer.Option("0.0.0.0", "--address", help="Interface to listen on (127.0.0.1: this machine only)."),
    max_batch: int = typer.Option(DEFAULT_MAX_BATCH, "--max-batch", help="Most frames per batch (dynamic batching)."),
    max_queue_delay_us: int = typer.Option(
        DEFAULT_QUEUE_DELAY_US, "--max-queue-delay-us", help="Longest a request waits for a batch to fill (microseconds)."
    ),
    instances: int = typer.Option(1, "--instances", help="Model instances (runners) serving in parallel."),
    max_side: int = typer.Option(DEFAULT_MAX_SIDE, "--max-side", help="Largest frame side a request may have (pixels)."),
    threads: Optional[int] = typer.Option(None, "--threads", help="CPU threads per runner (default: the library's choice)."),
    exit_timeout_s: int = typer.Option(30, "--exit-timeout", help="Longest a stop waits for accepted requests (seconds)."),
    verbose: bool = typer.Option(False, "--verbose", help="Show tritonserver's own log."),
) -> None:
    from contextlib import ExitStack

    from vfi.core import options as check

    for flag_name, port in (("http_port", http_port), ("grpc_port", grpc_port), ("metrics_port", metrics_port)):
        check.port(port, flag_name)
    check.batch(max_batch, "max_batch")
    check.integer(max_queue_delay_us, "max_queue_delay_us", 0, MAX_QUEUE_DELAY_US)
    check.count(instances, "instances", maximum=MAX_INSTANCES)
    check.integer(max_side, "max_side", MIN_SIDE, MAX_SERVE_SIDE)
    check.count(threads, "threads")
    check.integer(exit_timeout_s, "exit_timeout_s", 0, MAX_EXIT_TIMEOUT_S)
    from vfi.core.serving import served_name, uint8_name
    from vfi.runtime.backends import create_runner
    from vfi.serve.server import ServeOptions, TritonServer

    options = ServeOptions(
        http_port=http_port,
        grpc_port=grpc_port,
        metrics_port=metrics_port,
        address=address,
        max_batch=max_batch,
        max_queue_delay_us=max_queue_delay_us,
        instances=instances,
        max_side=max_side,
        exit_timeout_s=exit_timeout_s,
        verbose=verbose,
    )
    options.check()  # before loading anything
    with ExitStack() as stack:
        runners = []
        for _ in range(instances):
            runner = create_runner(backend, model, device=device, precision=precision, threads=threads)
            runners.append(stack.enter_context(runner))  # loads it; a model that cannot load stops here
        served = name or served_name(runners[0].card.variant)
        server = stack.enter_context(TritonServer(runners, served, options))
        first = runners[0]
        typer.echo(
            f"serving {served} and {uint8_name(served)} ({first.name} on {first.device} at {first.precision}, "
            f"{instances} instance(s), batches up to {max_batch}): http {address}:{http_port}, grpc {address}:{grpc_port}, "
            f"metrics {address}:{metrics_port}/metrics; SIGTERM or Ctrl-C stops",
            err=True,
        )
        reason = server.wait()
        batches = sum(h.served_batches for h in server.handlers)
        frames = sum(h.served_frames for h in server.handlers)
    typer.echo(f"vfi serve: stopped ({reason or 'stopped'}) after {batches} batches, {frames} frames", err=True)


serve_command.__doc__ = HELP
