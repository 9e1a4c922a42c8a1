"""`vfi serve`: Triton Inference Server (PyTriton's real ``tritonserver`` binary) serving runners.

    options = ServeOptions(http_port=8000, grpc_port=8001, metrics_port=8002, max_batch=8)
    with TritonServer(runners, "rife-4.0-fast", options) as server:
        server.wait()                      # until SIGTERM / SIGHUP / SIGINT, then drain and stop

Each model is bound twice (`vfi.core.serving`): ``<name>`` (FP32 NCHW) and ``<name>-uint8``
(UINT8 NHWC), with dynamic batching of up to ``max_batch`` frames, waiting at most
``max_queue_delay_us`` to fill a batch. ``instances`` runners serve in parallel (one Triton model
instance each, shared by both variants). Triton's own endpoints give health
(``/v2/health/live``, ``/v2/health/ready``), model readiness and Prometheus metrics
(``:metrics_port/metrics``: ``nv_inference_count`` frames, ``nv_inference_exec_count`` batches).

A stop signal makes tritonserver refuse new requests and finish the accepted ones (up to
``exit_timeout_s``) before the process exits.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import sysconfig
import threading
from dataclasses import dataclass
from pathlib import Path

from vfi.core.errors import BackendUnavailable, InputError
from vfi.core.serving import (
    DEFAULT_GRPC_PORT,
    DEFAULT_HTTP_PORT,
    DEFAULT_MAX_BATCH,
    DEFAULT_MAX_SIDE,
    DEFAULT_METRICS_PORT,
    DEFAULT_QUEUE_DELAY_US,
    MIN_SIDE,
    io_tensors,
    served_name,
    uint8_name,
)
from vfi.serve.handler import InterpolationHandler

log = logging.getLogger("vfi.serve")

#: signals that stop the server gracefully
STOP_SIGNALS = (signal.SIGTERM, signal.SIGHUP, signal.SIGINT)
#: largest batch Triton may form (frames); a batch is held in memory as float32
MAX_BATCH_LIMIT = 256


@dataclass
class ServeOptions:
    """How `TritonServer` listens and batches.

    Attributes:
        http_port, grpc_port, metrics_port: TCP ports (defaults 8000, 8001, 8002, Triton's own).
        address: interface to listen on ("0.0.0.0": all; "127.0.0.1": this machine only).
        max_batch: most frames in one batch (dynamic batching merges requests up to it).
        max_queue_delay_us: longest a request waits for others to join its batch (microseconds).
        instances: runners serving in parallel.
        max_side: largest frame side a request may have (pixels).
        exit_timeout_s: longest a stop waits for accepted requests to finish (seconds).
        verbose: show tritonserver's own log instead of keeping it in the workspace.
    """

    http_port: int = DEFAULT_HTTP_PORT
    grpc_port: int = DEFAULT_GRPC_PORT
    metrics_port: int = DEFAULT_METRICS_PORT
    address: str = "0.0.0.0"
    max_batch: int = DEFAULT_MAX_BATCH
    max_queue_delay_us: int = DEFAULT_QUEUE_DELAY_US
    instances: int = 1
    max_side: int = DEFAULT_MAX_SIDE
    exit_timeout_s: int = 30
    verbose: bool = False

    def check(self) -> None:
        """Refuse out-of-range values (`InputError` naming the option)."""
        ports = {"http_port": self.http_port, "grpc_port": self.grpc_port, "metrics_port": self.metrics_port}
        for name, port in ports.items():
            if not 1 <= int(port) <= 65535:
                raise InputError(f"{name} must be in 1..65535, got {port}", name)
        if len(set(ports.values())) != len(ports):
            raise InputError("http_port, grpc_port and metrics_port must differ", *ports)
        if not 1 <= self.max_batch <= MAX_BATCH_LIMIT:
            raise InputError(f"max_batch must be in 1..{MAX_BATCH_LIMIT}, got {self.max_batch}", "max_batch")
        if not 0 <= self.max_queue_delay_us <= 10_000_000:
            raise InputError(f"max_queue_delay_us must be in 0..10000000, got {self.max_queue_delay_us}", "max_queue_delay_us")
        if self.instances < 1:
            raise InputError(f"instances must be >= 1, got {self.instances}", "instances")
        if self.max_side < MIN_SIDE:
            raise InputError(f"max_side must be >= {MIN_SIDE}, got {self.max_side}", "max_side")
        if self.exit_timeout_s < 0:
            raise InputError(f"exit_timeout_s must be >= 0, got {self.exit_timeout_s}", "exit_timeout_s")


def check_ports_free(address: str, ports: dict[str, int]) -> None:
    """Refuse ports another process listens on, before tritonserver starts (it would only log)."""
    for name, port in ports.items():
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind((address, int(port)))
            except OSError as exc:
                raise InputError(f"{name} {port} on {address} is not free ({exc.strerror}); choose another", name) from None


def _use_own_libpython() -> None:
    """Put this interpreter's libpython first on the library path of child processes.

    PyTriton's Python-backend stub links ``libpython3.X.so.1.0`` by name; on a machine whose
    system Python has the same minor version (Debian's 3.11 beside pyenv's 3.11.7) the loader finds
    the system library, and the stub then fails on the other build's standard library.
    """
    libdir, library = sysconfig.get_config_var("LIBDIR"), sysconfig.get_config_var("INSTSONAME")
    if libdir and library and (Path(libdir) / library).exists():
        current = os.environ.get("LD_LIBRARY_PATH", "")
        if libdir not in current.split(":"):
            os.environ["LD_LIBRARY_PATH"] = f"{libdir}:{current}" if current else libdir


class TritonServer:
    """Triton serving `runners` (loaded `Runner`s of one model, one per instance) as `name`.

    Args:
        runners: loaded runners of the same model; their number is the instance count.
        name: Triton model name (letters, digits, '.', '_', '-').
        options: `ServeOptions`.
    """

    def __init__(self, runners: list, name: str, options: ServeOptions):
        options.check()
        if served_name(name) != name:  # the one rule for Triton model names (vfi.core.serving)
            raise InputError(f"model name {name!r} may hold only letters, digits, '.', '_' and '-'", "name")
        self.runners = list(runners)
        self.name = name
        self.options = options
        self.handlers: list[InterpolationHandler] = []
        self._triton = None
        self._workspace = None
        self._stop = threading.Event()
        self.stop_reason = ""

    @property
    def model_names(self) -> list[str]:
        """The Triton model names served: the float32 model and its uint8 variant."""
        return [self.name, uint8_name(self.name)]

    def start(self) -> TritonServer:
        """Start tritonserver and bind both variants; returns when they are ready."""
        import tempfile

        try:
            from pytriton.decorators import batch
            from pytriton.model_config import DynamicBatcher, ModelConfig, Tensor
            from pytriton.triton import Triton, TritonConfig
        except ImportError as exc:
            raise BackendUnavailable(f"vfi serve needs PyTriton: pip install 'vfi[serve]' ({exc})") from None
        o = self.options
        check_ports_free(o.address, {"http_port": o.http_port, "grpc_port": o.grpc_port, "metrics_port": o.metrics_port})
        _use_own_libpython()
        logging.getLogger("pytriton").setLevel(logging.INFO if o.verbose else logging.ERROR)
        self._workspace = Path(tempfile.mkdtemp(prefix="vfi-serve-"))
        config = TritonConfig(
            http_address=o.address,
            grpc_address=o.address,
            metrics_address=o.address,
            http_port=o.http_port,
            grpc_port=o.grpc_port,
            metrics_port=o.metrics_port,
            exit_timeout_secs=o.exit_timeout_s,
            allow_gpu_metrics=False,
            log_file=None if o.verbose else self._workspace / "tritonserver.log",
        )
        timestep = self.runners[0].timestep_mode != "fixed"
        self._triton = Triton(config=config, workspace=self._workspace / "pytriton")
        locks = [threading.Lock() for _ in self.runners]
        for uint8, model_name in ((False, self.name), (True, uint8_name(self.name))):
            handlers = [InterpolationHandler(r, uint8, o.max_side, lock) for r, lock in zip(self.runners, locks)]
            self.handlers.extend(handlers)
            inputs, outputs = io_tensors(timestep, uint8, self.runners[0].context)
            self._triton.bind(
                model_name=model_name,
                infer_func=[batch(_logged(h)) for h in handlers],
                inputs=[Tensor(name=t.name, dtype=t.numpy_dtype, shape=t.dims) for t in inputs],
                outputs=[Tensor(name=t.name, dtype=t.numpy_dtype, shape=t.dims) for t in outputs],
                config=ModelConfig(
                    max_batch_size=o.max_batch, batcher=DynamicBatcher(max_queue_delay_microseconds=o.max_queue_delay_us)
                ),
                strict=True,
            )
        try:
            self._triton.run()
        except Exception as exc:  # tritonserver did not come up: say why in one line
            reason = self._last_log_error() or f"{type(exc).__name__}: {exc}"
            self.close()
            raise BackendUnavailable(f"tritonserver did not start: {reason}") from None
        return self

    def wait(self) -> str:
        """Block until a stop signal (or tritonserver's own exit), then stop gracefully; returns
        what stopped it. Call from the main thread (signal handlers are installed there)."""
        previous = {s: signal.signal(s, self._on_signal) for s in STOP_SIGNALS}
        try:
            while not self._stop.wait(0.2):
                if not self._triton.is_alive():
                    self.stop_reason = "tritonserver exited"
                    break
        finally:
            for s, handler in previous.items():
                signal.signal(s, handler)
        self.close()
        return self.stop_reason

    def _on_signal(self, signum, _frame) -> None:
        self.stop_reason = signal.Signals(signum).name
        self._stop.set()

    def close(self) -> None:
        """Stop tritonserver (it finishes accepted requests first) and remove the workspace."""
        import shutil

        if self._triton is not None:
            self._triton.stop()
            self._triton = None
        if self._workspace is not None:
            shutil.rmtree(self._workspace, ignore_errors=True)
            self._workspace = None

    def _last_log_error(self) -> str:
        log_file = self._workspace / "tritonserver.log" if self._workspace else None
        if not log_file or not log_file.exists():
            return ""
        errors = [line for line in log_file.read_text(errors="replace").splitlines() if line.startswith("E")]
        return errors[-1].split("] ", 1)[-1].strip('"') if errors else ""

    def __enter__(self) -> TritonServer:
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.close()


def _logged(handler: InterpolationHandler):
    """The handler as PyTriton's batched callable, with a refused batch logged as one line (the
    client gets the message as its error)."""

    def infer(**inputs):
        try:
            return handler(inputs)
        except InputError as exc:
            log.warning("refused a request: %s", exc)
            raise

    return infer
