"""Knowledge distillation (Hinton et al.), as Combine-Net retrains pruned nets.

    L = (1 - α) · CE(y, z_s) + α · T² · KL(softmax(z_t / T) ‖ softmax(z_s / T))

plus an optional feature-map hint loss (FitNets-style MSE between matching
intermediate tensors of student and teacher, captured with forward hooks).
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from ..errors import OptionError


@dataclass(frozen=True)
class KDConfig:
    temperature: float = 4.0
    alpha: float = 0.7

    def __post_init__(self) -> None:
        if self.temperature <= 0:
            raise OptionError(f"KD temperature must be positive, got {self.temperature}")
        if not 0 <= self.alpha <= 1:
            raise OptionError(f"KD weight alpha must be in [0, 1], got {self.alpha}")


def kd_loss(student: torch.Tensor, teacher: torch.Tensor, y: torch.Tensor, cfg: KDConfig) -> torch.Tensor:
    t = cfg.temperature
    ce = F.cross_entropy(student, y)
    kl = F.kl_div(F.log_softmax(student / t, dim=1), F.log_softmax(teacher / t, dim=1),
                  reduction="batchmean", log_target=True)
    return (1 - cfg.alpha) * ce + cfg.alpha * t * t * kl


class FeatureTap:
    """Records the outputs of named submodules on every forward pass."""

    def __init__(self, model: nn.Module, names: list[str]):
        mods = dict(model.named_modules())
        missing = [n for n in names if n not in mods]
        if missing:
            raise OptionError(f"hint layers {missing} not found; modules are {list(mods)[1:]}")
        self.out: dict[str, torch.Tensor] = {}
        self._handles = [mods[n].register_forward_hook(self._hook(n)) for n in names]

    def _hook(self, name: str):
        def hook(_m, _inp, out):
            self.out[name] = out
        return hook

    def remove(self) -> None:
        for h in self._handles:
            h.remove()


def hint_loss(student: FeatureTap, teacher: FeatureTap) -> torch.Tensor:
    """Mean of the MSEs between the tapped features (teacher side detached)."""
    terms = [F.mse_loss(s, teacher.out[n].detach()) for n, s in student.out.items()]
    return torch.stack(terms).mean() if terms else torch.zeros(())
