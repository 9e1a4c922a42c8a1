"""ONNX graphs exported on the fly for the ONNX Runtime backend, cached on disk.

A graph is exported at one padded frame size (height, width) with a dynamic batch dimension and
standard ONNX ops only. The file is cached under `vfi.core.cache.graphs_dir()` keyed by the model's
fingerprint (weights, card, source code), the frame size, the opset and the torch version, so a
second run of the same model at the same size skips the export.

Graph interface: inputs ``img0``, ``img1`` float32 [N, 3, H, W] and ``timestep`` float32
[N, 1, 1, 1]; output ``frame`` float32 [N, 3, H, W].
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
from pathlib import Path

from vfi.kernels.onnx_export import quiet_exporter

log = logging.getLogger(__name__)

#: Opset 19, not the exporter's default 20: at opset 20 `grid_sample` becomes
#: GridSample(mode="linear"), which TensorRT's parser silently runs as nearest (see FACTS.md);
#: at 19 it stays mode="bilinear", and 19 is the first opset with DeformConv (CSPA needs it).
OPSET = 19

INPUT_NAMES = ("img0", "img1", "timestep")
OUTPUT_NAME = "frame"


def graph_path(fingerprint: str, height: int, width: int, opset: int = OPSET) -> Path:
    """Where the graph for this model fingerprint and padded size is cached."""
    import torch

    from vfi.core.cache import graphs_dir

    key = hashlib.sha256(f"{fingerprint}|{height}x{width}|opset{opset}|torch{torch.__version__}".encode()).hexdigest()
    return graphs_dir() / f"{key[:32]}_{height}x{width}_op{opset}.onnx"


def onnx_graph_for(module, fingerprint: str, height: int, width: int, opset: int = OPSET) -> Path:
    """Path of the ONNX graph of `module` at padded size `height` x `width`; exports it if absent.

    The file is written to a temporary name in the cache folder and renamed into place, so a
    concurrent or interrupted export never leaves a truncated graph under the final name.
    """
    path = graph_path(fingerprint, height, width, opset)
    if path.is_file():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=".onnx.partial", dir=path.parent)
    os.close(fd)
    try:
        export_graph(module, Path(tmp), height, width, opset)
        os.chmod(tmp, 0o644)  # mkstemp makes it private; the cache is shared like any cache file
        os.replace(tmp, path)
    finally:
        Path(tmp).unlink(missing_ok=True)
    return path


class _GraphInterface:
    """Wraps a model so the exported graph has the fixed interface described above."""

    def __new__(cls, module):
        import torch

        class Wrapped(torch.nn.Module):
            def __init__(self, inner):
                super().__init__()
                self.inner = inner

            def forward(self, img0, img1, timestep):
                # [N,1,1,1] on the graph boundary (broadcastable, the layout engines expect);
                # the models' contract takes an [N] tensor.
                return self.inner(img0, img1, timestep.reshape(-1))

        return Wrapped(module).eval()


def export_graph(module, path: Path, height: int, width: int, opset: int = OPSET) -> None:
    """Export `module` (eval mode, float32, CPU) to `path` with a dynamic batch dimension.

    Uses the dynamo exporter. If it fails (an op or a Python construct it cannot trace), falls
    back to the TorchScript exporter and logs the reason once; both produce standard ops only.
    """
    import torch

    wrapped = _GraphInterface(module.float().cpu().eval())
    batch = 2  # the dynamic batch dimension must not be traced with size 0 or 1 (specialisation)
    example = (
        torch.rand(batch, 3, height, width),
        torch.rand(batch, 3, height, width),
        torch.full((batch, 1, 1, 1), 0.5),
    )
    try:
        with quiet_exporter():
            _export_dynamo(wrapped, example, path, opset)
    except Exception as exc:  # the exporter raises many types; the fallback below is the handling
        reason = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else type(exc).__name__
        log.warning("dynamo ONNX export failed (%s); falling back to the TorchScript exporter", reason)
        with quiet_exporter():
            _export_torchscript(wrapped, example, path, opset)



def _export_dynamo(wrapped, example, path: Path, opset: int) -> None:
    import torch

    batch = torch.export.Dim("batch", min=1, max=256)
    dynamic = {name: {0: batch} for name in INPUT_NAMES}
    with torch.no_grad():
        program = torch.onnx.export(
            wrapped,
            example,
            dynamo=True,
            opset_version=opset,
            input_names=list(INPUT_NAMES),
            output_names=[OUTPUT_NAME],
            dynamic_shapes=dynamic,
            external_data=False,
            verbose=False,
            optimize=True,
        )
    program.save(str(path), external_data=False)


def _export_torchscript(wrapped, example, path: Path, opset: int) -> None:
    import torch

    dynamic = {name: {0: "batch"} for name in (*INPUT_NAMES, OUTPUT_NAME)}
    with torch.no_grad():
        torch.onnx.export(
            wrapped,
            example,
            str(path),
            dynamo=False,
            opset_version=opset,
            input_names=list(INPUT_NAMES),
            output_names=[OUTPUT_NAME],
            dynamic_axes=dynamic,
        )
