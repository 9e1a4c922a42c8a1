"""The `compiled` backend: an AOTInductor package (``.pt2`` from `vfi build --target compiled`)
loaded with `torch._inductor.aoti_load_package`.

The package runs on the device kind it was compiled for (recorded in its sidecar, with the torch
version it needs); `--device` must match. Static packages take smaller frames padded up to their
size (`artifact.ShapeFitter`).
"""

from __future__ import annotations

import numpy as np

from vfi.core.errors import BackendUnavailable, InputError
from vfi.runtime.runner import Runner


class CompiledRunner(Runner):
    """Runs an AOTInductor package. The model must be a ``.pt2`` path with its sidecar."""

    name = "compiled"
    requires = ("torch", "torch._inductor")

    def __init__(self, model, device: str = "cpu", precision: str = "fp32", threads: int | None = None):
        super().__init__(model, device=device, precision=precision, threads=threads)
        from vfi.runtime.backends.artifact import artifact_kind

        if artifact_kind(model) != "aoti-package":
            raise InputError("the compiled backend runs a package built by `vfi build --target compiled` "
                             f"(a .pt2 file); got {model!r}")
        self._package = None
        self._fitter = None



    def _load(self) -> None:
        import torch

        from vfi.runtime.backends.artifact import load_artifact

        artifact = load_artifact(self.model, "aoti-package")
        built_for = artifact.sidecar.get("device", "cpu")
        if built_for != self.device:
            raise BackendUnavailable(f"{artifact.path.name} was compiled for {built_for}; run it with --device {built_for}")
        if self.device == "cuda" and not torch.cuda.is_available():
            raise BackendUnavailable("--device cuda requested but no CUDA device is visible; use --device cpu")
        if self.precision != artifact.sidecar["precision"]:
            raise BackendUnavailable(f"{artifact.path.name} is a {artifact.sidecar['precision']} package; "
                                     f"give --precision {artifact.sidecar['precision']} or rebuild it")
        built_torch = artifact.sidecar.get("tools", {}).get("torch")
        if built_torch not in (None, "-") and built_torch.split("+")[0] != torch.__version__.split("+")[0]:
            raise BackendUnavailable(f"{artifact.path.name} was compiled with torch {built_torch}, this is "
                                     f"{torch.__version__}; rebuild it with `vfi build --target compiled`")
        if self.threads is not None:
            torch.set_num_threads(self.threads)
        self.card = artifact.card()
        self._fitter = artifact.fitter()
        self._package = torch._inductor.aoti_load_package(str(artifact.path))

    def prepare(self, height: int, width: int) -> None:
        super().prepare(height, width)
        self._fitter.check_size(height, width)

    def _infer(self, img0: np.ndarray, img1: np.ndarray, t: np.ndarray) -> np.ndarray:
        import torch

        from vfi.runtime.backends.artifact import graph_feeds

        mode = self.card.timestep_mode

        def run(a, b, tt):
            feeds = graph_feeds(mode, a, b, tt)
            with torch.inference_mode():
                args = [torch.from_numpy(feeds[n]).to(self.device) for n in ("img0", "img1", "timestep") if n in feeds]
                return self._package(*args).float().cpu().numpy()

        return self._fitter.run(run, img0, img1, t)

    def _close(self) -> None:
        self._package = None
