"""CPU stand-ins for TensorRT's runtime and cuda-python's runtime API, with CUDA's ordering rules.

Work queued on a stream (copies, engine executions) runs only when that stream is synchronised,
and an engine reads its bindings' addresses and shapes when it is enqueued (or captured into a
CUDA graph) but reads the memory behind them when the work runs. So a runner that reads a result
before synchronising, reuses a buffer that queued work still reads, or replays a graph whose
buffers have moved gets wrong numbers, not just slower ones.

The "engine" computes what the tiny test models compute at t: ``(1 - t) * img0 + t * img1``.

Every public name of a double is a name of the real API: `missing_names` checks them against
the lean runtime's bindings (`tensorrt_lean`) and `cuda.bindings.runtime`; the handle types
(streams, graphs) and enums are the real ones.
"""

from __future__ import annotations

import ctypes
import operator
import types
from collections import Counter

import numpy as np

PLAN = b"vfi-test-plan"


def _floats(address: int, shape: tuple[int, ...]) -> np.ndarray:
    count = int(np.prod(shape))
    return np.ctypeslib.as_array((ctypes.c_float * count).from_address(address)).reshape(shape)


class FakeCudart:
    """`cuda.bindings.runtime`, the functions the tensorrt backend calls."""

    def __init__(self):
        from cuda.bindings import runtime as real

        self._real = real
        self.cudaError_t, self.cudaMemcpyKind = real.cudaError_t, real.cudaMemcpyKind
        self.cudaStreamCaptureMode, self.cudaStreamNonBlocking = real.cudaStreamCaptureMode, real.cudaStreamNonBlocking
        self._device: dict[int, ctypes.Array] = {}
        self._host: dict[int, ctypes.Array] = {}
        self._queues: dict[int, list] = {}
        self._capturing: dict[int, list] = {}
        self._graphs: dict[int, list] = {}
        self._execs: dict[int, list] = {}
        self._ids = iter(range(1, 1 << 30))
        self.counts: Counter = Counter()

    def _ok(self, *values):
        return (self.cudaError_t.cudaSuccess, *values)

    def enqueue(self, stream, work) -> None:
        key = operator.index(stream)
        (self._capturing[key] if key in self._capturing else self._queues[key]).append(work)

    def live_allocations(self) -> int:
        return len(self._device) + len(self._host)

    def cudaGetDeviceCount(self):
        return self._ok(1)

    def cudaGetErrorName(self, error):
        return self._ok(error.name.encode())

    def cudaStreamCreateWithFlags(self, flags):
        stream = self._real.cudaStream_t(next(self._ids))
        self._queues[int(stream)] = []
        return self._ok(stream)

    def cudaStreamDestroy(self, stream):
        assert not self._queues.pop(int(stream)), "stream destroyed with work still queued"
        return self._ok()

    def _allocate(self, table: dict, size: int):
        buffer = ctypes.create_string_buffer(int(size))
        table[ctypes.addressof(buffer)] = buffer
        return self._ok(ctypes.addressof(buffer))

    def cudaMalloc(self, size):
        self.counts["cudaMalloc"] += 1
        return self._allocate(self._device, size)

    def cudaMallocHost(self, size):
        return self._allocate(self._host, size)

    def cudaFree(self, devPtr):
        del self._device[int(devPtr)]  # KeyError: not a device allocation
        return self._ok()

    def cudaFreeHost(self, ptr):
        del self._host[int(ptr)]
        return self._ok()

    def _check_range(self, table: dict, address: int, count: int, what: str) -> None:
        assert any(base <= address and address + count <= base + len(buf) for base, buf in table.items()), (
            f"{what} {address:#x}+{count} is not inside one allocation"
        )

    def cudaMemcpyAsync(self, dst, src, count, kind, stream):
        if kind == self.cudaMemcpyKind.cudaMemcpyHostToDevice:
            self._check_range(self._host, src, count, "host source")
            self._check_range(self._device, dst, count, "device destination")
        elif kind == self.cudaMemcpyKind.cudaMemcpyDeviceToHost:
            self._check_range(self._device, src, count, "device source")
            self._check_range(self._host, dst, count, "host destination")
        else:
            raise AssertionError(f"unexpected copy kind {kind}")
        self.enqueue(stream, lambda: ctypes.memmove(dst, src, count))
        return self._ok()

    def cudaStreamSynchronize(self, stream):
        key = operator.index(stream)
        assert key not in self._capturing, "synchronising a stream that is being captured"
        work, self._queues[key] = self._queues[key], []
        for item in work:
            item()
        return self._ok()

    def cudaStreamBeginCapture(self, stream, mode):
        assert mode == self.cudaStreamCaptureMode.cudaStreamCaptureModeThreadLocal
        self._capturing[operator.index(stream)] = []
        return self._ok()

    def cudaStreamEndCapture(self, stream):
        graph = self._real.cudaGraph_t(next(self._ids))
        self._graphs[int(graph)] = self._capturing.pop(operator.index(stream))
        return self._ok(graph)

    def cudaGraphInstantiate(self, graph, flags):
        self.counts["cudaGraphInstantiate"] += 1
        graph_exec = self._real.cudaGraphExec_t(next(self._ids))
        self._execs[int(graph_exec)] = list(self._graphs[int(graph)])
        return self._ok(graph_exec)

    def cudaGraphLaunch(self, graphExec, stream):
        self.counts["cudaGraphLaunch"] += 1
        for item in self._execs[int(graphExec)]:
            self.enqueue(stream, item)
        return self._ok()

    def cudaGraphDestroy(self, graph):
        del self._graphs[int(graph)]
        return self._ok()

    def cudaGraphExecDestroy(self, graphExec):
        del self._execs[int(graphExec)]
        return self._ok()


