"""Models made of several graphs (bundles) on every backend: the manifest and the sampling loop.

A diffusion model (LDMVFI) deploys as three graphs, encoder, denoiser and decoder, with a DDIM
loop between them (`vfi.core.diffusion.sample_frame`). A backend runs such a model through
`BundleSupport`, mixed into its runner: it opens each graph its own way (`_open_part`) and runs
one on NumPy feeds (`_run_part`); the loop, the seeded noise and the sampler settings live here
and in `vfi.core.diffusion`, once for every backend, so the pipeline never knows that a call is a
loop of graph calls, and a seed gives the same frame on every backend.

Where the graphs come from:
  * a bundle folder (``NAME.bundle``, `vfi export`, `vfi build`), read with `load_bundle`: the
    manifest gives the card, precision, static frame shape and the graphs' files; frames smaller
    than that shape are padded up to it (`artifact.ShapeFitter`);
  * a model (name, checkpoint, module) on a backend that exports graphs on the fly: the backend
    supplies the graphs per padded size (ONNX Runtime and OpenVINO export the parts into the graph
    cache, `graph_cache.onnx_bundle_for`).

Sampler settings (``steps``, ``eta``, ``seed``; `vfi.core.diffusion.SAMPLER_HPARAMS`) come from
the runner's ``hparams`` when given (``--steps``), else from the model card: unlike other
hyper-parameters, they are not fixed in a built graph.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from vfi.core.errors import InputError


@dataclass
class Bundle:
    """A bundle folder and its manifest (`vfi.core.sidecar.read_manifest`)."""

    path: Path
    manifest: dict

    @property
    def kind(self) -> str:
        return self.manifest["kind"]

    @property
    def precision(self) -> str:
        return self.manifest["precision"]

    @property
    def sidecar(self) -> dict:
        """The manifest, where single-graph code reads a sidecar (flavour, parity)."""
        return self.manifest

    def card(self):
        from vfi.models.card import ModelCard

        try:
            return ModelCard.from_dict(self.manifest.get("model_card"))
        except (ValueError, TypeError) as exc:
            raise InputError(f"{self.path}: its manifest's model card is malformed: {exc}") from None

    def graph_spec(self):
        from vfi.models.registry import graph_spec

        return graph_spec(self.card())

    def roles(self) -> list[str]:
        return list(self.manifest["graphs"])

    def part_path(self, role: str) -> Path:
        """The graph file of `role`; `InputError` when the folder lacks it."""
        path = self.path / self.manifest["graphs"][role]["file"]
        if not path.is_file():
            raise InputError(f"{self.path}: its {role} graph {path.name} is missing; export or build the bundle again")
        return path

    def inputs(self) -> dict[str, list[str]]:
        """Role -> the graph's input names, in order."""
        return {role: list(graph.get("inputs", {})) for role, graph in self.manifest["graphs"].items()}

    def schedule(self):
        from vfi.core.diffusion import DiffusionSchedule

        fields = (self.manifest.get("sampler") or {}).get("schedule") or {}
        try:
            return DiffusionSchedule(**fields)
        except TypeError as exc:
            raise InputError(f"{self.path}: its manifest's sampler schedule is malformed ({exc})") from None

    def fitter(self):
        from vfi.runtime.backends.artifact import ShapeFitter

        n, _, h, w = self.manifest["frame_shape"]
        return ShapeFitter(self.path.name, static_batch=n, max_batch=n, static_size=(h, w))


def load_bundle(path, kind: str) -> Bundle:
    """The bundle folder at `path` whose graphs are of artifact `kind`; `InputError` otherwise."""
    from vfi.core.diffusion import DIFFUSION_PARTS
    from vfi.core.sidecar import read_manifest

    path = Path(path)
    manifest = read_manifest(path, kind)
    bundle = Bundle(path, manifest)
    bundle.card()
    shape = manifest.get("frame_shape")
    if not (isinstance(shape, list) and len(shape) == 4 and all(isinstance(d, int) and d >= 1 for d in shape)):
        raise InputError(f"{path}: its manifest's frame_shape {shape!r} is not a static [N, 3, H, W]; export the bundle again")
    missing = [role for role in DIFFUSION_PARTS if role not in manifest["graphs"]]
    if missing:
        raise InputError(f"{path}: its manifest lists no {', '.join(missing)} graph; export or build the bundle again")
    return bundle


