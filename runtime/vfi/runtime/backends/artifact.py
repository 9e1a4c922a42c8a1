"""Built artifacts as runner models: an exported ``.onnx``, a TensorRT ``.engine`` / ``.plan``, or
an AOTInductor ``.pt2``, each with the JSON sidecar that `vfi export` / `vfi build` wrote next to
it (``<artifact>.json``, read with `vfi.core.sidecar.read_sidecar`).

The sidecar gives the model card (pad multiple, timestep mode, hence the graph interface,
`vfi.models.graph_spec`), the precision it was built at, and the shapes the artifact takes.
An artifact with a static size accepts smaller frames: `ShapeFitter` pads them
(`vfi.core.padding`, as the pipeline does) up to the static size and crops the result, and splits or pads the
batch to the static batch; a frame larger than the static size is refused with `InputError` (no
cropping: the model would never see part of the picture), saying what kind of graph fits. Symbolic dimensions accept any size within the recorded range.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from vfi.core.errors import InputError
from vfi.core.padding import crop_to, pad_to_size
from vfi.core.sidecar import read_sidecar

SUFFIXES = {
    ".onnx": "onnx",
    ".engine": "tensorrt-engine",
    ".plan": "tensorrt-engine",
    ".pt2": "aoti-package",
    ".xml": "openvino-ir",
}


def artifact_kind(model) -> str | None:
    """The artifact kind a runner model names by its suffix, or None (a model name / checkpoint / module).

    A bundle folder (``NAME.bundle``, `vfi.runtime.bundle`) is of the kind of its graphs, read from
    its manifest (`InputError` when that is missing or damaged)."""
    if isinstance(model, (str, os.PathLike)):
        from vfi.core.sidecar import BUNDLE_SUFFIX, read_manifest

        if Path(model).suffix.lower() == BUNDLE_SUFFIX:
            return read_manifest(model)["kind"]
        return SUFFIXES.get(Path(model).suffix.lower())
    return None


#: what each kind of artifact is called in a message
KIND_NAMES = {
    "onnx": "ONNX graph",
    "tensorrt-engine": "TensorRT engine",
    "aoti-package": "AOTInductor package",
    "openvino-ir": "OpenVINO IR",
}


def open_artifact_file(path, kind: str, opener):
    """`opener()`, the library call that parses the artifact at `path` (an ONNX Runtime session,
    OpenVINO's read_model, aoti_load_package, TensorRT's deserialize); any exception it raises for
    a truncated or corrupt file becomes one `InputError` line naming the file and saying what to do.
    The one place each backend opens its artifact goes through here."""
    from vfi.core.messages import short_error

    try:
        return opener()
    except Exception as exc:  # each library raises its own types (RuntimeError, Fail, InvalidProtobuf, ...)
        name = Path(path).name
        raise InputError(
            f"{path}: not a readable {KIND_NAMES.get(kind, kind)} ({short_error(exc, limit=160)}); the file is truncated "
            f"or damaged, export or build {name} again"
        ) from None


@dataclass
class Artifact:
    """An artifact and its sidecar."""

    path: Path
    sidecar: dict

    @property
    def kind(self) -> str:
        return self.sidecar["kind"]

    @property
    def precision(self) -> str:
        """The precision the artifact was built at."""
        return self.sidecar["precision"]

    def card(self):
        from vfi.models.card import ModelCard

        try:
            return ModelCard.from_dict(self.sidecar.get("model_card"))
        except (ValueError, TypeError) as exc:
            raise InputError(f"{self.path}: its sidecar's model card is malformed: {exc}") from None

    def graph_spec(self):
        """The artifact's graph interface (from its model card)."""
        from vfi.models.registry import graph_spec

        return graph_spec(self.card())

    def fitter(self) -> ShapeFitter:
        n, _, h, w = self.sidecar["inputs"]["img0"]
        max_batch = n if isinstance(n, int) else None
        if self.kind == "tensorrt-engine" and max_batch is None:
            max_batch = next(iter(self.sidecar["profiles"][0].values()))["max"][0]
        fixed = (h, w) if isinstance(h, int) and isinstance(w, int) else None
        limit = None
        if self.kind == "tensorrt-engine" and fixed is None:
            profile = self.sidecar["profiles"][0]["img0"]
            limit = (tuple(profile["min"][2:]), tuple(profile["max"][2:]))
        return ShapeFitter(
            self.path.name,
            static_batch=n if isinstance(n, int) else None,
            max_batch=max_batch,
            static_size=fixed,
            size_range=limit,
        )


