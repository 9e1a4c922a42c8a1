"""Multi-process training through `torchrun`: process group, DDP wrapping, rank-0-only output.

`torchrun --standalone --nproc_per_node N -m vfi train MODEL ...` starts N processes with RANK,
LOCAL_RANK and WORLD_SIZE (and MASTER_ADDR / MASTER_PORT) in their environment; `DistContext.from_env`
joins them into one process group: NCCL on CUDA (one GPU per process, cuda:LOCAL_RANK), gloo on
CPU. Without those variables the run is a single process and nothing here touches
`torch.distributed`.

DDP wraps an `ObjectiveModule` (the model plus the training objective), not the bare model:
objectives call model methods other than ``forward`` (IFRNet's ``estimate``, UGSP's training
losses), and DDP only synchronises gradients of computations that run inside its own forward.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from vfi.core.errors import InputError


@dataclass
class DistContext:
    """Where this process stands: rank, world size, device, and whether it writes files."""

    rank: int = 0
    world_size: int = 1
    local_rank: int = 0
    device: str = "cpu"
    backend: str | None = None

    @property
    def enabled(self) -> bool:
        return self.world_size > 1

    @property
    def is_main(self) -> bool:
        """Rank 0 alone writes logs, metrics and checkpoints."""
        return self.rank == 0

    @classmethod
    def from_env(cls, device: str = "cpu") -> DistContext:
        """Join the process group torchrun set up, or describe a single process."""
        import torch

        world = int(os.environ.get("WORLD_SIZE", "1"))
        if world <= 1:
            return cls(device=device)
        rank = int(os.environ["RANK"])
        local = int(os.environ.get("LOCAL_RANK", rank))
        import torch.distributed as dist

        if device == "cuda":
            if torch.cuda.device_count() <= local:
                raise InputError(f"process {rank} needs cuda:{local} but only {torch.cuda.device_count()} GPU(s) are visible")
            torch.cuda.set_device(local)
            backend, device = "nccl", f"cuda:{local}"
        else:
            backend = "gloo"
        if not dist.is_initialized():
            dist.init_process_group(backend=backend)
        return cls(rank=rank, world_size=world, local_rank=local, device=device, backend=backend)

    def barrier(self) -> None:
        if self.enabled:
            import torch.distributed as dist

            dist.barrier()

    def mean(self, value: float) -> float:
        """The mean of `value` over all processes (the value itself in a single process)."""
        if not self.enabled:
            return float(value)
        import torch
        import torch.distributed as dist

        t = torch.tensor([float(value)], dtype=torch.float64, device=self.device)
        dist.all_reduce(t)
        return float(t.item()) / self.world_size

    def gather(self, obj) -> list:
        """`obj` of every rank, in rank order (on every rank)."""
        if not self.enabled:
            return [obj]
        import torch.distributed as dist

        out = [None] * self.world_size
        dist.all_gather_object(out, obj)
        return out

    def broadcast(self, obj):
        """Rank 0's `obj` on every rank."""
        if not self.enabled:
            return obj
        import torch.distributed as dist

        box = [obj]
        dist.broadcast_object_list(box, src=0)
        return box[0]

    def close(self) -> None:
        if self.enabled:
            import torch.distributed as dist

            if dist.is_initialized():
                dist.destroy_process_group()


def objective_module(model, objective):
    """An `nn.Module` whose forward is ``objective(batch)`` and whose parameters are `model`'s.

    The objective is kept outside the module's registered children, so DDP synchronises exactly
    the model's trainable parameters (a teacher inside the objective is neither broadcast nor
    reduced).
    """
    import torch

    class ObjectiveModule(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.model = model
            object.__setattr__(self, "objective", objective)

        def forward(self, batch):
            return self.objective(batch)

    return ObjectiveModule()


def wrap_ddp(module, ctx: DistContext, find_unused_parameters: bool = False):
    """`module` in DistributedDataParallel when running multi-process, else unchanged.

    `find_unused_parameters` must be True when some trainable parameters take no part in a step
    (RIFE's fast mode skips its context and refinement nets); DDP then stops with an error naming
    the flag. It costs a traversal of the autograd graph per step, so it is off otherwise.
    """
    if not ctx.enabled:
        return module
    from torch.nn.parallel import DistributedDataParallel

    device_ids = [ctx.local_rank] if ctx.device.startswith("cuda") else None
    return DistributedDataParallel(module, device_ids=device_ids, find_unused_parameters=find_unused_parameters)
