"""The export stage: models -> ONNX graphs, engines and packages, each with a JSON sidecar.

One idea per module: `onnx_model` (graph interface), `onnx_export` (the export pipeline),
`lint`, `simplify`, `validate`, `sidecar`, `shapes` (sizes and TensorRT profiles),
`tensorrt_builder`, `compiled_builder` (AOTInductor), `serving` + `pbtxt` (Triton repository).
Nothing heavy is imported here.
"""
