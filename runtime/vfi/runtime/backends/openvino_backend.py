"""The OpenVINO backend: a model compiled by OpenVINO's CPU plugin, at fp32, bf16 or fp16, with
fp32 coordinate islands (`vfi.core.openvino`).

What it runs:

* a model name or checkpoint: exported to ONNX with standard ops through the family's graph spec
  (`graph_cache`, the same cached graph the onnxruntime backend uses) at the first padded frame
  size it sees, then read by OpenVINO;
* an exported portable ``.onnx`` (with its sidecar): an fp32 graph is compiled at the precision
  asked for; a reduced-precision graph runs at its own;
* an OpenVINO IR ``.xml`` from ``vfi build --target openvino`` (with its sidecar): at the precision
  it was built at, its islands already in the graph.

The precision is always set explicitly (``INFERENCE_PRECISION_HINT``): OpenVINO's own choice (bf16
on any CPU with AVX512_BF16, coordinates included) is never left in force. Compiled models are
cached by OpenVINO in ``<vfi cache>/openvino`` (``CACHE_DIR``), so a second run skips compilation.
One compiled model is kept per padded frame size and batch (static shapes run fastest on CPU).
With ``requests > 1`` a call's frames are spread over that many asynchronous infer requests
(OpenVINO's ``AsyncInferQueue``), which run in parallel on CPUs with the cores for several streams,
and the pipeline hands over that many consecutive pairs per call (``pairs_per_call``), so
consecutive pairs overlap.
"""

from __future__ import annotations

import numpy as np

from vfi.core.errors import InputError
from vfi.runtime.bundle import BundleSupport
from vfi.runtime.runner import Runner