def sampler_settings(card, hparams: dict) -> dict:
    """steps, eta and seed for a run: `hparams`' where given, else the card's (validated)."""
    from vfi.core import options
    from vfi.core.diffusion import check_steps

    defaults = {"steps": 200, "eta": 1.0, "seed": 0} | {k: card.hparams[k] for k in ("steps", "eta", "seed") if k in card.hparams}
    settings = defaults | {k: hparams[k] for k in ("steps", "eta", "seed") if k in hparams}
    settings["steps"] = check_steps(settings["steps"])
    settings["eta"] = float(options.non_negative(settings["eta"], "eta"))
    settings["seed"] = int(options.integer(settings["seed"], "seed", 0))
    return settings


class BundleSupport:
    """Mixed into a `Runner` whose backend can run a bundle's graphs (see the module doc).

    The runner calls `_load_bundle(kind)` from `_load` (True when its model is a bundle folder) and
    `_bundle_infer` from `_infer` when `runs_bundle` is true; it implements `_open_part(role, path)`
    (returns a handle) and `_run_part(handle, feeds) -> {output: array}`; for a model on the fly,
    `_part_paths(height, width)` (role -> graph file at that padded size).
    """

    _bundle: Bundle | None = None

    @property
    def runs_bundle(self) -> bool:
        """Whether this runner's model is made of several graphs (a bundle or a diffusion model)."""
        spec = getattr(self, "_spec", None)
        return self._bundle is not None or bool(spec is not None and spec.parts)

    def _load_bundle(self, kind: str) -> bool:
        from vfi.core.diffusion import SAMPLER_HPARAMS
        from vfi.core.precision import artifact_precision
        from vfi.core.sidecar import is_bundle

        if not is_bundle(self.model):
            return False
        bundle = load_bundle(self.model, kind)
        self._check_bundle(bundle)
        self._bundle = bundle
        self._artifact = bundle
        self.card = bundle.card()
        self._spec = bundle.graph_spec()
        self._fitter = bundle.fitter()
        self.precision = artifact_precision(self.requested_precision, bundle.precision, bundle.path.name)
        fixed = {k: v for k, v in self.hparams.items() if k not in SAMPLER_HPARAMS}
        if fixed:
            raise InputError(
                f"{bundle.path.name} was built with its hyper-parameters fixed (only {', '.join(SAMPLER_HPARAMS)} may change "
                f"per run); build it again with {', '.join(f'{k}={v}' for k, v in fixed.items())} instead",
                *fixed,
            )
        self._bundle_settings = sampler_settings(self.card, self.hparams)
        self._bundle_handles = {role: self._open_part(role, bundle.part_path(role)) for role in bundle.roles()}
        return True

    def _bundle_infer(self, img0: np.ndarray, img1: np.ndarray, t: np.ndarray, context: tuple = ()) -> np.ndarray:
        from vfi.core.diffusion import sample_frame

        if self._bundle is not None:
            handles, inputs, schedule = self._bundle_handles, self._bundle.inputs(), self._bundle.schedule()
            settings = self._bundle_settings
        else:
            handles, inputs = self._handles_for(*img0.shape[-2:])
            schedule = self._module.schedule
            settings = sampler_settings(self.card, {})

        def run_part(role: str, feeds: dict) -> dict:
            return self._run_part(handles[role], feeds)

        def run(a, b, tt, ctx):
            return sample_frame(run_part, inputs, a, b, schedule, **settings)

        if self._bundle is not None:
            return self._fitter.run(run, img0, img1, t, context)
        # Graphs made on the fly take one sample: run the batch one by one.
        return np.concatenate([run(img0[i : i + 1], img1[i : i + 1], t[i : i + 1], ()) for i in range(img0.shape[0])])

    def _handles_for(self, height: int, width: int):
        """Opened graphs (and their input names) of a model on the fly at this padded size."""
        cache = self.__dict__.setdefault("_bundle_cache", {})
        if (height, width) not in cache:
            paths = self._part_paths(height, width)
            inputs = {role: list(self._module.bundle_io()[role][0]) for role in paths}
            cache[(height, width)] = ({role: self._open_part(role, path) for role, path in paths.items()}, inputs)
        return cache[(height, width)]

    # -- backend hooks ---------------------------------------------------------------------------

    def _check_bundle(self, bundle: Bundle) -> None:
        """Refuse a bundle this backend cannot run (before any graph is opened); default: none."""

    def _open_part(self, role: str, path: Path):
        raise NotImplementedError

    def _run_part(self, handle, feeds: dict) -> dict:
        raise NotImplementedError

    def _part_paths(self, height: int, width: int) -> dict[str, Path]:
        raise InputError(f"the {self.name} backend runs bundles only; export one with `vfi export MODEL -o NAME.bundle`")
