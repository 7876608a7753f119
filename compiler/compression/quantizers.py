"""The integer contracts of DESIGN §2 as differentiable torch functions.

Forward passes compute exactly what the exported IR means; backward passes
use straight-through estimators (STE). Nothing here holds state: the modules
in `modules.py` own the parameters and buffers.
"""
from __future__ import annotations

import enum

import torch


class Threshold(enum.Enum):
    """How the ternary threshold Δ is chosen."""

    HE = "he"              # Δ = t · max|W|  (He et al. WACV'19, Yang/He/Fan AAAI'20; t = 0.05)
    TWN = "twn"            # Δ = 0.7 · mean|W|  (Li & Liu, TWN)
    SPARSITY = "sparsity"  # Δ = the |W| quantile that zeroes a fixed fraction p


def round_half_up(v: torch.Tensor) -> torch.Tensor:
    """floor(v + 1/2), the rounding of QuantAttrs; gradient passes straight through."""
    return torch.floor(v + 0.5).detach() + (v - v.detach())  # exact: x - x == 0 in floats


def fake_quant(x: torch.Tensor, scale: torch.Tensor, lo: int, hi: int) -> torch.Tensor:
    """real = clamp(floor(x/scale + 1/2), lo, hi) * scale.

    The clamp stops the gradient outside [lo, hi] (clipped STE); when `scale`
    requires grad it receives the LSQ gradient through both uses.
    """
    return torch.clamp(round_half_up(x / scale), lo, hi) * scale


def round_mantissa(s: torch.Tensor, bits: int = 16) -> torch.Tensor:
    """Round positive floats to `bits` mantissa bits.

    An int8 code times such a scale is exact in float32 (7 + 16 < 24 bits), so
    the weights the forward pass uses equal `values * scale` of the export.
    """
    mant, exp = torch.frexp(s)
    return torch.ldexp(torch.round(mant * (1 << bits)) / (1 << bits), exp)


def _reduce_dims(w: torch.Tensor, per_channel: bool) -> tuple[int, ...]:
    return tuple(range(1, w.dim())) if per_channel else tuple(range(w.dim()))


def ternary_delta(w: torch.Tensor, rule: Threshold, param: float, per_channel: bool) -> torch.Tensor:
    """Threshold Δ (a scalar, or one per output channel shaped for broadcast)."""
    a = w.detach().abs()
    dims = _reduce_dims(w, per_channel)
    if rule is Threshold.HE:
        d = param * a.amax(dim=dims, keepdim=True)
    elif rule is Threshold.TWN:
        d = param * a.mean(dim=dims, keepdim=True)
    else:
        flat = a.reshape(a.shape[0], -1) if per_channel else a.reshape(1, -1)
        # smallest kept magnitude: the (p·n)-th order statistic, so a fraction p becomes zero
        k = min(int(param * flat.shape[1]), flat.shape[1] - 1)
        d = torch.sort(flat, dim=1).values[:, k]
        d = d.reshape((-1,) + (1,) * (w.dim() - 1)) if per_channel else d.reshape((1,) * w.dim())
    return d


def ternary_codes(w: torch.Tensor, delta: torch.Tensor) -> torch.Tensor:
    """t = sign(w) where |w| >= Δ, else 0 (float tensor of -1, 0, +1, no grad).

    A weight that is exactly 0 (pruned) stays 0 even when Δ is 0.
    """
    w = w.detach()
    return torch.sign(w) * (w.abs() >= delta).to(w.dtype)


def ternary_alpha(w: torch.Tensor, codes: torch.Tensor, per_channel: bool) -> torch.Tensor:
    """α = mean |w| over the nonzero codes, per layer or per output channel.

    Returns one value per output channel (shape (M,)). A channel without any
    nonzero code gets the mean α of the others (its weights are all zero, the
    value only keeps later requantization multipliers in range).
    """
    a = w.detach().abs() * codes.abs()
    n = codes.abs()
    if not per_channel:
        tot = n.sum()
        alpha = a.sum() / tot if tot > 0 else torch.ones((), dtype=w.dtype)
        return alpha.expand(w.shape[0]).clone()
    dims = tuple(range(1, w.dim()))
    cnt = n.sum(dim=dims)
    alpha = a.sum(dim=dims) / cnt.clamp(min=1)
    empty = cnt == 0
    if empty.all():
        return torch.ones_like(alpha)
    return torch.where(empty, alpha[~empty].mean(), alpha)


def ste(latent: torch.Tensor, quantized: torch.Tensor) -> torch.Tensor:
    """Forward exactly `quantized`, backward identity into `latent`.

    Written as q + (w - w) rather than w + (q - w): the latter rounds in
    float32 and would not equal the exported codes times scales.
    """
    return quantized.detach() + (latent - latent.detach())


def per_channel(v: torch.Tensor, ndim: int) -> torch.Tensor:
    """Reshape a (M,) vector to broadcast against an ndim weight tensor."""
    return v.reshape((-1,) + (1,) * (ndim - 1))


def int_quantize(w: torch.Tensor, bits: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Symmetric per-output-channel integer codes and scales (narrow range ±(2^(b-1)-1))."""
    qmax = (1 << (bits - 1)) - 1
    amax = w.detach().abs().amax(dim=tuple(range(1, w.dim())))
    scale = round_mantissa(torch.where(amax > 0, amax / qmax, torch.ones_like(amax)))
    codes = torch.clamp(torch.floor(w.detach() / per_channel(scale, w.dim()) + 0.5), -qmax, qmax)
    return codes, scale
