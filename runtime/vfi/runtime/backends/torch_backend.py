"""The PyTorch eager backend: `vfi.models.load` and a forward pass under `torch.inference_mode`."""

from __future__ import annotations

import numpy as np

from vfi.core.errors import BackendUnavailable, InputError
from vfi.core.precision import PRECISIONS
from vfi.runtime.model_source import load_torch_model
from vfi.runtime.runner import Runner


class TorchRunner(Runner):
    """Runs the model in PyTorch eager mode.

    Reduced precisions run the convolutions reduced and everything else in fp32
    (`vfi.models.precision_islands`). fp16 is offered on CUDA only (`precisions`): CPU
    half-precision convolutions are slow or missing in torch, so asking for them is refused
    instead of silently running fp32. bf16 runs on CPU and CUDA; on a CPU without AVX512_BF16 or
    AMX it is emulated (correct, and slower than fp32).

    Options:
        channels_last: keep weights and activations in NHWC memory order (faster convolutions on
            tensor cores; allowed on CPU too, where it rarely helps).
        cuda_graphs: capture one forward pass per input shape as a CUDA graph and replay it
            (CUDA only; refused on CPU). Inputs are copied into static buffers before each replay.
    """

    name = "torch"
    requires = ("torch",)
    precisions = {"cpu": ("fp32", "bf16"), "cuda": ("fp32", "fp16", "bf16")}

    def __init__(
        self,
        model,
        device: str = "cpu",
        precision: str | None = None,
        threads: int | None = None,
        hparams: dict | None = None,
        channels_last: bool = False,
        cuda_graphs: bool = False,
    ):
        super().__init__(model, device=device, precision=precision, threads=threads, hparams=hparams)
        import torch

        if device == "cuda" and not torch.cuda.is_available():
            why = "this torch build has no CUDA" if torch.version.cuda is None else "no CUDA device is visible"
            raise BackendUnavailable(f"device cuda requested but {why}; use device cpu", "device")
        self._check_model_precision()
        if cuda_graphs and device != "cuda":
            raise InputError("cuda_graphs needs device cuda; leave it off on cpu", "cuda_graphs", "device")
        self.channels_last = channels_last
        self.cuda_graphs = cuda_graphs
        self._graphs: dict[tuple, tuple] = {}
        self._module = None

    def _load(self) -> None:
        import torch

        self._set_torch_threads()
        module = load_torch_model(self.model, self.hparams)
        self.card = module.card
        from vfi.models.precision_islands import low_precision_convs

        self._module = module.to(device=self.device, dtype=torch.float32).eval()
        # Reduced precision in the convolutions only; flows and coordinates stay fp32.
        low_precision_convs(self._module, getattr(torch, PRECISIONS[self.precision].torch_dtype))
        if self.channels_last:
            self._module = self._module.to(memory_format=torch.channels_last)
        self._dtype = torch.float32

    def _infer(self, img0: np.ndarray, img1: np.ndarray, t: np.ndarray, context: tuple = ()) -> np.ndarray:
        import torch

        with torch.inference_mode():
            frames = [torch.from_numpy(frame).to(self.device, self._dtype) for frame in (img0, img1, *context)]
            if self.channels_last:
                frames = [frame.contiguous(memory_format=torch.channels_last) for frame in frames]
            a, b, *ctx = frames
            # The timestep stays fp32: models do their coordinate arithmetic in fp32.
            tt = torch.from_numpy(t).to(self.device)
            out = self._replay(a, b, tt, *ctx) if self.cuda_graphs else self._module(a, b, tt, *ctx)
            return out.float().cpu().numpy()

    def _replay(self, a, b, tt, *ctx):
        """Forward pass through a CUDA graph captured for this input shape (captured on first use,
        after a warm-up pass on a side stream, as torch.cuda.graphs requires)."""
        import torch

        key = (tuple(a.shape), tuple(tt.shape), len(ctx))
        if key not in self._graphs:
            static = (a.clone(), b.clone(), tt.clone(), *(frame.clone() for frame in ctx))
            side = torch.cuda.Stream()
            side.wait_stream(torch.cuda.current_stream())
            with torch.cuda.stream(side):
                self._module(*static)
            torch.cuda.current_stream().wait_stream(side)
            graph = torch.cuda.CUDAGraph()
            with torch.cuda.graph(graph):
                out = self._module(*static)
            self._graphs[key] = (graph, static, out)
        graph, static, out = self._graphs[key]
        for dst, src in zip(static, (a, b, tt, *ctx)):
            dst.copy_(src)
        graph.replay()
        return out.clone()

    def _close(self) -> None:
        self._graphs.clear()
        self._module = None
        try:
            import torch

            if self.device == "cuda":
                torch.cuda.empty_cache()
        except ImportError:
            pass
