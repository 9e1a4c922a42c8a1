"""The `tensorrt` backend: a TensorRT engine (``.engine`` / ``.plan`` from `vfi build`) run with
the TensorRT runtime and cuda-python (`cuda.bindings.runtime`); no torch.

Per slot (two by default): an execution context, device buffers, pinned host buffers and a CUDA
stream. A call's batch is cut into chunks the engine's profile accepts and the chunks alternate
between the slots, so the host-to-device copy of one chunk overlaps the compute of the previous
one (double buffering). Optional CUDA-graph capture (``cuda_graphs=True``) records each slot's
``execute_async_v3`` once per input shape and replays it, removing per-launch CPU overhead.

The engine's sidecar gives the model card and the profile; frames smaller than a static engine
are padded up to it (`artifact.ShapeFitter`). Our plugins' kernels are compiled into the plan
(ahead-of-time plugins), so no Python plugin code runs here.

Runtime library (`vfi.core.tensorrt.import_runtime`, shared with the builder): full TensorRT
(`tensorrt`) when it imports, else TensorRT's lean runtime (`tensorrt_lean`, all on PyPI:
``pip install -e .[tensorrt-lean]``), which runs only version-compatible engines; the sidecar says how the engine was built, so an engine
the lean runtime cannot run is refused in one line before TensorRT is asked. A version-compatible
plan that embeds the lean runtime is loaded with ``engine_host_code_allowed``.

Exchange stays float32 on the host; the engine's I/O is float32 by construction (`vfi export`).
"""

from __future__ import annotations

import ctypes

import numpy as np

from vfi.core import options
from vfi.core.errors import BackendUnavailable, InputError
from vfi.core.messages import short_error
from vfi.core.tensorrt import import_runtime
from vfi.runtime.runner import Runner

SLOTS = 2
_FLOAT32_BYTES = 4


def _check(result):
    """Unwrap a cuda-python (err, *values) tuple, raising RuntimeError on a CUDA error."""
    from cuda.bindings import runtime as cudart

    err, *values = result if isinstance(result, tuple) else (result,)
    if err != cudart.cudaError_t.cudaSuccess:
        name = cudart.cudaGetErrorName(err)[1]
        raise RuntimeError(f"CUDA error {name.decode() if isinstance(name, bytes) else name}")
    return values[0] if len(values) == 1 else values


class _Slot:
    """One execution context with its own stream and buffers (grown on demand)."""

    def __init__(self, engine):
        from cuda.bindings import runtime as cudart

        self.context = engine.create_execution_context()
        self.stream = _check(cudart.cudaStreamCreateWithFlags(cudart.cudaStreamNonBlocking))
        self.allocations: dict[str, tuple[int, int, int]] = {}  # name -> (device pointer, pinned host pointer, bytes)
        self.graphs: dict[tuple, object] = {}  # shapes -> cudaGraphExec_t

    def buffers(self, name: str, nbytes: int) -> tuple[int, int]:
        """(device, pinned host) buffers of at least `nbytes` for tensor `name`."""
        from cuda.bindings import runtime as cudart

        if name not in self.allocations or self.allocations[name][2] < nbytes:
            if name in self.allocations:
                self._free(self.allocations.pop(name))
                self._drop_graphs()  # captured graphs hold the old addresses
            self.allocations[name] = (int(_check(cudart.cudaMalloc(nbytes))), int(_check(cudart.cudaMallocHost(nbytes))), nbytes)
        device, host, _ = self.allocations[name]
        return device, host

    @staticmethod
    def _free(allocation: tuple[int, int, int]) -> None:
        from cuda.bindings import runtime as cudart

        cudart.cudaFree(allocation[0])
        cudart.cudaFreeHost(allocation[1])

    def _drop_graphs(self) -> None:
        from cuda.bindings import runtime as cudart

        for graph in self.graphs.values():
            cudart.cudaGraphExecDestroy(graph)
        self.graphs.clear()

    def close(self) -> None:
        from cuda.bindings import runtime as cudart

        self._drop_graphs()
        for allocation in self.allocations.values():
            self._free(allocation)
        self.allocations.clear()
        cudart.cudaStreamDestroy(self.stream)


