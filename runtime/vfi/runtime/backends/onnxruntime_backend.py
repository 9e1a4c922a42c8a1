"""The ONNX Runtime backend: the model exported to ONNX on first use, run by an ORT session.

The graph is exported lazily at the first padded frame size `infer` sees (the pipeline pads every
frame of a clip to the same size) and cached on disk (see `graph_cache`). One session is kept per
frame size.

A model given as an exported ``.onnx`` path (a portable-flavour `vfi export`) is run as is, at
the precision it was exported with: the card comes from its sidecar, and a static graph takes
smaller frames padded up to its size (`artifact.ShapeFitter`).
"""

from __future__ import annotations

import numpy as np

from vfi.core.errors import BackendUnavailable, InputError
from vfi.runtime.bundle import BundleSupport
from vfi.runtime.runner import Runner


class OnnxRuntimeRunner(BundleSupport, Runner):
    """Runs the model's ONNX export with onnxruntime.

    Providers: CPUExecutionProvider for ``device="cpu"``; CUDAExecutionProvider (then CPU for any
    node it lacks) for ``device="cuda"`` when the installed onnxruntime has it. A model is exported
    at fp32, or on CUDA at fp16 (`precisions`); an exported graph runs at its own precision.
    """

    name = "onnxruntime"
    requires = ("onnxruntime", "torch")  # torch: graphs are exported on first use
    precisions = {"cpu": ("fp32",), "cuda": ("fp32", "fp16")}

    def __init__(
        self, model, device: str = "cpu", precision: str | None = None, threads: int | None = None, hparams: dict | None = None
    ):
        super().__init__(model, device=device, precision=precision, threads=threads, hparams=hparams)
        import onnxruntime as ort

        from vfi.runtime.backends.artifact import artifact_kind

        if device == "cuda" and "CUDAExecutionProvider" not in ort.get_available_providers():
            raise BackendUnavailable(
                "device cuda requested but this onnxruntime has no CUDAExecutionProvider (install onnxruntime-gpu); "
                "use device cpu",
                "device",
            )
        self._is_artifact = artifact_kind(model) is not None
        if not self._is_artifact:
            self._check_model_precision()
        self._module = None
        self._fingerprint = None
        self._artifact = None
        self._fitter = None
        self._spec = None
        self._sessions: dict[tuple, object] = {}
        #: path of the graph each session runs, by padded (height, width)
        self.graph_paths: dict[tuple, object] = {}

    def _load(self) -> None:
        from vfi.runtime.backends.artifact import load_artifact

        if self._load_bundle("onnx"):
            return
        if self._is_artifact:
            artifact = load_artifact(self.model, "onnx")
            if artifact.sidecar.get("flavour") != "portable":
                raise InputError(
                    f"{artifact.path.name} is a {artifact.sidecar.get('flavour')}-flavour graph with vfi plugin nodes that "
                    "ONNX Runtime cannot run; export the portable flavour, or build a TensorRT engine from it"
                )
            self._use_artifact_precision(artifact.precision, artifact.path.name)
            self._adopt_artifact(artifact)
            return
        self._adopt_model_for_export()

    def prepare(self, height: int, width: int) -> None:
        """Export (or find in the cache) the graph for this padded size and open its session."""
        super().prepare(height, width)
        if self._fitter is not None:
            self._fitter.check_size(height, width)
        if self.runs_bundle:
            if self._bundle is None:
                self._handles_for(height, width)
            return
        self.session_for(height, width)

    def session_for(self, height: int, width: int):
        """The ORT session for padded frames of `height` x `width` (exporting the graph if needed)."""

        from vfi.runtime.backends.graph_cache import onnx_graph_for

        key = (height, width) if self._artifact is None else ("artifact", 0)
        if key not in self._sessions:
            if self._artifact is not None:
                path = self._artifact.path
            else:
                path = onnx_graph_for(self._module, self._fingerprint, height, width, self.precision)
            open_session = self._session_opener(path)

            if self._artifact is not None:  # a user's file: a damaged one is one line, not a traceback
                from vfi.runtime.backends.artifact import check_graph_inputs, open_artifact_file

                session = open_artifact_file(path, "onnx", open_session)
                check_graph_inputs(path, {i.name for i in session.get_inputs()}, self._spec)
                self._sessions[key] = session
            else:
                self._sessions[key] = open_session()
            self.graph_paths[key] = path
        return self._sessions[key]

    def _session_opener(self, path):
        """A function opening an ORT session on the graph at `path` with this runner's settings."""
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        if self.threads is not None:
            options.intra_op_num_threads = self.threads
        providers = ["CPUExecutionProvider"]
        if self.device == "cuda":
            providers.insert(0, "CUDAExecutionProvider")
        return lambda: ort.InferenceSession(str(path), sess_options=options, providers=providers)

    # -- bundles (vfi.runtime.bundle) ------------------------------------------------------------

    def _check_bundle(self, bundle) -> None:
        if bundle.manifest.get("flavour") != "portable":
            raise InputError(
                f"{bundle.path.name} is a {bundle.manifest.get('flavour')}-flavour bundle with vfi plugin nodes that ONNX "
                "Runtime cannot run; export the portable flavour, or build TensorRT engines from it"
            )

    def _open_part(self, role: str, path):
        from vfi.runtime.backends.artifact import open_artifact_file

        session = open_artifact_file(path, "onnx", self._session_opener(path))
        return session, [o.name for o in session.get_outputs()]

    def _run_part(self, handle, feeds: dict) -> dict:
        session, outputs = handle
        names = {i.name for i in session.get_inputs()}
        return dict(zip(outputs, session.run(outputs, {k: v for k, v in feeds.items() if k in names})))

    def _part_paths(self, height: int, width: int) -> dict:
        from vfi.runtime.backends.graph_cache import onnx_bundle_for

        return onnx_bundle_for(self._module, self._fingerprint, height, width, self.precision)

    def _infer(self, img0: np.ndarray, img1: np.ndarray, t: np.ndarray, context: tuple = ()) -> np.ndarray:
        if self.runs_bundle:
            return self._bundle_infer(img0, img1, t, context)
        session = self.session_for(*img0.shape[-2:])
        outputs = self._spec.output_names

        def run(a, b, tt, ctx):
            (frame,) = session.run(outputs, self._spec.feeds(a, b, tt, ctx))
            return frame

        if self._fitter is not None:
            return self._fitter.run(run, img0, img1, t, context)
        return run(img0, img1, t, context)

    def _close(self) -> None:
        self._sessions.clear()
        self.__dict__.pop("_bundle_cache", None)
        self._bundle_handles = {}
        self._module = None
        self._artifact = None
