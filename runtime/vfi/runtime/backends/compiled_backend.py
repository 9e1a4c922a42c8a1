"""The `compiled` backend: an AOTInductor package (``.pt2`` from `vfi build --target compiled`)
loaded with `torch._inductor.aoti_load_package`.

The package runs on the device kind it was compiled for (recorded in its sidecar, with the torch
version it needs); the device asked for must match, and the package runs at the precision it was
compiled at. Static packages take smaller frames padded up to their
size (`artifact.ShapeFitter`).
"""

from __future__ import annotations

import numpy as np

from vfi.core.errors import BackendUnavailable, InputError
from vfi.runtime.runner import Runner


def _load_package(path):
    """`aoti_load_package(path)`; a file that is not even a zip archive (truncated, or not a
    package) is refused first, before torch logs its own warnings about it."""
    import zipfile

    import torch

    if not zipfile.is_zipfile(path):
        raise ValueError("not a zip archive, as every .pt2 package is")
    return torch._inductor.aoti_load_package(str(path))


class CompiledRunner(Runner):
    """Runs an AOTInductor package. The model must be a ``.pt2`` path with its sidecar."""

    name = "compiled"
    runs_models = False
    requires = ("torch", "torch._inductor")

    def __init__(
        self, model, device: str = "cpu", precision: str | None = None, threads: int | None = None, hparams: dict | None = None
    ):
        super().__init__(model, device=device, precision=precision, threads=threads, hparams=hparams)
        from vfi.runtime.backends.artifact import artifact_kind

        if artifact_kind(model) != "aoti-package":
            raise InputError(
                "the compiled backend runs an AOTInductor package (a .pt2 file with its sidecar, "
                f"`vfi build --target compiled`); got {model!r}",
                "model",
            )
        self._package = None
        self._fitter = None
        self._spec = None

    def _load(self) -> None:
        import torch

        from vfi.runtime.backends.artifact import load_artifact

        artifact = load_artifact(self.model, "aoti-package")
        built_for = artifact.sidecar.get("device", "cpu")
        if built_for != self.device:
            raise InputError(f"{artifact.path.name} was compiled for {built_for}; run it on device {built_for}", "device")
        if self.device == "cuda" and not torch.cuda.is_available():
            raise BackendUnavailable("device cuda requested but no CUDA device is visible; use device cpu", "device")
        self._use_artifact_precision(artifact.precision, artifact.path.name)
        built_torch = artifact.sidecar.get("tools", {}).get("torch")
        if built_torch not in (None, "-") and built_torch.split("+")[0] != torch.__version__.split("+")[0]:
            raise BackendUnavailable(
                f"{artifact.path.name} was compiled with torch {built_torch}, this is "
                f"{torch.__version__}; compile it again here (vfi build --target compiled)"
            )
        self._set_torch_threads()
        self._adopt_artifact(artifact)
        from vfi.runtime.backends.artifact import open_artifact_file

        self._package = open_artifact_file(artifact.path, "aoti-package", lambda: _load_package(artifact.path))

    def prepare(self, height: int, width: int) -> None:
        super().prepare(height, width)
        self._fitter.check_size(height, width)

    def _infer(self, img0: np.ndarray, img1: np.ndarray, t: np.ndarray, context: tuple = ()) -> np.ndarray:
        import torch

        spec = self._spec

        def run(a, b, tt, ctx):
            with torch.inference_mode():
                args = [torch.from_numpy(value).to(self.device) for value in spec.ordered(spec.feeds(a, b, tt, ctx))]
                return self._package(*args).float().cpu().numpy()

        return self._fitter.run(run, img0, img1, t, context)

    def _close(self) -> None:
        self._package = None
