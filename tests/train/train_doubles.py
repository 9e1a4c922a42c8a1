"""Small stand-ins for the data and objective builders, so the trainer, CLI and DDP tests run in
seconds and do not depend on dataset files, teachers or the loss families."""

from __future__ import annotations

import numpy as np
import torch

#: a tiny IFRNet (pad multiple 16): a few thousand parameters, trains in milliseconds per step
TINY_MODEL = "ifrnet-s"
TINY_HPARAMS = {"widths": [4, 6, 8, 10], "side_channels": 2}


def tiny_model():
    import vfi.models

    return vfi.models.create(TINY_MODEL, **TINY_HPARAMS)


class TinyDataset(torch.utils.data.Dataset):
    """Deterministic smooth frames; gt is the average of the inputs. The train split draws a random
    flip from its own numpy generator (like `vfi.train.data`) and noise from the global torch RNG,
    so exact resume must restore both."""

    def __init__(self, n: int = 16, crop: int = 32, split: str = "train", seed: int = 0, augment: bool = True):
        gen = torch.Generator().manual_seed(1234)
        base = torch.rand(n, 3, crop // 4, crop // 4, generator=gen)
        shift = torch.rand(n, 3, crop // 4, crop // 4, generator=gen)

        def up(x):
            return torch.nn.functional.interpolate(x, size=(crop, crop), mode="bilinear", align_corners=False)

        self.img0, self.img1 = up(base), up((base + 0.3 * shift).clamp(0, 1))
        self.split = split
        self.rng = np.random.default_rng(seed) if split == "train" and augment else None

    def __len__(self) -> int:
        return len(self.img0)

    def __getitem__(self, i: int) -> dict:
        img0, img1 = self.img0[i], self.img1[i]
        if self.rng is not None:
            if self.rng.random() < 0.5:
                img0, img1 = img0.flip(-1), img1.flip(-1)
            img0 = (img0 + 0.01 * torch.randn_like(img0)).clamp(0, 1)
        return {"img0": img0, "img1": img1, "gt": 0.5 * (img0 + img1), "t": torch.tensor(0.5)}


class L1Objective:
    """``objective(batch) -> (loss, terms)``: mean absolute error of the model's frame."""

    def __init__(self, model):
        self.model = model

    def __call__(self, batch: dict):
        pred = self.model(batch["img0"], batch["img1"], batch["t"])
        loss = (pred - batch["gt"]).abs().mean()
        return loss, {"l1": float(loss.detach())}


def patch_session(monkeypatch=None, n_train: int = 16, n_val: int = 4, augment: bool = True) -> None:
    """Make `vfi.train.session` build `TinyDataset`s and `L1Objective` instead of the real ones."""
    import vfi.train.session as session

    def datasets(cfg, context=1):
        return (TinyDataset(n_train, cfg.crop, "train", cfg.seed, augment), TinyDataset(n_val, cfg.crop, "val", cfg.seed))

    def objective(cfg, model, device):
        return L1Objective(model)

    if monkeypatch is not None:
        monkeypatch.setattr(session, "build_datasets", datasets)
        monkeypatch.setattr(session, "build_objective", objective)
    else:
        session.build_datasets, session.build_objective = datasets, objective
