"""The export stage: models -> ONNX graphs, engines and packages, each with a JSON sidecar.

One idea per module: `onnx_artifact` (the ONNX export pipeline), `simplify`, `validate` (parity
against torch), `polygraphy_parity` (engine against graph), `shapes` (sizes and TensorRT
profiles), `tensorrt_builder`, `compiled_builder` (AOTInductor), `serving` + `pbtxt` (Triton
repository). The graph interface is `vfi.core.graph_spec` (declared per family,
`vfi.models.graph_spec`), the exporter and lint are `vfi.kernels.onnx_exporter` and
`vfi.kernels.onnx_lint`, sidecars are `vfi.core.sidecar`. Nothing heavy is imported here.
"""