def load_artifact(path, expected_kind: str) -> Artifact:
    """The artifact at `path` with its sidecar; `InputError` if either is missing or of another kind."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path} does not exist")
    if path.stat().st_size == 0:
        raise InputError(f"{path} is empty (0 bytes); export or build it again")
    artifact = Artifact(path, read_sidecar(path, expected_kind))
    _check_sidecar(artifact)
    return artifact


def check_graph_inputs(path, names: set[str], spec) -> None:
    """`InputError` when the graph read from `path` lacks inputs its sidecar's card implies (a graph
    and sidecar of two different exports, or a damaged graph that parsed)."""
    missing = [name for name in spec.input_names if name not in names]
    if missing:
        found = ", ".join(sorted(names)) or "none"
        raise InputError(
            f"{path}: the graph has no input {', '.join(missing)} (its inputs: {found}), which its sidecar's model card "
            "implies; the graph and its sidecar do not belong together, export or build it again"
        )


def _check_sidecar(artifact: Artifact) -> None:
    """`InputError` for a sidecar whose card, precision or input shapes a runner cannot use (a hand-edited
    or damaged one), before anything reads them."""
    side = artifact.sidecar
    artifact.card()
    if not isinstance(side.get("precision"), str):
        raise InputError(f"{artifact.path}: its sidecar has no precision; export or build it again")
    shape = (side.get("inputs") or {}).get("img0") if isinstance(side.get("inputs"), dict) else None
    dims_ok = isinstance(shape, list) and len(shape) == 4
    if dims_ok:
        for dim in shape:
            if isinstance(dim, bool) or not (isinstance(dim, str) or (isinstance(dim, int) and 1 <= dim <= 1 << 20)):
                dims_ok = False
    if not dims_ok:
        raise InputError(f"{artifact.path}: its sidecar's img0 shape {shape!r} is not [N, 3, H, W]; export or build it again")
    if artifact.kind == "tensorrt-engine":
        profiles = side.get("profiles")
        if not (isinstance(profiles, list) and profiles and isinstance(profiles[0], dict) and "img0" in profiles[0]):
            raise InputError(f"{artifact.path}: its sidecar has no optimisation profile for img0; build the engine again")


@dataclass
class ShapeFitter:
    """Fits a runner call to an artifact's shapes (see the module docstring)."""

    name: str
    static_batch: int | None = None
    max_batch: int | None = None
    static_size: tuple[int, int] | None = None
    size_range: tuple[tuple[int, int], tuple[int, int]] | None = None

    def check_size(self, height: int, width: int) -> None:
        """`InputError` when padded frames of `height` x `width` cannot run on the artifact."""
        if self.static_size is not None:
            sh, sw = self.static_size
            if height > sh or width > sw:
                raise InputError(
                    f"{self.name} was built for frames of at most {sh}x{sw} (HxW), the padded input is {height}x{width}; "
                    f"export a graph of shape {height}x{width} or a dynamic one"
                )
        if self.size_range is not None:
            (lh, lw), (hh, hw) = self.size_range
            if not (lh <= height <= hh and lw <= width <= hw):
                raise InputError(
                    f"{self.name}: padded frames {height}x{width} are outside the engine's profile "
                    f"{lh}x{lw} .. {hh}x{hw}; build it again with a min and max size covering them"
                )

    def chunks(self, img0: np.ndarray, img1: np.ndarray, t: np.ndarray, context: tuple = ()) -> list[tuple]:
        """(img0, img1, t, context, real count) pieces that fit the artifact: frames (the context
        frames too) padded up to a static size, the batch cut to the static or largest batch, a
        short last piece padded by repeating its last sample (whose outputs `assemble` drops)."""
        n, _, h, w = img0.shape
        self.check_size(h, w)
        frames = [img0, img1, *context]
        if self.static_size is not None:
            frames = [pad_to_size(frame, *self.static_size) for frame in frames]
        step = self.static_batch or self.max_batch or n
        pieces = []
        for start in range(0, n, step):
            part = [frame[start : start + step] for frame in frames]
            tt = t[start : start + step]
            count = part[0].shape[0]
            if self.static_batch is not None and count < self.static_batch:
                fill = self.static_batch - count
                part = [np.concatenate([x, np.repeat(x[-1:], fill, 0)]) for x in part]
                tt = np.concatenate([tt, np.repeat(tt[-1:], fill)])
            a, b, *ctx = (np.ascontiguousarray(x) for x in part)
            pieces.append((a, b, np.ascontiguousarray(tt), tuple(ctx), count))
        return pieces

    @staticmethod
    def assemble(outputs: list[np.ndarray], counts: list[int], height: int, width: int) -> np.ndarray:
        """The outputs of `chunks`' pieces joined, padding samples dropped, cropped to height x width."""
        parts = [out[:count] for out, count in zip(outputs, counts)]
        out = parts[0] if len(parts) == 1 else np.concatenate(parts)
        return crop_to(out, height, width)

    def run(self, fn, img0: np.ndarray, img1: np.ndarray, t: np.ndarray, context: tuple = ()) -> np.ndarray:
        """`fn(img0, img1, t, context)` over `chunks`, joined by `assemble`."""
        pieces = self.chunks(img0, img1, t, context)
        outputs = [fn(a, b, tt, ctx) for a, b, tt, ctx, _ in pieces]
        return self.assemble(outputs, [p[-1] for p in pieces], *img0.shape[-2:])
