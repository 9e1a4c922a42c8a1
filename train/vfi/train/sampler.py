"""Data order that can resume mid-epoch: a `DistributedSampler` that skips the batches already used.

The order of epoch e is the sampler's permutation seeded with ``seed + e`` (shared by all ranks,
then sharded by rank), so it depends only on (seed, epoch, rank, world size). Resuming after k
batches of epoch e rebuilds that permutation and starts at sample ``k * batch``.
"""

from __future__ import annotations

from torch.utils.data.distributed import DistributedSampler


class ResumableSampler(DistributedSampler):
    """`DistributedSampler` (shuffle, drop_last) with ``set_position(epoch, skip_samples)``."""

    def __init__(self, dataset, num_replicas: int = 1, rank: int = 0, seed: int = 0, shuffle: bool = True):
        super().__init__(dataset, num_replicas=num_replicas, rank=rank, shuffle=shuffle, seed=seed, drop_last=True)
        self.skip = 0

    def set_position(self, epoch: int, skip_samples: int = 0) -> None:
        """Iterate epoch `epoch` from its `skip_samples`-th sample (of this rank's shard)."""
        self.set_epoch(epoch)
        self.skip = int(skip_samples)

    def __iter__(self):
        indices = list(super().__iter__())
        return iter(indices[self.skip :])

    def __len__(self) -> int:
        return max(0, self.num_samples - self.skip)