class OpenVINORunner(BundleSupport, Runner):
    """Runs the model with OpenVINO on the CPU.

    Options:
        streams: OpenVINO CPU streams (None: one, the latency setting).
        requests: asynchronous infer requests a call spreads its frames over (default 1).
        islands: keep coordinate arithmetic in fp32 at reduced precision (default True; False
            hands the lowering to OpenVINO's plugin, which lowers coordinates too: for
            measurements only).
    """

    name = "openvino"
    requires = ("openvino",)
    precisions = {"cpu": ("fp32",), "cuda": ()}

    def __init__(
        self,
        model,
        device: str = "cpu",
        precision: str | None = None,
        threads: int | None = None,
        hparams: dict | None = None,
        streams: int | None = None,
        requests: int = 1,
        islands: bool = True,
    ):
        super().__init__(model, device=device, precision=precision, threads=threads, hparams=hparams)
        from vfi.core.openvino import cpu_precisions, shared_core
        from vfi.runtime.backends.artifact import artifact_kind

        self._core = shared_core()  # BackendUnavailable, in one line, where OpenVINO is missing
        if device != "cpu":
            raise InputError("the openvino backend runs on device cpu (OpenVINO's CPU plugin)", "device")
        if streams is not None and streams < 1:
            raise InputError(f"streams must be >= 1, got {streams}", "streams")
        if requests < 1:
            raise InputError(f"requests must be >= 1, got {requests}", "requests")
        self.streams, self.requests, self.islands = streams, int(requests), bool(islands)
        self.pairs_per_call = self.requests  # the pipeline overlaps that many consecutive pairs
        self.precisions = {"cpu": cpu_precisions(self._core), "cuda": ()}
        self._kind = artifact_kind(model)
        if self._kind not in (None, "onnx", "openvino-ir"):
            raise InputError(f"the openvino backend runs a model, a portable .onnx or an OpenVINO .xml; got {model!r}", "model")
        self._fixed_precision = False
        self._artifact = self._fitter = self._spec = self._module = self._fingerprint = None
        self._models: dict[tuple[int, int], object] = {}  # padded size -> prepared openvino.Model
        self._compiled: dict[tuple[int, int, int], object] = {}  # (height, width, batch) -> CompiledModel
        self._queues: dict[tuple[int, int, int], object] = {}
        #: properties every compile of this runner used (for the run summary and tests)
        self.compile_properties: dict = {}

    @classmethod
    def model_precisions(cls) -> dict[str, tuple[str, ...]]:
        """What this machine's CPU plugin runs natively (OpenVINO runs on CPU only here)."""
        from vfi.core.openvino import cpu_precisions

        return {"cpu": cpu_precisions()}

    @classmethod
    def version(cls) -> str:
        try:
            import openvino

            return openvino.get_version().split("-")[0]
        except Exception:  # missing or broken library: doctor shows "-"
            return "-"

    def _load(self) -> None:
        from vfi.runtime.backends.artifact import load_artifact

        if self._load_bundle("onnx"):
            self.pairs_per_call = 1
            return
        if self._kind is not None:
            artifact = load_artifact(self.model, self._kind)
            if self._kind == "onnx" and artifact.sidecar.get("flavour") != "portable":
                raise InputError(
                    f"{artifact.path.name} holds vfi plugin nodes that OpenVINO cannot run; export the portable flavour"
                )
            if self._kind == "openvino-ir" or artifact.precision != "fp32":
                # Built at a precision: it runs at that one (an fp32 graph may be compiled lower).
                self._use_artifact_precision(artifact.precision, artifact.path.name)
                self._fixed_precision = True
            else:
                self._check_model_precision()
                self._refuse_hparams(artifact.path.name)
            self._adopt_artifact(artifact)
            return
        self._check_model_precision()
        self._adopt_model_for_export()
        if self.runs_bundle:
            self.pairs_per_call = 1  # each call is a sampling loop; requests overlap nothing

    # -- bundles (vfi.runtime.bundle) ------------------------------------------------------------

    def _check_bundle(self, bundle) -> None:
        if bundle.manifest.get("flavour") != "portable":
            raise InputError(f"{bundle.path.name} holds vfi plugin nodes that OpenVINO cannot run; export the portable flavour")

    def _open_part(self, role: str, path):
        from vfi.core.cache import cache_dir
        from vfi.core.openvino import compile_properties, reduce_precision
        from vfi.runtime.backends.artifact import open_artifact_file

        model = open_artifact_file(path, "onnx", lambda: self._core.read_model(str(path)))
        if self._bundle is not None and self._bundle.precision != "fp32":
            precision_properties = {"INFERENCE_PRECISION_HINT": "f32"}  # the graph's own types
        else:
            precision_properties = reduce_precision(model, self.precision, islands=self.islands)
        properties = compile_properties(precision_properties, self.threads, self.streams, str(cache_dir() / "openvino"))
        self.compile_properties = properties
        compiled = open_artifact_file(path, "onnx", lambda: self._core.compile_model(model, "CPU", properties))
        return compiled, compiled.create_infer_request()

    def _run_part(self, handle, feeds: dict) -> dict:
        compiled, request = handle
        names = {name for port in compiled.inputs for name in port.get_names()}
        result = request.infer({k: v for k, v in feeds.items() if k in names})
        return {port.get_any_name(): result[port].copy() for port in compiled.outputs}

    def _part_paths(self, height: int, width: int) -> dict:
        from vfi.runtime.backends.graph_cache import onnx_bundle_for

        return onnx_bundle_for(self._module, self._fingerprint, height, width)

    def prepare(self, height: int, width: int) -> None:
        """Export (or find in the cache) and compile the graph for this padded size, batch 1."""
        super().prepare(height, width)
        if self._fitter is not None:
            self._fitter.check_size(height, width)
        if self.runs_bundle:
            if self._bundle is None:
                self._handles_for(height, width)
            return
        self._compiled_for(height, width, 1)

    def _model_for(self, height: int, width: int):
        from vfi.core.openvino import reduce_precision

        key = (height, width) if self._artifact is None else (0, 0)
        if key not in self._models:
            if self._artifact is not None:
                path = self._artifact.path
            else:
                from vfi.runtime.backends.graph_cache import onnx_graph_for

                path = onnx_graph_for(self._module, self._fingerprint, height, width)
            if self._artifact is not None:  # a user's file: a damaged one is one line, not a traceback
                from vfi.runtime.backends.artifact import check_graph_inputs, open_artifact_file

                model = open_artifact_file(path, self._kind, lambda: self._read_artifact(path))
                check_graph_inputs(path, {name for port in model.inputs for name in port.get_names()}, self._spec)
            else:
                model = self._core.read_model(str(path))
            if self._kind == "openvino-ir":
                properties = dict(self._artifact.sidecar.get("compile", {"INFERENCE_PRECISION_HINT": "f32"}))
            elif self._fixed_precision:
                properties = {"INFERENCE_PRECISION_HINT": "f32"}  # the graph's own types
            else:
                properties = reduce_precision(model, self.precision, islands=self.islands)
            self._models[key] = (model, properties)
        return self._models[key]

    def _read_artifact(self, path):
        """OpenVINO's model of the artifact at `path`. An ``.onnx`` that OpenVINO's ONNX reader does not
        recognise is refused before `read_model`, which would try its other frontends on it (the
        TensorFlow one writes parse errors to the process's stderr)."""
        if self._kind == "onnx":
            from openvino.frontend import FrontEndManager

            if not FrontEndManager().load_by_framework("onnx").supported(str(path)):
                raise ValueError("OpenVINO's ONNX reader does not recognise it as an ONNX model")
        return self._core.read_model(str(path))

    def _compiled_for(self, height: int, width: int, batch: int):
        key = (height, width, batch)
        if key not in self._compiled:
            from vfi.core.cache import cache_dir
            from vfi.core.openvino import compile_properties

            model, precision_properties = self._model_for(height, width)
            shapes = self._spec.input_shapes(batch, height, width)
            if any(not port.get_partial_shape().is_static for port in model.inputs):
                model = model.clone()
                model.reshape({port.get_any_name(): shapes[port.get_any_name()] for port in model.inputs})
            properties = compile_properties(precision_properties, self.threads, self.streams, str(cache_dir() / "openvino"))
            self.compile_properties = properties
            if self._artifact is not None:
                from vfi.runtime.backends.artifact import open_artifact_file

                compiled = open_artifact_file(
                    self._artifact.path, self._kind, lambda: self._core.compile_model(model, "CPU", properties)
                )
            else:
                compiled = self._core.compile_model(model, "CPU", properties)
            self._compiled[key] = compiled
        return self._compiled[key]

    def _infer(self, img0: np.ndarray, img1: np.ndarray, t: np.ndarray, context: tuple = ()) -> np.ndarray:
        if self.runs_bundle:
            return self._bundle_infer(img0, img1, t, context)
        spec = self._spec

        def run(a, b, tt, ctx):
            n, _, h, w = a.shape
            if self.requests == 1 or n == 1:
                compiled = self._compiled_for(h, w, n)
                return compiled.create_infer_request().infer(spec.feeds(a, b, tt, ctx))[compiled.output(0)].copy()
            return self._run_async(a, b, tt, ctx)

        if self._fitter is not None:
            return self._fitter.run(run, img0, img1, t, context)
        return run(img0, img1, t, context)

    def _run_async(self, a: np.ndarray, b: np.ndarray, t: np.ndarray, context: tuple) -> np.ndarray:
        """One frame per infer request, `requests` of them in flight."""
        import openvino as ov

        n, _, h, w = a.shape
        compiled = self._compiled_for(h, w, 1)
        key = (h, w, 1)
        if key not in self._queues:
            self._queues[key] = ov.AsyncInferQueue(compiled, self.requests)
        queue = self._queues[key]
        out = np.empty_like(a)

        def done(request, index):
            out[index] = request.get_output_tensor(0).data[0]

        queue.set_callback(done)
        for i in range(n):
            one = tuple(frame[i : i + 1] for frame in context)
            queue.start_async(self._spec.feeds(a[i : i + 1], b[i : i + 1], t[i : i + 1], one), userdata=i)
        queue.wait_all()
        return out

    def _close(self) -> None:
        self._queues.clear()
        self._compiled.clear()
        self._models.clear()
        self.__dict__.pop("_bundle_cache", None)
        self._bundle_handles = {}
        self._module = self._artifact = None
