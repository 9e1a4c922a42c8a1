"""The `triton` backend: frames sent to a remote Triton Inference Server (`vfi serve`, or any
server with the interface of `vfi.core.serving`), through NVIDIA's stock client `tritonclient`.

This is the scale-out path: many decode / encode workers, each running `vfi interpolate
--backend triton`, in front of GPU servers whose dynamic batcher merges their requests.

    with create_runner("triton", "rife-4.0-fast", url="gpu-1:8001", protocol="grpc") as runner:
        middle = runner.infer(img0, img1, np.full([1], 0.5, np.float32))

The model is the served model's name. Its card is built from the server's metadata: a timestep
input or none (t = 0.5 only), and pad multiple 1, because the server pads and crops. The runner
keeps ``inflight`` requests in flight: the pipeline hands it that many consecutive pairs per call
(`pairs_per_call`), each pair goes out as its own request, so network, server batching and the
pipeline's decode / encode threads overlap. With ``wire="uint8"`` (the default, where the server
offers ``<name>-uint8``) frames travel as RGB uint8, a quarter of the bytes, and lose nothing: the
pipeline's frames are 8-bit on both sides, and the server rounds as a local run does.

Connection loss is `BackendUnavailable` and a refused request `InputError`, each one line.
"""

from __future__ import annotations

from concurrent.futures import Future

import numpy as np

from vfi.core import options
from vfi.core.errors import BackendUnavailable, InputError
from vfi.core.frames import to_uint8
from vfi.core.graph_spec import IMAGE_INPUTS, MAX_CONTEXT, OUTPUT_NAME, TIMESTEP_INPUT, context_input_names
from vfi.core.serving import uint8_name
from vfi.runtime.runner import Runner

PROTOCOLS = ("grpc", "http")
#: default requests in flight per runner
DEFAULT_INFLIGHT = 4
WIRES = ("uint8", "fp32")


def _server_message(exc) -> str:
    """The one line that matters of a tritonclient error (PyTriton sends a whole traceback)."""
    text = exc.message() if hasattr(exc, "message") and callable(exc.message) else str(exc)
    lines = [line.strip() for line in str(text or exc).splitlines() if line.strip()]
    return lines[-1] if lines else type(exc).__name__


def _is_connection_error(exc) -> bool:
    status = str(exc.status() if hasattr(exc, "status") and callable(exc.status) else "")
    text = str(exc).lower()
    return "unavailable" in status.lower() or any(
        word in text for word in ("connection refused", "failed to connect", "connection reset", "broken pipe", "unavailable")
    )


