"""The one way the toolkit makes an OpenVINO model run at a precision, with fp32 coordinate islands.

OpenVINO's CPU plugin, asked for bf16 (``INFERENCE_PRECISION_HINT``, and by default on every CPU
with AVX512_BF16), lowers every node it can, the coordinate arithmetic of warping included. bf16
has 8 mantissa bits, so a sampling position near x = 1280 is off by up to 4 pixels; measured on
rendered frames at 448x256 (2-core Xeon with AMX-BF16, OpenVINO 2026.4): RIFE 4.0 fast differs from
torch fp32 by up to 0.31 (frames in [0, 1]).

What was checked, and did not help (same OpenVINO, same frames, the same 0.31 max error): marking
every node between a ``GridSample`` and the convolutions feeding it with the runtime attribute
``disable_fp16_compression`` (from Python), or with the IR attribute ``DisablePrecisionConversion``
(value ``dynamic:f16``, ``dynamic:bf16`` or ``dynamic:dynamic``, read back from the IR), with or
without snippets. The CPU plugin still ran those nodes, the flows' resizes and the eltwise chains
fused into convolutions, in bf16.

What works, and is done here: compile with ``INFERENCE_PRECISION_HINT=f32`` (so the plugin lowers
nothing by itself) and make the graph itself low precision where it pays: every convolution (and
transposed convolution, and matrix product) gets its data and weights converted to the reduced type
and its result converted back to fp32. Everything else (flows, their resizes and rescaling, the
sampling grid, interpolation weights, blending) stays fp32: the islands are the complement of the
convolutions. Measured on the same frames: max error 0.028, mean 0.00029, about 1.2x the time of
OpenVINO's own bf16 and 1.5x faster than fp32 at 448x256.

One `openvino.Core` per process (`shared_core`): OpenVINO 2026.4's CPU plugin installs a signal
alternate stack on the thread that creates it and puts the previous one back when it is destroyed.
Two Cores destroyed out of order leave a freed alternate stack installed, and the next signal whose
handler runs on it (Python installs its handlers with SA_ONSTACK; torch's DataLoader handles
SIGCHLD) kills the process with SIGSEGV. Seen here as a test session crashing in `vfi train` after
several OpenVINO runners had come and gone; one Core that lives until exit cannot be destroyed out
of order.

Nothing here imports OpenVINO at module import time.
"""

from __future__ import annotations

import functools

from vfi.core.errors import BackendUnavailable, InputError

#: OpenVINO op types that run in the reduced precision; everything else stays fp32
LOW_PRECISION_OPS = ("Convolution", "GroupConvolution", "ConvolutionBackpropData", "GroupConvolutionBackpropData", "MatMul")
#: our precision name -> OpenVINO element type name
ELEMENT_TYPES = {"fp32": "f32", "bf16": "bf16", "fp16": "f16"}
#: CPU capability (OPTIMIZATION_CAPABILITIES) each reduced precision needs
CAPABILITIES = {"bf16": "BF16", "fp16": "FP16"}
INSTALL_HINT = "pip install openvino"


def import_openvino():
    """The `openvino` module; `BackendUnavailable` (one line) when it is missing."""
    try:
        import openvino
    except ImportError as exc:
        raise BackendUnavailable(f"OpenVINO is not installed ({exc}); {INSTALL_HINT}") from None
    return openvino


@functools.lru_cache(maxsize=1)
def shared_core():
    """The process's one `openvino.Core` (see the module docstring for why there is only one)."""
    return import_openvino().Core()


def cpu_precisions(core=None) -> tuple[str, ...]:
    """The precisions this machine's CPU plugin runs natively: fp32 always, bf16 / fp16 where the
    CPU reports the capability (AVX512_BF16 / AMX for bf16; AVX512_FP16 / AMX-FP16 for fp16).
    `core` defaults to `shared_core()`."""
    core = core if core is not None else shared_core()
    capabilities = set(core.get_property("CPU", "OPTIMIZATION_CAPABILITIES"))
    return ("fp32", *(name for name, cap in CAPABILITIES.items() if cap in capabilities))


def reduce_precision(model, precision: str, islands: bool = True):
    """Prepare `model` (an `openvino.Model`, changed in place) to run at `precision`; returns the
    compile properties that go with it.

    With `islands` (the default) the convolutions are converted to the reduced type and the
    plugin is told f32, so coordinate arithmetic stays fp32 (see the module docstring). Without,
    the plugin's own lowering is asked for (kept for the benchmark that shows why islands matter).
    """
    if precision not in ELEMENT_TYPES:
        raise InputError(
            f"precision {precision!r} is not one OpenVINO runs here; choose one of {', '.join(ELEMENT_TYPES)}", "precision"
        )
    if precision == "fp32" or not islands:
        return {"INFERENCE_PRECISION_HINT": ELEMENT_TYPES[precision]}
    import openvino as ov
    import openvino.opset13 as ops

    low = {"bf16": ov.Type.bf16, "fp16": ov.Type.f16}[precision]
    for op in model.get_ordered_ops():
        if op.get_type_name() not in LOW_PRECISION_OPS:
            continue
        for index in range(op.get_input_size()):
            source = op.input(index).get_source_output()
            if source.get_element_type() == ov.Type.f32:
                op.input(index).replace_source_output(ops.convert(source, low).output(0))
        for index in range(op.get_output_size()):
            output = op.output(index)
            consumers = list(output.get_target_inputs())
            op.set_output_type(index, low, output.get_partial_shape())
            back = ops.convert(output, ov.Type.f32)
            for consumer in consumers:
                consumer.replace_source_output(back.output(0))
    model.validate_nodes_and_infer_types()
    return {"INFERENCE_PRECISION_HINT": "f32"}


def low_precision_ops(model) -> int:
    """How many convolution-like ops of `model` run below fp32 (for sidecars and tests)."""
    return sum(
        1
        for op in model.get_ordered_ops()
        if op.get_type_name() in LOW_PRECISION_OPS and op.get_output_element_type(0).get_type_name() != "f32"
    )


def compile_properties(precision_properties: dict, threads: int | None, streams: int | None, cache_dir: str | None) -> dict:
    """The properties every compile sets: the precision (always explicit), threads, streams, cache."""
    properties = dict(precision_properties)
    properties["PERFORMANCE_HINT"] = "LATENCY" if not streams or streams == 1 else "THROUGHPUT"
    if threads is not None:
        properties["INFERENCE_NUM_THREADS"] = int(threads)
    if streams is not None:
        properties["NUM_STREAMS"] = int(streams)
    if cache_dir is not None:
        properties["CACHE_DIR"] = str(cache_dir)
    return properties