class FakeExecutionContext:
    """`IExecutionContext`: bindings set by name; `execute_async_v3` queues the blend."""

    def __init__(self, engine: FakeCudaEngine):
        self._engine = engine
        self._shapes: dict[str, tuple] = {}
        self._addresses: dict[str, int] = {}

    def set_input_shape(self, name, shape):
        assert name in self._engine.inputs, name
        self._shapes[name] = tuple(int(d) for d in shape)
        return True

    def set_tensor_address(self, name, memory):
        self._addresses[name] = operator.index(memory)
        return True

    def get_tensor_shape(self, name):
        assert name == "frame" and "img0" in self._shapes, "output shape asked before the input shapes were set"
        return self._shapes["img0"]

    def execute_async_v3(self, stream_handle):
        shapes, addresses = dict(self._shapes), dict(self._addresses)  # read at enqueue, as TensorRT does
        assert set(addresses) == set(self._engine.inputs) | {"frame"}, f"unbound tensors: {addresses}"
        assert set(shapes) == set(self._engine.inputs), f"input shapes not set: {shapes}"

        def run():
            img0, img1 = (_floats(addresses[n], shapes[n]) for n in ("img0", "img1"))
            t = _floats(addresses["timestep"], shapes["timestep"]) if "timestep" in shapes else np.float32(0.5)
            _floats(addresses["frame"], shapes["img0"])[...] = (1 - t) * img0 + t * img1

        self._engine.cudart.enqueue(stream_handle, run)
        self._engine.executions += 1
        return True


class FakeCudaEngine:
    """`ICudaEngine` with the graph interface's tensors."""

    def __init__(self, cudart: FakeCudart, inputs: list[str]):
        self.cudart, self.inputs, self.executions = cudart, list(inputs), 0
        self._names = [*inputs, "frame"]
        self.contexts: list[FakeExecutionContext] = []

    @property
    def num_io_tensors(self):
        return len(self._names)

    def get_tensor_name(self, index):
        return self._names[index]

    def get_tensor_mode(self, name):
        from tensorrt_lean import TensorIOMode

        return TensorIOMode.INPUT if name in self.inputs else TensorIOMode.OUTPUT

    def create_execution_context(self):
        self.contexts.append(FakeExecutionContext(self))
        return self.contexts[-1]


class FakeRuntime:
    """`Runtime`: deserialises `PLAN` into a `FakeCudaEngine`, anything else into None."""

    def __init__(self, cudart: FakeCudart, inputs: list[str]):
        self._cudart, self._inputs = cudart, inputs
        self.engine_host_code_allowed = False
        self.engines: list[FakeCudaEngine] = []

    def deserialize_cuda_engine(self, serialized_engine):
        if bytes(serialized_engine) != PLAN:
            return None
        self.engines.append(FakeCudaEngine(self._cudart, self._inputs))
        return self.engines[-1]


def fake_tensorrt(cudart: FakeCudart, inputs: list[str]) -> types.ModuleType:
    """A `tensorrt` module: the lean bindings' Logger and TensorIOMode, a `FakeRuntime`."""
    import tensorrt_lean

    module = types.ModuleType("tensorrt")
    module.__version__ = tensorrt_lean.__version__
    module.Logger, module.TensorIOMode = tensorrt_lean.Logger, tensorrt_lean.TensorIOMode
    module.runtimes = []

    def runtime(logger):
        assert isinstance(logger, tensorrt_lean.Logger)
        module.runtimes.append(FakeRuntime(cudart, inputs))
        return module.runtimes[-1]

    module.Runtime = runtime
    return module


def missing_names() -> list[str]:
    """Public names of the doubles that the real APIs lack (should be empty)."""
    import tensorrt_lean
    from cuda.bindings import runtime as real_cudart

    def public(cls) -> set[str]:
        return {n for n in vars(cls) if not n.startswith("_")}

    pairs = [
        (FakeCudart, real_cudart, {"enqueue", "live_allocations", "counts"}),
        (FakeExecutionContext, tensorrt_lean.IExecutionContext, set()),
        (FakeCudaEngine, tensorrt_lean.ICudaEngine, {"cudart", "inputs", "executions", "contexts"}),
        (FakeRuntime, tensorrt_lean.Runtime, {"engines"}),
    ]
    missing = [f"{real.__name__}.{name}" for fake, real, own in pairs for name in sorted(public(fake) - own - set(dir(real)))]
    runtime_attributes = {"engine_host_code_allowed"}  # set in FakeRuntime.__init__
    missing += [f"Runtime.{n}" for n in sorted(runtime_attributes - set(dir(tensorrt_lean.Runtime)))]
    return missing
