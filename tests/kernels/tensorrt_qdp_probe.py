"""Run our `trt_plugin` modules against TensorRT's own `tensorrt.plugin` package, on a CPU machine.

A script, run in a subprocess by `test_trt_plugins_against_tensorrt.py` (it rebinds the module
name `tensorrt`, which must not leak into the test process):
``python tensorrt_qdp_probe.py REQUEST.json REPORT.json``, the request being
``{op name: {"attributes": node attributes, "input_types": [[TensorRT DataType name, ...], ...]}}``.
(A file, not stdout: TensorRT's logger prints there.)

TensorRT's lean runtime (PyPI: tensorrt-lean-cu13) ships the same pure-Python `tensorrt.plugin`
package as the full one, and its bindings import without a GPU. So the decorators, signature
validators, plugin creator, field parsing, output-type inference and autotune-combination parser
that run here are TensorRT's own code. The package imports the full `tensorrt` module, which is
given the lean bindings plus two stand-ins for builder-only types the lean bindings lack
(`TensorFormat`, `ITensor`; the package names them in annotations and defaults). What cannot run
without the builder: symbolic shapes and the launch parameters of `aot_impl` (they need TensorRT's
C++ expression builder); those are covered by the stand-in test of each op and by the `tensorrt`
tests.
"""

from __future__ import annotations

import enum
import json
import sys
import types

import numpy as np


class TensorFormat(enum.IntEnum):
    """Stand-in for the builder's `tensorrt.TensorFormat` (our plugins use LINEAR only)."""

    LINEAR = 0


class ITensor:
    """Stand-in for the builder's `tensorrt.ITensor` (only named in the package's annotations)."""


def tensorrt_with_plugin_package():
    """(tensorrt module built on the lean bindings, its `tensorrt.plugin` package)."""
    import tensorrt_lean

    full = types.ModuleType("tensorrt")
    full.__dict__.update({k: v for k, v in vars(tensorrt_lean).items() if not k.startswith("__")})
    full.__version__ = tensorrt_lean.__version__
    full.TensorFormat, full.ITensor = TensorFormat, ITensor
    sys.modules["tensorrt"] = full
    import tensorrt_lean.plugin as trtp

    sys.modules["tensorrt.plugin"] = trtp
    full.plugin = trtp
    return full, trtp


def plugin_fields(trt, creator, attributes: dict) -> tuple[list, list[str], list[str]]:
    """Node attributes -> PluginFields typed as the creator declares them (what TensorRT's ONNX
    parser does for a plugin node); also the declared fields the node lacks and the node
    attributes no field takes."""
    dtypes = {
        trt.PluginFieldType.INT32: np.int32,
        trt.PluginFieldType.INT64: np.int64,
        trt.PluginFieldType.FLOAT32: np.float32,
        trt.PluginFieldType.FLOAT64: np.float64,
    }
    fields, missing, declared = [], [], []
    for field in creator.field_names:
        declared.append(field.name)
        if field.name not in attributes:
            missing.append(field.name)
            continue
        value = attributes[field.name]
        if field.type == trt.PluginFieldType.CHAR:
            fields.append(trt.PluginField(field.name, str(value).encode(), field.type))
        else:
            fields.append(trt.PluginField(field.name, np.atleast_1d(np.asarray(value, dtype=dtypes[field.type])), field.type))
    parser_attributes = {"plugin_namespace", "plugin_version"}
    unused = sorted(set(attributes) - set(declared) - parser_attributes)
    return fields, missing, unused


def probe(requests: dict) -> dict:
    trt, trtp = tensorrt_with_plugin_package()
    from tensorrt_lean.plugin import _lib

    from vfi.kernels.registry import OPS

    report: dict = {"tensorrt": trt.__version__, "ops": {}}
    for name, request in requests.items():
        spec = OPS[name]
        spec.facet("trt_plugin")  # registers through trtp.register / autotune / aot_impl
        plugin_id = f"vfi::{spec.onnx_op_type}"
        definition = _lib.QDP_REGISTRY[plugin_id]
        creator = _lib.QDP_CREATORS[plugin_id]
        registered = [(c.name, c.plugin_namespace, c.plugin_version) for c in trt.get_plugin_registry().all_creators]
        fields, missing, unused = plugin_fields(trt, creator, request["attributes"])
        plugin = creator.create_plugin(
            spec.onnx_op_type,
            "vfi",
            trt.PluginFieldCollection(fields),
            trt.TensorRTPhase.BUILD,
            trt.QuickPluginCreationRequest.UNKNOWN,
        )
        ranks = [4] * len(definition.input_tensor_names)
        output_types = {}
        for input_types in request["input_types"]:
            types_ = [getattr(trt.DataType, t) for t in input_types]
            output_types[",".join(input_types)] = [t.name for t in plugin.get_output_data_types(types_, ranks)]
        descs = [trtp.TensorDesc() for _ in definition.input_tensor_names]
        outputs = tuple(trtp.TensorDesc() for _ in range(definition.num_outputs))
        combinations = sorted(
            {
                ",".join(t.name for t in combination.types)
                for autotune in definition.autotune_func(*descs, outputs)
                for combination in autotune._get_combinations()
            }
        )
        report["ops"][name] = {
            "registered": [spec.onnx_op_type, "vfi", spec.plugin_version] in [list(r) for r in registered],
            "plugin_class": type(plugin).__name__,
            "inputs": definition.input_tensor_names,
            "num_outputs": definition.num_outputs,
            "fields": [f.name for f in creator.field_names],
            "missing_fields": missing,
            "unused_attributes": unused,
            "parsed_attributes": {k: np.asarray(v).tolist() for k, v in plugin.attrs.items()},
            "output_types": output_types,
            "type_combinations": combinations,
        }
    return report


if __name__ == "__main__":
    request_path, report_path = sys.argv[1:3]
    with open(request_path) as request_file:
        report = probe(json.load(request_file))
    with open(report_path, "w") as report_file:
        json.dump(report, report_file)
