"""Small, deterministic training loops (CPU, Adam) shared by the zoo and `compress`.

Data are torch tensors in the model's layout (NCHW). Shuffling uses its own
seeded generator, so a run is reproducible for a given seed.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from .kd import KDConfig, kd_loss

Hook = Callable[[nn.Module], None]


@dataclass(frozen=True)
class Split:
    """Inputs and labels as tensors."""

    x: torch.Tensor
    y: torch.Tensor

    @staticmethod
    def of(x: np.ndarray, y: np.ndarray) -> "Split":
        return Split(torch.as_tensor(np.asarray(x, np.float32)), torch.as_tensor(np.asarray(y, np.int64)))

    def __len__(self) -> int:
        return len(self.y)

    def take(self, idx) -> "Split":
        return Split(self.x[idx], self.y[idx])


def holdout(train: Split, fraction: float = 0.2, seed: int = 0) -> tuple[Split, Split]:
    """(fit, validation) split of the training set; the test set is never used for choices."""
    g = torch.Generator().manual_seed(seed)
    perm = torch.randperm(len(train), generator=g)
    n_val = int(round(fraction * len(train)))
    return train.take(perm[n_val:]), train.take(perm[:n_val])


def batches(n: int, size: int, gen: torch.Generator):
    perm = torch.randperm(n, generator=gen)
    for i in range(0, n, size):
        yield perm[i:i + size]


@torch.no_grad()
def logits_of(model: nn.Module, x: torch.Tensor, batch: int = 512) -> torch.Tensor:
    was = model.training
    model.eval()
    out = torch.cat([model(x[i:i + batch]) for i in range(0, len(x), batch)])
    model.train(was)
    return out


def accuracy(model: nn.Module, data: Split) -> float:
    """Top-1 accuracy in percent (argmax, lowest index on ties)."""
    return 100.0 * float((logits_of(model, data.x).argmax(1) == data.y).float().mean())


@dataclass
class Fit:
    """One training run: `epochs` of Adam at `lr` with cosine decay."""

    epochs: int
    lr: float = 3e-3
    batch: int = 64
    seed: int = 0
    weight_decay: float = 0.0
    teacher: nn.Module | None = None
    kd: KDConfig | None = None
    penalty: Callable[[nn.Module], torch.Tensor] | None = None  # added to the loss
    after_backward: Hook | None = None     # e.g. gradient noise, gradient masking
    before_step: Hook | None = None
    after_step: Hook | None = None         # e.g. flip counting, re-masking
    on_epoch: Callable[[int], None] | None = None

    def run(self, model: nn.Module, data: Split) -> nn.Module:
        gen = torch.Generator().manual_seed(self.seed)
        params = [p for p in model.parameters() if p.requires_grad]
        opt = torch.optim.Adam(params, lr=self.lr, weight_decay=self.weight_decay)
        steps = max(1, self.epochs * -(-len(data) // self.batch))
        sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, steps)
        if self.teacher is not None:
            self.teacher.eval()
        for epoch in range(self.epochs):
            model.train()
            for idx in batches(len(data), self.batch, gen):
                self._step(model, opt, data.x[idx], data.y[idx])
                sched.step()
            if self.on_epoch:
                self.on_epoch(epoch)
        model.eval()
        return model

    def _loss(self, model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        out = model(x)
        if self.teacher is not None:
            with torch.no_grad():
                t = self.teacher(x)
            loss = kd_loss(out, t, y, self.kd or KDConfig())
        else:
            loss = F.cross_entropy(out, y)
        if self.penalty is not None:
            loss = loss + self.penalty(model)
        return loss

    def _step(self, model, opt, x, y) -> None:
        opt.zero_grad(set_to_none=True)
        self._loss(model, x, y).backward()
        for hook in (self.after_backward, self.before_step):
            if hook:
                hook(model)
        opt.step()
        if self.after_step:
            self.after_step(model)
