"""FlipOut saliency (Apostol, Stol, Forré 2020): weights whose sign keeps flipping
are unimportant.

    τ_i = |θ_i|^p / (flips_i + 1),   p = 2

Flips are counted across optimizer steps; gradient noise
`g += ε·λ·‖g‖₂/√n`, ε ~ N(0, I), is injected every step (λ = 1). The
saliency is used unstructured, or summed per PE group so it yields PE-wise
structure (an extension for this compiler; FlipOut itself is unstructured).
"""
from __future__ import annotations

import torch
from torch import nn

from .groups import group_sq_norms


class FlipTracker:
    """Counts sign flips of the given layers' weights and injects gradient noise."""

    def __init__(self, layers: dict[str, nn.Module], noise: float = 1.0, p: float = 2.0, seed: int = 0):
        self.layers = layers
        self.noise, self.p = noise, p
        self.flips = {n: torch.zeros_like(m.weight) for n, m in layers.items()}
        self._before: dict[str, torch.Tensor] = {}
        self._gen = torch.Generator().manual_seed(seed)

    @torch.no_grad()
    def add_noise(self, _model=None) -> None:
        for m in self.layers.values():
            g = m.weight.grad
            if g is None or not self.noise:
                continue
            eps = torch.randn(g.shape, generator=self._gen)
            g.add_(eps * self.noise * g.norm() / g.numel() ** 0.5)

    def before_step(self, _model=None) -> None:
        self._before = {n: torch.sign(m.weight.detach()).clone() for n, m in self.layers.items()}

    @torch.no_grad()
    def after_step(self, _model=None) -> None:
        for n, m in self.layers.items():
            flipped = torch.sign(m.weight) != self._before[n]
            self.flips[n] += flipped.to(self.flips[n].dtype) * m.weight_mask

    def saliency(self, name: str) -> torch.Tensor:
        """Elementwise |θ|^p / (flips + 1), zero where masked."""
        m = self.layers[name]
        w = m.weight.detach() * m.weight_mask
        return w.abs() ** self.p / (self.flips[name] + 1)

    def group_saliency(self, name: str, S: int) -> torch.Tensor:
        """(M, J) sums of the saliency over each PE group."""
        # Σ over a group of s_i = squared group norm of sqrt(s_i)
        return group_sq_norms(self.saliency(name).sqrt(), S)
