"""Dense and effective cost of a UGSP forward pass on a real input.

    from vfi.benchmarks.ugsp_cost import effective_cost
    report = effective_cost(model, img0, img1, t=0.5)
    report.dense_macs, report.effective_macs, report.active_fractions

The effective count runs the model (eval mode, no grad) under `torch.utils.flop_counter` on the
real tensors, where the `vfi::sparse_conv2d` FLOP formula counts only the active outputs. The dense
count runs the same forward on meta tensors, where that formula returns the dense bound. MACs follow
`vfi.benchmarks.cost` (convolutions, transposed convolutions and matrix products, FLOPs / 2) and
additionally count `vfi::sparse_conv2d` as a convolution (which `count_cost` does not classify as
MACs; it appears only in its `flops`).
"""

from __future__ import annotations

import copy
from dataclasses import asdict, dataclass

import torch

#: aten ops whose FLOPs are 2 x multiply-accumulates (as `vfi.benchmarks.cost`), plus our sparse conv.
_MAC_ATEN_OPS = ("convolution", "conv", "mm", "addmm", "bmm", "baddbmm", "matmul", "linear")
_MAC_CUSTOM_OPS = ("vfi.sparse_conv2d",)


@dataclass(frozen=True)
class EffectiveCost:
    """Cost of one forward pass on a given input, per batch sample.

    Attributes:
        dense_macs: MACs if every pruned level computed every position (meta-tensor count).
        effective_macs: MACs with the sparse convolutions counted over their active outputs only.
        sparse_dense_macs, sparse_effective_macs: the part of the two figures spent in sparse convs.
        active_fractions: measured fraction of computed positions per pruned level, fine to coarse.
        density: the model's density target S_t; height, width: the input size.
    """

    dense_macs: int
    effective_macs: int
    sparse_dense_macs: int
    sparse_effective_macs: int
    active_fractions: list[float]
    density: float
    height: int
    width: int
    counter: str = "torch.utils.flop_counter (effective: real tensors; dense: meta tensors)"

    @property
    def saving(self) -> float:
        """Fraction of the dense MACs that pruning skipped."""
        return 1.0 - self.effective_macs / self.dense_macs

    def as_dict(self) -> dict:
        return {**asdict(self), "saving": self.saving}


def split_macs(counter) -> tuple[int, int]:
    """(all MACs, MACs of sparse convs) from a FlopCounterMode's global counts."""
    total = sparse = 0
    for op, flops in counter.get_flop_counts().get("Global", {}).items():
        name = str(op)
        if name.startswith("aten."):
            short = name.split(".")[1]
            if any(short == k or short.startswith(k + "_") or short == "_" + k for k in _MAC_ATEN_OPS):
                total += flops
        elif any(name.startswith(k) for k in _MAC_CUSTOM_OPS):
            total += flops
            sparse += flops
    return total // 2, sparse // 2


def _count(model, img0, img1, t):
    from torch.utils.flop_counter import FlopCounterMode

    counter = FlopCounterMode(display=False)
    with counter, torch.no_grad():
        est = model.estimate(img0, img1, t)
    return split_macs(counter), est


def effective_cost(model, img0: torch.Tensor, img1: torch.Tensor, t=0.5) -> EffectiveCost:
    """Dense and effective MACs (per sample) and the measured active fraction per pruned level.

    The model is run in eval mode (its mode is restored); frames must already be padded to the
    model's `pad_multiple`.
    """
    batch = img0.shape[0]
    was_training = model.training
    model.eval()
    try:
        (effective, sparse_effective), est = _count(model, img0, img1, t)
        meta_model = copy.deepcopy(model).to("meta").eval()
        meta_t = t.to("meta") if torch.is_tensor(t) else t
        (dense, sparse_dense), _ = _count(meta_model, img0.to("meta"), img1.to("meta"), meta_t)
    finally:
        model.train(was_training)
    return EffectiveCost(
        dense_macs=dense // batch,
        effective_macs=effective // batch,
        sparse_dense_macs=sparse_dense // batch,
        sparse_effective_macs=sparse_effective // batch,
        active_fractions=est.active_fractions(),
        density=float(model.density),
        height=int(img0.shape[-2]),
        width=int(img0.shape[-1]),
    )
