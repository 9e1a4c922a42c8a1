"""Fixtures of the export tests: a tiny warping model (seconds to export) for every timestep
mode, and module-cached exports so each graph is made once per test module."""

from __future__ import annotations

import pytest


def make_tiny_model(timestep_mode: str = "scalar", pad_multiple: int = 8, seed: int = 0):
    """conv -> flow -> `vfi.kernels.backward_warp` of both frames -> blend, with a `ModelCard`.

    It goes through the same custom op as the real models, so the flavours differ in the graph."""
    import torch

    from vfi.kernels import backward_warp
    from vfi.models.card import ModelCard

    class TinyWarp(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.pad_multiple = pad_multiple
            self.timestep_mode = timestep_mode
            self.encode = torch.nn.Conv2d(6, 8, 3, padding=1)
            self.flow = torch.nn.Conv2d(8, 4, 3, padding=1)

        def forward(self, img0, img1, t=0.5):
            n, _, h, w = img0.shape
            if torch.is_tensor(t):
                t = t.reshape(n, 1, *t.shape[-2:]) if t.dim() == 4 else t.reshape(n, 1, 1, 1)
                t = t.to(img0.dtype)
            flow = 3.0 * torch.tanh(self.flow(torch.relu(self.encode(torch.cat([img0, img1], 1)))))
            warped0 = backward_warp(img0, flow[:, 0:2])
            warped1 = backward_warp(img1, flow[:, 2:4])
            return (1 - t) * warped0 + t * warped1

    torch.manual_seed(seed)
    model = TinyWarp().eval()
    model.card = ModelCard(
        family="tiny-warp", variant=f"tiny-warp-{timestep_mode}", pad_multiple=pad_multiple, timestep_mode=timestep_mode
    )
    return model


@pytest.fixture
def tiny_model():
    return make_tiny_model


@pytest.fixture(scope="module")
def export_cache(tmp_path_factory):
    """export(key, model_factory, options) -> ExportResult, exported once per module and key."""
    from vfi.export.onnx_artifact import export_onnx

    folder = tmp_path_factory.mktemp("exports")
    done = {}

    def export(key: str, model_factory, options):
        if key not in done:
            done[key] = export_onnx(model_factory(), folder / f"{key}.onnx", options)
        return done[key]

    return export
