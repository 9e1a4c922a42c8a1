"""The JSON sidecar written next to every exported graph, engine or package.

The sidecar of ``model.onnx`` is ``model.onnx.json`` (the artifact's full name plus ".json", so a
graph and the engine built from it can share a folder). Exporters and builders write it with
`write_artifact` (artifact and sidecar appear together or not at all); runtime backends and the
serving repository read it with `read_sidecar` for the model card (pad multiple, timestep mode),
the precision and the shapes the artifact accepts. This is the only place that reads or writes it.

Common keys: format, format_version, kind ("onnx" | "tensorrt-engine" | "aoti-package" |
"openvino-ir"),
artifact (file name), created (UTC, ISO 8601), model_card, precision, io_dtype, inputs and outputs
(name -> shape; a string entry is a symbolic dimension), tools (name -> version). Kind-specific
keys: flavour, opset, simplifier, plugins, parity (onnx); profiles, builder options, plugins
(tensorrt-engine); device, dynamic (aoti-package); islands, openvino, parity (openvino-ir).

A model made of several graphs (a diffusion model: encoder, denoiser, decoder) is a *bundle*: a
folder ``NAME.bundle`` holding each graph with its own sidecar and one ``manifest.json``
(`write_bundle`, `read_manifest`): format "vfi-bundle", kind (the graphs' artifact kind), the
model card, precision, frame_shape (the padded [N, 3, H, W] it takes), sampler (the diffusion
settings the runtime's loop uses unless told otherwise), graphs (role -> file, inputs, outputs,
parity), parity (the whole bundle's, end to end) and tools.
"""

from __future__ import annotations

import datetime as _dt
import importlib.metadata
import json
from collections.abc import Callable
from pathlib import Path

from vfi.core.atomic import AtomicOutput, atomic_write_text
from vfi.core.errors import InputError

FORMAT = "vfi-artifact"
FORMAT_VERSION = 1
KINDS = ("onnx", "tensorrt-engine", "aoti-package", "openvino-ir")


BUNDLE_FORMAT = "vfi-bundle"
#: the folder suffix of a bundle, and its manifest's file name inside it
BUNDLE_SUFFIX = ".bundle"
MANIFEST = "manifest.json"


def sidecar_path(artifact) -> Path:
    """``<artifact>.json``: where the sidecar of `artifact` lives."""
    artifact = Path(artifact)
    return artifact.with_name(artifact.name + ".json")


def tool_versions(*names: str) -> dict[str, str]:
    """Installed version of each distribution in `names` ("-" when absent), plus vfi's own."""
    versions = {}
    for name in ("vfi", *names):
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = "-"
    return versions


def make_sidecar(kind: str, artifact, card, precision: str, inputs: dict, outputs: dict, tools: dict, **extra) -> dict:
    """The sidecar dictionary (see the module docstring for the keys)."""
    import dataclasses

    if kind not in KINDS:
        raise ValueError(f"unknown artifact kind {kind!r}; one of {KINDS}")
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "kind": kind,
        "artifact": Path(artifact).name,
        "created": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
        "model_card": dataclasses.asdict(card),
        "precision": precision,
        "io_dtype": "float32",
        "inputs": inputs,
        "outputs": outputs,
        "tools": tools,
        **extra,
    }


def sidecar_json(data: dict) -> str:
    """The sidecar's text (indented JSON, keys in insertion order)."""
    return json.dumps(data, indent=2, sort_keys=False) + "\n"


def write_artifact(
    artifact, sidecar: dict | Callable[[Path], dict], write: Callable[[Path], None], companions: tuple[str, ...] = ()
) -> tuple[Path, Path]:
    """Write an artifact and its sidecar atomically; returns (artifact path, sidecar path).

    `write(temp_path)` writes the artifact to a temporary path next to `artifact` (with the same
    suffix). `sidecar` is the sidecar, or a function of that temporary path returning it (for
    figures measured on the written artifact, such as parity). `companions` are suffixes of files
    the writer puts beside the temporary path by itself (".bin" beside an OpenVINO ".xml"); they
    are committed or removed with it. Nothing appears under the final names unless every step
    succeeds; the artifact is renamed into place first, then its sidecar.
    """
    from contextlib import ExitStack

    artifact = Path(artifact)
    with ExitStack() as stack:
        side = stack.enter_context(AtomicOutput(sidecar_path(artifact)))
        out = AtomicOutput(artifact)
        for suffix in companions:  # entered before the artifact, so committed after it
            stack.enter_context(AtomicOutput(artifact.with_suffix(suffix), temp=out.temp.with_suffix(suffix)))
        stack.enter_context(out)
        write(out.temp)
        data = sidecar(out.temp) if callable(sidecar) else sidecar
        side.temp.write_text(sidecar_json(data))
    return artifact, sidecar_path(artifact)


