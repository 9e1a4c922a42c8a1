"""The JSON sidecar written next to every exported graph, engine or package.

The sidecar of ``model.onnx`` is ``model.onnx.json`` (the artifact's full name plus ".json", so a
graph and the engine built from it can share a folder). Runtime backends read it for the model
card (pad multiple, timestep mode) and the shapes the artifact accepts, through `read_sidecar`
(`vfi.runtime.backends.artifact`); this module imports only the standard library.

Common keys: format, format_version, kind ("onnx" | "tensorrt-engine" | "aoti-package"),
artifact (file name), created (UTC, ISO 8601), model_card, precision, io_dtype, inputs and outputs
(name -> shape; a string entry is a symbolic dimension), tools (name -> version). Kind-specific
keys: flavour, opset, simplifier, plugins, parity (onnx); profiles, builder options, plugins
(tensorrt-engine); device, dynamic (aoti-package).
"""

from __future__ import annotations

import datetime as _dt
import importlib.metadata
import json
from pathlib import Path

FORMAT = "vfi-artifact"
FORMAT_VERSION = 1
KINDS = ("onnx", "tensorrt-engine", "aoti-package")


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
        "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "model_card": dataclasses.asdict(card),
        "precision": precision,
        "io_dtype": "float32",
        "inputs": inputs,
        "outputs": outputs,
        "tools": tools,
        **extra,
    }


def write_sidecar(artifact, data: dict) -> Path:
    """Write `data` as the sidecar of `artifact`; returns its path."""
    path = sidecar_path(artifact)
    path.write_text(json.dumps(data, indent=2, sort_keys=False) + "\n")
    return path


def read_sidecar(artifact) -> dict:
    """The sidecar of `artifact`; `InputError` when it is missing or not ours."""
    from vfi.core.errors import InputError

    path = sidecar_path(artifact)
    if not path.is_file():
        raise InputError(f"{artifact} has no sidecar {path.name}; export it with `vfi export` / `vfi build`")
    try:
        data = json.loads(path.read_text())
    except json.JSONDecodeError as exc:
        raise InputError(f"sidecar {path} is not valid JSON ({exc})") from None
    if data.get("format") != FORMAT:
        raise InputError(f"{path} is not a vfi artifact sidecar (format {data.get('format')!r})")
    return data