class TritonRunner(Runner):
    """A model served by a remote Triton server.

    Args:
        model: the served model's name (`vfi serve` uses the model variant, e.g. rife-4.0-fast).
        url: HOST:PORT of the server's gRPC (default 127.0.0.1:8001) or HTTP endpoint.
        protocol: "grpc" (default) or "http".
        inflight: requests kept in flight (>= 1; default 4).
        wire: "uint8" (RGB uint8 NHWC, where the server offers it) or "fp32".
        timeout_s: longest one request may take (seconds; default 60).
    """

    name = "triton"
    requires = ("tritonclient",)
    runs_models = False
    precisions = {"cpu": ("fp32",), "cuda": ("fp32",)}

    def __init__(
        self,
        model,
        device: str = "cpu",
        precision: str | None = None,
        threads: int | None = None,
        hparams: dict | None = None,
        url: str = "127.0.0.1:8001",
        protocol: str = "grpc",
        inflight: int = DEFAULT_INFLIGHT,
        wire: str = "uint8",
        timeout_s: float = 60.0,
    ):
        super().__init__(model, device=device, precision=precision, threads=threads, hparams=hparams)
        if not isinstance(model, str):
            raise InputError("the triton backend takes the served model's name as the model", "model")
        self._refuse_hparams(f"the model served at {url}")
        if protocol not in PROTOCOLS:
            raise InputError(f"protocol must be one of {', '.join(PROTOCOLS)}, got {protocol!r}", "protocol")
        if wire not in WIRES:
            raise InputError(f"wire must be one of {', '.join(WIRES)}, got {wire!r}", "wire")
        options.count(inflight, "inflight")
        options.positive(timeout_s, "timeout_s")
        if url.startswith(("http://", "https://", "grpc://")):
            url = url.split("://", 1)[1]
        self.url, self.protocol, self.inflight, self.wire, self.timeout_s = url, protocol, int(inflight), wire, float(timeout_s)
        self.pairs_per_call = self.inflight
        # The server decides the arithmetic; "fp32" here only names the exchange type.
        self.precision = "server's"
        self._client = None

    # -- connection -----------------------------------------------------------------------------

    def _where(self) -> str:
        return f"triton server {self.url} ({self.protocol})"

    def _load(self) -> None:
        from vfi.models.card import ModelCard

        if self.protocol == "grpc":
            import tritonclient.grpc as client_module
        else:
            import tritonclient.http as client_module
        self._module = client_module
        try:
            if self.protocol == "grpc":
                self._client = client_module.InferenceServerClient(self.url)
            else:
                self._client = client_module.InferenceServerClient(
                    self.url, concurrency=self.inflight, network_timeout=self.timeout_s, connection_timeout=self.timeout_s
                )
            live = self._client.is_server_live()
        except Exception as exc:  # tritonclient raises its own and socket errors alike
            raise BackendUnavailable(f"{self._where()} is unreachable: {_server_message(exc)}") from None
        if not live:
            raise BackendUnavailable(f"{self._where()} is not live")
        if not self._ready(self.model):
            raise BackendUnavailable(f"{self._where()} serves no ready model named {self.model!r}")
        self.served = uint8_name(self.model) if self.wire == "uint8" and self._ready(uint8_name(self.model)) else self.model
        self._uint8 = self.served != self.model
        inputs, max_batch = self._interface(self.served)
        if set(IMAGE_INPUTS) - set(inputs):
            raise BackendUnavailable(f"{self._where()}: model {self.served!r} takes {sorted(inputs)}, not img0 and img1")
        self._timestep_dims = inputs.get(TIMESTEP_INPUT)
        self._max_batch = max(1, max_batch)
        # The largest context whose frame inputs the served model declares (1: a pair).
        context = max(k for k in range(1, MAX_CONTEXT + 1) if set(context_input_names(k)) <= set(inputs))
        self._context_names = context_input_names(context)
        self.card = ModelCard(
            family="triton",
            variant=self.model,
            pad_multiple=1,  # the server pads to its model's multiple and crops back
            timestep_mode="scalar" if self._timestep_dims is not None else "fixed",
            context=context,
            provenance={"server": self.url, "protocol": self.protocol, "served_as": self.served},
        )

    def _ready(self, name: str) -> bool:
        try:
            return bool(self._client.is_model_ready(name))
        except Exception:  # an unknown model is an error on some protocols, False on others
            return False

    def _interface(self, name: str) -> tuple[dict, int]:
        """({input name: rank without batch}, max batch) from the served model's metadata."""
        try:
            if self.protocol == "grpc":
                meta = self._client.get_model_metadata(name, as_json=True)
                config = self._client.get_model_config(name, as_json=True)["config"]
            else:
                meta, config = self._client.get_model_metadata(name), self._client.get_model_config(name)
        except Exception as exc:
            raise BackendUnavailable(f"{self._where()}: cannot read model {name!r}: {_server_message(exc)}") from None
        max_batch = int(config.get("max_batch_size", 0) or 0)
        inputs = {i["name"]: len(i["shape"]) - (1 if max_batch else 0) for i in meta.get("inputs", [])}
        return inputs, max_batch

    def _close(self) -> None:
        if self._client is not None:
            try:
                self._client.close()
            finally:
                self._client = None

    # -- inference ------------------------------------------------------------------------------

    def _infer(self, img0: np.ndarray, img1: np.ndarray, t: np.ndarray, context: tuple = ()) -> np.ndarray:
        n = img0.shape[0]
        # One request per chunk, about `inflight` chunks, none above the server's batch limit.
        size = min(self._max_batch, max(1, -(-n // self.inflight)))
        pending = [
            self._submit([frame[i : i + size] for frame in (img0, img1, *context)], t[i : i + size]) for i in range(0, n, size)
        ]
        parts = [self._result(future) for future in pending]
        return np.concatenate(parts) if len(parts) > 1 else parts[0]

    def _inputs(self, frames: list, t) -> list:
        """Request inputs: the frames (img0, img1, then the context frames) and the timestep."""
        make = self._module.InferInput
        if self._uint8:
            images = [np.ascontiguousarray(to_uint8(a).transpose(0, 2, 3, 1)) for a in frames]
        else:
            images = list(frames)
        inputs = []
        for name, array in zip([*IMAGE_INPUTS, *self._context_names], images):
            tensor = make(name, list(array.shape), "UINT8" if self._uint8 else "FP32")
            tensor.set_data_from_numpy(array)
            inputs.append(tensor)
        if self._timestep_dims is not None:
            # [N, 1] for `vfi serve`; a stock repository's graph takes [N, 1, 1, 1].
            steps = np.ascontiguousarray(t.reshape([len(t)] + [1] * max(1, self._timestep_dims)), np.float32)
            tensor = make(TIMESTEP_INPUT, list(steps.shape), "FP32")
            tensor.set_data_from_numpy(steps)
            inputs.append(tensor)
        return inputs

    def _submit(self, frames: list, t) -> Future:
        future: Future = Future()
        inputs = self._inputs(frames, t)
        try:
            if self.protocol == "grpc":

                def done(result, error):
                    if error is not None:
                        future.set_exception(error)
                    else:
                        future.set_result(result)

                self._client.async_infer(self.served, inputs, callback=done, client_timeout=self.timeout_s)
            else:
                request = self._client.async_infer(self.served, inputs)
                future.set_result(request)  # resolved in `_result` (the http handle blocks there)
        except Exception as exc:
            future.set_exception(exc)
        return future

    def _result(self, future: Future) -> np.ndarray:
        try:
            result = future.result(timeout=self.timeout_s + 5)
            if self.protocol == "http":
                result = result.get_result(block=True, timeout=self.timeout_s)
            frames = result.as_numpy(OUTPUT_NAME)
        except Exception as exc:  # every failure of a request becomes one line
            if _is_connection_error(exc) or isinstance(exc, TimeoutError | OSError):
                raise BackendUnavailable(f"lost {self._where()}: {_server_message(exc)}") from None
            raise InputError(f"{self._where()} refused a request for {self.served}: {_server_message(exc)}") from None
        if frames is None:
            raise BackendUnavailable(f"{self._where()} answered without a {OUTPUT_NAME!r} output")
        if self._uint8:
            return np.ascontiguousarray(frames.transpose(0, 3, 1, 2), dtype=np.float32) / np.float32(255.0)
        return np.asarray(frames, dtype=np.float32)