def write_sidecar(artifact, data: dict) -> Path:
    """(Re)write the sidecar of an existing `artifact` atomically; returns its path."""
    return atomic_write_text(sidecar_path(artifact), sidecar_json(data))


def read_sidecar(artifact, kind: str | None = None) -> dict:
    """The sidecar of `artifact`; `InputError` when it is missing, not ours, or (with `kind`) of
    another artifact kind."""
    path = sidecar_path(artifact)
    if not path.is_file():
        raise InputError(f"{artifact} has no sidecar {path.name}; export it with `vfi export` / `vfi build`")
    try:
        data = json.loads(path.read_text())
    except json.JSONDecodeError as exc:
        raise InputError(f"sidecar {path} is not valid JSON ({exc})") from None
    if data.get("format") != FORMAT:
        raise InputError(f"{path} is not a vfi artifact sidecar (format {data.get('format')!r})")
    if kind is not None and data.get("kind") != kind:
        raise InputError(f"{artifact} is a {data.get('kind')} artifact; expected {kind}")
    return data


def make_manifest(kind: str, card, precision: str, frame_shape: list, graphs: dict, sampler: dict, tools: dict, **extra) -> dict:
    """The manifest of a bundle (see the module docstring); `graphs` maps a role ("encoder", ...)
    to {"file", "inputs", "outputs", "parity"}."""
    import dataclasses

    if kind not in KINDS:
        raise ValueError(f"unknown artifact kind {kind!r}; one of {KINDS}")
    return {
        "format": BUNDLE_FORMAT,
        "format_version": FORMAT_VERSION,
        "kind": kind,
        "created": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
        "model_card": dataclasses.asdict(card),
        "precision": precision,
        "io_dtype": "float32",
        "frame_shape": frame_shape,
        "sampler": sampler,
        "graphs": graphs,
        "tools": tools,
        **extra,
    }


def write_bundle(bundle, manifest: dict | Callable[[Path], dict], write: Callable[[Path], None]) -> Path:
    """Write a bundle folder atomically; returns its path.

    `write(temp_folder)` writes the graphs (and their sidecars) into a temporary folder next to
    `bundle`; `manifest` is the manifest, or a function of that folder returning it (for figures
    measured on the written graphs). The folder appears under its final name only when everything
    succeeded; an existing bundle there is replaced.
    """
    from vfi.core.atomic import AtomicOutput

    bundle = Path(bundle)
    if bundle.suffix != BUNDLE_SUFFIX:
        raise InputError(f"a bundle is a folder named NAME{BUNDLE_SUFFIX}, got {bundle}", "output")
    with AtomicOutput(bundle, is_folder=True) as out:
        out.temp.mkdir(parents=True, exist_ok=True)
        write(out.temp)
        data = manifest(out.temp) if callable(manifest) else manifest
        (out.temp / MANIFEST).write_text(sidecar_json(data))
    return bundle


def is_bundle(path) -> bool:
    """Whether `path` names a bundle (by its suffix; it may not exist)."""
    return isinstance(path, (str, Path)) and Path(path).suffix.lower() == BUNDLE_SUFFIX


def read_manifest(bundle, kind: str | None = None) -> dict:
    """The manifest of the bundle folder `bundle`; `InputError` when the folder or its manifest is
    missing, damaged, not ours, or (with `kind`) its graphs are of another artifact kind."""
    bundle = Path(bundle)
    path = bundle / MANIFEST
    if not bundle.is_dir():
        raise InputError(f"{bundle} is not a bundle folder; export one with `vfi export MODEL -o NAME{BUNDLE_SUFFIX}`")
    if not path.is_file():
        raise InputError(f"{bundle} has no {MANIFEST}; export or build the bundle again")
    try:
        data = json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"{path} is not valid JSON ({exc}); export or build the bundle again") from None
    if not isinstance(data, dict) or data.get("format") != BUNDLE_FORMAT:
        raise InputError(f"{path} is not a vfi bundle manifest")
    graphs = data.get("graphs")
    if (
        not isinstance(graphs, dict)
        or not graphs
        or not all(isinstance(g, dict) and isinstance(g.get("file"), str) for g in graphs.values())
    ):
        raise InputError(f"{path} lists no graphs; export or build the bundle again")
    if kind is not None and data.get("kind") != kind:
        raise InputError(f"{bundle} is a bundle of {data.get('kind')} graphs; expected {kind}")
    return data