def _host_view(pointer: int, shape: tuple[int, ...]) -> np.ndarray:
    count = int(np.prod(shape))
    return np.ctypeslib.as_array(ctypes.cast(pointer, ctypes.POINTER(ctypes.c_float)), (count,)).reshape(shape)


class TensorRTRunner(Runner):
    """Runs a TensorRT engine; ``device`` must be "cuda".

    Args (beyond `Runner`'s):
        cuda_graphs: capture and replay each input shape as a CUDA graph.
        slots: execution contexts / streams used in turn (2 = double buffering).
    """

    name = "tensorrt"
    runs_models = False

    def __init__(
        self,
        model,
        device: str = "cuda",
        precision: str | None = None,
        threads: int | None = None,
        hparams: dict | None = None,
        cuda_graphs: bool = False,
        slots: int = SLOTS,
    ):
        super().__init__(model, device=device, precision=precision, threads=threads, hparams=hparams)
        from vfi.runtime.backends.artifact import artifact_kind

        if artifact_kind(model) != "tensorrt-engine":
            raise InputError(
                f"the tensorrt backend runs an engine built by `vfi build` (.engine / .plan); got {model!r}", "model"
            )
        if device != "cuda":
            raise InputError("the tensorrt backend runs on device cuda only", "device")
        options.count(slots, "slots")
        self.cuda_graphs = cuda_graphs
        self.slot_count = int(slots)
        self._engine = self._runtime = None
        self._slots: list[_Slot] = []

    @classmethod
    def is_available(cls) -> tuple[bool, str]:
        try:
            import_runtime()
        except BackendUnavailable as exc:
            return False, str(exc)
        try:
            from cuda.bindings import runtime as cudart

            count = _check(cudart.cudaGetDeviceCount())
        except ImportError:
            return False, "cuda-python is missing (pip install cuda-bindings)"
        except Exception as exc:  # driver missing or no device: the backend cannot run here
            return False, f"no usable CUDA device ({short_error(exc, with_type=True)})"
        if count < 1:
            return False, "no CUDA device"
        return True, ""

    @classmethod
    def version(cls) -> str:
        try:
            module, library = import_runtime()
        except BackendUnavailable:
            return "-"
        return module.__version__ + (" (lean runtime)" if library == "lean" else "")

    def _load(self) -> None:
        from vfi.runtime.backends.artifact import load_artifact

        artifact = load_artifact(self.model, "tensorrt-engine")
        trt, library = import_runtime()
        builder = artifact.sidecar.get("builder", {})
        if library == "lean" and not builder.get("version_compatible"):
            raise BackendUnavailable(
                f"{artifact.path.name} was not built version-compatible, and only TensorRT's lean "
                "runtime is installed here, which runs version-compatible engines alone; build it "
                "again version-compatible or install full TensorRT"
            )
        self._use_artifact_precision(artifact.precision, artifact.path.name)
        logger = trt.Logger(trt.Logger.WARNING)
        self._runtime = trt.Runtime(logger)
        if builder.get("version_compatible") and not builder.get("exclude_lean_runtime"):
            self._runtime.engine_host_code_allowed = True  # the plan carries the lean runtime's host code
        from vfi.runtime.backends.artifact import open_artifact_file

        self._engine = open_artifact_file(
            artifact.path, "tensorrt-engine", lambda: self._runtime.deserialize_cuda_engine(artifact.path.read_bytes())
        )
        if self._engine is None:
            raise BackendUnavailable(
                f"TensorRT {trt.__version__} ({library}) cannot load {artifact.path.name} (built with "
                f"TensorRT {artifact.sidecar['tools'].get('tensorrt')}, or for another GPU); rebuild it here"
            )
        names = [self._engine.get_tensor_name(i) for i in range(self._engine.num_io_tensors)]
        self._inputs = [n for n in names if self._engine.get_tensor_mode(n) == trt.TensorIOMode.INPUT]
        self._outputs = [n for n in names if n not in self._inputs]
        self._slots = [_Slot(self._engine) for _ in range(self.slot_count)]
        self._adopt_artifact(artifact)

    def prepare(self, height: int, width: int) -> None:
        super().prepare(height, width)
        self._fitter.check_size(height, width)

    def _infer(self, img0: np.ndarray, img1: np.ndarray, t: np.ndarray, context: tuple = ()) -> np.ndarray:
        pieces = self._fitter.chunks(img0, img1, t, context)
        outputs: list = [None] * len(pieces)
        in_flight: dict[int, tuple[int, tuple]] = {}  # slot index -> (piece index, (host, shape))
        for index, (a, b, tt, ctx, _) in enumerate(pieces):
            slot_index = index % len(self._slots)
            if slot_index in in_flight:  # this slot's previous piece must finish before its buffers are reused
                previous, host_shape = in_flight.pop(slot_index)
                outputs[previous] = self._collect(self._slots[slot_index], *host_shape)
            in_flight[slot_index] = (index, self._launch(self._slots[slot_index], a, b, tt, ctx))
        for slot_index, (index, host_shape) in in_flight.items():
            outputs[index] = self._collect(self._slots[slot_index], *host_shape)
        return self._fitter.assemble(outputs, [p[-1] for p in pieces], *img0.shape[-2:])

    def _launch(self, slot: _Slot, a: np.ndarray, b: np.ndarray, tt: np.ndarray, ctx: tuple = ()) -> tuple[int, tuple]:
        """Queue copy-in, execution and copy-out of one piece on the slot's stream; returns the
        host address and shape of the output."""
        from cuda.bindings import runtime as cudart

        feeds = self._spec.feeds(a, b, tt, ctx)
        shapes = []
        for name in self._inputs:
            array = feeds[name]
            device, host = slot.buffers(name, array.nbytes)
            _host_view(host, array.shape)[...] = array
            _check(cudart.cudaMemcpyAsync(device, host, array.nbytes, cudart.cudaMemcpyKind.cudaMemcpyHostToDevice, slot.stream))
            slot.context.set_input_shape(name, array.shape)
            slot.context.set_tensor_address(name, device)
            shapes.append(array.shape)
        (name,) = self._outputs
        shape = tuple(slot.context.get_tensor_shape(name))
        nbytes = int(np.prod(shape)) * _FLOAT32_BYTES
        device, host = slot.buffers(name, nbytes)
        slot.context.set_tensor_address(name, device)
        self._execute(slot, tuple(shapes))
        _check(cudart.cudaMemcpyAsync(host, device, nbytes, cudart.cudaMemcpyKind.cudaMemcpyDeviceToHost, slot.stream))
        return host, shape

    @staticmethod
    def _collect(slot: _Slot, host: int, shape: tuple) -> np.ndarray:
        from cuda.bindings import runtime as cudart

        _check(cudart.cudaStreamSynchronize(slot.stream))
        return _host_view(host, shape).copy()

    def _execute(self, slot: _Slot, key: tuple) -> None:
        from cuda.bindings import runtime as cudart

        if not self.cuda_graphs:
            if not slot.context.execute_async_v3(slot.stream):
                raise RuntimeError("TensorRT execute_async_v3 failed (see the TensorRT log)")
            return
        graph_exec = slot.graphs.get(key)
        if graph_exec is None:
            # One plain run first: TensorRT may allocate or tune lazily on the first launch of a shape.
            if not slot.context.execute_async_v3(slot.stream):
                raise RuntimeError("TensorRT execute_async_v3 failed (see the TensorRT log)")
            _check(cudart.cudaStreamBeginCapture(slot.stream, cudart.cudaStreamCaptureMode.cudaStreamCaptureModeThreadLocal))
            slot.context.execute_async_v3(slot.stream)
            graph = _check(cudart.cudaStreamEndCapture(slot.stream))
            graph_exec = _check(cudart.cudaGraphInstantiate(graph, 0))
            cudart.cudaGraphDestroy(graph)
            slot.graphs[key] = graph_exec
        _check(cudart.cudaGraphLaunch(graph_exec, slot.stream))

    def _close(self) -> None:
        for slot in self._slots:
            slot.close()
        self._slots = []
        self._engine = self._runtime = None
