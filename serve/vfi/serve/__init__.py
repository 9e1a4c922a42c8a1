"""Serving: our Runner behind NVIDIA Triton Inference Server (through PyTriton).

`handler` answers one batch of requests with a runner (checks, padding, uint8 conversion);
`server` starts Triton with both variants of a model bound (`vfi.core.serving`) and stops it
gracefully on SIGTERM. The client side is the `triton` runtime backend.
"""
