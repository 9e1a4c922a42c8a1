"""Model cost without running the model: parameters, MACs and FLOPs at a given resolution.

The forward pass runs on the `meta` device under `torch.utils.flop_counter.FlopCounterMode`, so
counting a 0.8-TMAC model at 1280x720 takes seconds and no memory. Conventions:

- ``macs``: multiply-accumulates of convolutions, transposed convolutions and matrix products
  (the figure VFI papers publish as "FLOPs" or "MACs"), = their FLOP count / 2.
  Deformable and sparse convolutions (`vfi.deform_conv2d`, `vfi.sparse_conv2d`) add their GEMM
  multiply-accumulates; on meta tensors a sparse convolution counts densely (the upper bound:
  `vfi.benchmarks.ugsp_cost` measures the effective figure on real input).
- ``flops``: every FLOP the counter sees, including the formulas of our custom ops (bilinear
  sampling of warps and deformable convolutions) that papers usually leave out.

Papers differ in how they count: some tools (thop) charge a stride-2 transposed convolution for
every output value, 4x its real multiplications; IFRNet's published figures follow that. We count
real multiply-accumulates; the model tests state each family's convention.

Input frames are padded up to the model's pad multiple first, as the pipeline does, and the
padded size is reported.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

#: aten ops whose FLOPs are 2 x multiply-accumulates.
_MAC_OPS = ("convolution", "conv", "mm", "addmm", "bmm", "baddbmm", "matmul", "linear")


@dataclass(frozen=True)
class Cost:
    """Cost of one forward pass (batch 1 unless stated)."""

    params: int
    macs: int
    flops: int
    height: int
    width: int
    padded_height: int
    padded_width: int
    counter: str = "torch.utils.flop_counter on meta tensors"

    def as_dict(self) -> dict:
        return asdict(self)


def _round_up(value: int, multiple: int) -> int:
    return -(-value // multiple) * multiple


def _custom_op_macs(func, args) -> int:
    """GEMM multiply-accumulates of one call of our deformable or sparse convolution, from shapes."""
    name = str(func)
    if name.startswith("vfi.deform_conv2d"):
        x, offset, weight = args[0], args[1], args[3]
        cout, cin_per_group, kh, kw = weight.shape
        return int(x.shape[0] * cout * offset.shape[2] * offset.shape[3] * cin_per_group * kh * kw)
    if name.startswith("vfi.sparse_conv2d"):
        x, mask, weight = args[0], args[1], args[2]
        cout, cin, kh, kw = weight.shape
        positions = mask.numel() if mask.device.type == "meta" else int(mask.count_nonzero())
        return int(positions * cout * cin * kh * kw)
    return 0


def count_cost(model, height: int, width: int, t: float = 0.5, batch: int = 1) -> Cost:
    """Count parameters, MACs and FLOPs of ``model(img0, img1, t)`` at `height` x `width` pixels
    (with its context frames for a multi-frame model; ``model(img0, img1)`` for a flow estimator).

    The model is deep-copied to the meta device (the caller's model is untouched). A model whose
    forward branches on tensor values must skip that branch for meta tensors.
    """
    import copy

    import torch
    from torch.utils._python_dispatch import TorchDispatchMode
    from torch.utils.flop_counter import FlopCounterMode

    from vfi.kernels import OPS

    for spec in OPS.values():
        # Importing an op's torch facet registers its FLOP formula; without it the counter would
        # silently skip ops not yet imported by the model.
        spec.facet("torch_op")

    class CustomMacs(TorchDispatchMode):
        total = 0

        def __torch_dispatch__(self, func, types, args=(), kwargs=None):
            CustomMacs.total += _custom_op_macs(func, args)
            return func(*args, **(kwargs or {}))

    params = sum(p.numel() for p in model.parameters())
    multiple = int(getattr(model, "pad_multiple", 1))
    ph, pw = _round_up(height, multiple), _round_up(width, multiple)
    meta_model = copy.deepcopy(model).to("meta").eval()
    img0 = torch.zeros(batch, 3, ph, pw, device="meta")
    img1 = torch.zeros(batch, 3, ph, pw, device="meta")
    context = [torch.zeros(batch, 3, ph, pw, device="meta") for _ in range(2 * (int(getattr(model, "context_frames", 1)) - 1))]
    counter = FlopCounterMode(display=False)
    with counter, CustomMacs(), torch.no_grad():
        if getattr(model, "task", "interpolate") == "flow":
            meta_model(img0, img1)
        else:
            meta_model(img0, img1, t, *context)
    macs2 = 0
    total = 0
    for op, flops in counter.get_flop_counts().get("Global", {}).items():
        total += flops
        name = str(op).split(".")[1] if str(op).startswith("aten.") else str(op)
        if any(name == key or name.startswith(key + "_") or name == "_" + key for key in _MAC_OPS):
            macs2 += flops
    return Cost(
        params=params,
        macs=(macs2 // 2 + CustomMacs.total) // batch,
        flops=total // batch,
        height=height,
        width=width,
        padded_height=ph,
        padded_width=pw,
    )
