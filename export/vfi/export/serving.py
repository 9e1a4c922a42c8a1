"""A Triton Inference Server model repository for an exported graph or a built engine.

    write_repository("rife.onnx", "models/")   # models/rife/config.pbtxt, models/rife/1/model.onnx

Layout: ``<repo>/<name>/config.pbtxt`` and ``<repo>/<name>/1/model.onnx`` (ONNX Runtime backend,
platform "onnxruntime_onnx") or ``1/model.plan`` (TensorRT backend, platform "tensorrt_plan").
Inputs and outputs come from the artifact's sidecar. When the batch dimension is symbolic (a
`--dynamic` export, or an engine whose profile spans several batch sizes), the config declares
``max_batch_size`` (dims then exclude the batch) and dynamic batching; otherwise
``max_batch_size: 0`` and the full shape. Symbolic height / width are written as -1.

Only portable ONNX graphs are served by the ONNX Runtime backend (a tensorrt-flavour graph holds
`vfi` nodes that ONNX Runtime cannot run; build an engine from it instead). An engine with our
plugins needs them at load time: their PTX is embedded in the plan (ahead-of-time plugins), and
the config says which plugins the plan holds in its ``parameters``.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from vfi.core.errors import InputError
from vfi.export.pbtxt import Enum, dumps

DEFAULT_MAX_BATCH = 8
DEFAULT_QUEUE_DELAY_US = 100


def model_name_for(sidecar: dict) -> str:
    """A Triton model name from the model card's variant (`vfi.core.serving.served_name`)."""
    from vfi.core.serving import served_name

    return served_name(sidecar.get("model_card", {}).get("variant", "model"))


def _batch_is_dynamic(sidecar: dict) -> bool:
    if sidecar["kind"] == "tensorrt-engine":
        first = next(iter(sidecar["profiles"][0].values()))
        return first["min"][0] != first["max"][0]
    return isinstance(sidecar["inputs"]["img0"][0], str)


def _dims(shape: list, drop_batch: bool) -> list[int]:
    dims = shape[1:] if drop_batch else shape
    return [d if isinstance(d, int) else -1 for d in dims]


def _tensor(served, shapes: dict, dynamic_batch: bool) -> dict:
    return {"name": served.name, "data_type": Enum(f"TYPE_{served.datatype}"), "dims": _dims(shapes[served.name], dynamic_batch)}


def make_config(
    sidecar: dict, name: str, max_batch_size: int = DEFAULT_MAX_BATCH, instances: int = 1, kind: str = "KIND_GPU"
) -> dict:
    """The config.pbtxt content (a dict for `pbtxt.dumps`) for the artifact described by `sidecar`."""
    from vfi.core.serving import io_tensors
    from vfi.models.card import ModelCard
    from vfi.models.registry import graph_spec

    engine = sidecar["kind"] == "tensorrt-engine"
    if not engine and sidecar.get("flavour") != "portable":
        raise InputError(
            "a tensorrt-flavour ONNX graph holds vfi plugin nodes that ONNX Runtime cannot run; "
            "serve an engine built from it (vfi build) or export the portable flavour",
            "flavour",
        )
    spec = graph_spec(ModelCard(**sidecar["model_card"]))
    recorded = (list(sidecar["inputs"]), list(sidecar["outputs"]))
    if recorded != (spec.input_names, spec.output_names):
        raise InputError(
            f"{sidecar.get('artifact')}: its sidecar lists inputs {recorded[0]} and outputs {recorded[1]}, "
            f"but the {sidecar['model_card']['family']} graph interface is {spec.input_names} -> "
            f"{spec.output_names}; export it again"
        )
    # Names and types are those `vfi serve` binds (the float32 variant); the shapes are the graph's.
    if spec.task != "interpolate":
        raise InputError(f"{sidecar.get('artifact')} is a flow estimator's graph; only interpolation models are served")
    served_inputs, served_outputs = io_tensors(spec.timestep_mode != "fixed", uint8=False, context=spec.context)
    if [t.name for t in served_inputs] != spec.input_names or [t.name for t in served_outputs] != spec.output_names:
        raise InputError(f"the {sidecar['model_card']['family']} graph interface differs from the served one")
    dynamic_batch = _batch_is_dynamic(sidecar)
    # Engine sidecars, like graph sidecars, hold inputs / outputs with symbolic names where the
    # profile spans a range (see `tensorrt_builder`); the profile's max batch bounds Triton's batch.
    shapes = {**sidecar["inputs"], **sidecar["outputs"]}
    if engine:
        max_batch = next(iter(sidecar["profiles"][0].values()))["max"][0] if dynamic_batch else 0
    else:
        max_batch = max_batch_size if dynamic_batch else 0
    config = {
        "name": name,
        "platform": "tensorrt_plan" if engine else "onnxruntime_onnx",
        "backend": "tensorrt" if engine else "onnxruntime",
        "max_batch_size": int(max_batch),
        "input": [_tensor(t, shapes, dynamic_batch) for t in served_inputs],
        "output": [_tensor(t, shapes, dynamic_batch) for t in served_outputs],
        "instance_group": [{"count": int(instances), "kind": Enum(kind)}],
    }
    if dynamic_batch:
        config["dynamic_batching"] = {"max_queue_delay_microseconds": DEFAULT_QUEUE_DELAY_US}
    plugins = sidecar.get("plugins") or []
    if engine and plugins:
        config["parameters"] = [
            {
                "key": "vfi_plugins",
                "value": {"string_value": ",".join(f"{p['namespace']}::{p['plugin']}@{p['version']}" for p in plugins)},
            }
        ]
    return config


def write_repository(
    artifact, repo, name: str | None = None, max_batch_size: int = DEFAULT_MAX_BATCH, instances: int = 1, kind: str = "KIND_GPU"
) -> Path:
    """Write the model folder for `artifact` (an exported .onnx or a built engine with its
    sidecar) into the repository folder `repo`; returns the model folder. An existing model folder
    of the same name is replaced."""
    from vfi.core.atomic import AtomicOutput
    from vfi.core.sidecar import read_sidecar

    artifact = Path(artifact)
    sidecar = read_sidecar(artifact)
    if sidecar["kind"] not in ("onnx", "tensorrt-engine"):
        raise InputError(f"{artifact}: Triton serves ONNX graphs and TensorRT engines, not {sidecar['kind']}")
    if instances < 1:
        raise InputError(f"instances must be >= 1, got {instances}", "instances")
    if max_batch_size < 1:
        raise InputError(f"max_batch_size must be >= 1, got {max_batch_size}", "max_batch_size")
    name = name or model_name_for(sidecar)
    config = make_config(sidecar, name, max_batch_size, instances, kind)
    folder = Path(repo) / name
    with AtomicOutput(folder, is_folder=True) as out:  # an existing model folder is replaced whole
        (out.temp / "1").mkdir(parents=True)
        target = out.temp / "1" / ("model.plan" if sidecar["kind"] == "tensorrt-engine" else "model.onnx")
        shutil.copyfile(artifact, target)
        header = f"# Triton model configuration written by vfi for {artifact.name}\n"
        (out.temp / "config.pbtxt").write_text(header + dumps(config))
    return folder
