"""The PE-group view of a weight tensor, and the penalties defined on it.

DESIGN §3: a group is output channel `m` x input channels `[j*S, (j+1)*S)` x
all `kh*kw` taps, `S` being the PE lane count. Conv weights are
`(M, C_in/groups, kh, kw)`; dense weights `(M, K)` have `K` as the channel
axis and a single tap. When `C_in` is not a multiple of `S` the last group of
every row is partial (`C_in - (J-1)*S` channels); `J = ceil(C_in / S)`.

Numpy helpers (`*_np`) serve accounting on IR weights without torch; the
torch functions are differentiable and used in training.
"""
from __future__ import annotations

import math

import numpy as np

from ..errors import OptionError


def check_lanes(S: int) -> int:
    if not isinstance(S, (int, np.integer)) or S < 1:
        raise OptionError(f"group size (PE lanes) must be a positive integer, got {S!r}")
    return int(S)


def groups_per_row(c_in: int, S: int) -> int:
    """J = ceil(C_in / S) groups per output channel."""
    return math.ceil(c_in / check_lanes(S))


def group_grid(weight_shape: tuple[int, ...], S: int) -> tuple[int, int]:
    """(M, J): output channels x groups per row."""
    if len(weight_shape) not in (2, 4):
        raise OptionError(f"weights of shape {tuple(weight_shape)} are neither conv (4-D) nor dense (2-D)")
    return int(weight_shape[0]), groups_per_row(int(weight_shape[1]), S)


def group_channels(c_in: int, S: int, j: int) -> range:
    """Input channels of group column j (the last may be partial)."""
    return range(j * S, min((j + 1) * S, c_in))


def _as4d(shape: tuple[int, ...]) -> tuple[int, int, int]:
    """(C, kh, kw) of a conv or dense weight shape."""
    return (shape[1], shape[2], shape[3]) if len(shape) == 4 else (shape[1], 1, 1)


# ---------------------------------------------------------------- numpy

def channel_sq_np(values: np.ndarray) -> np.ndarray:
    v = np.asarray(values, dtype=np.float64)
    return (v ** 2).reshape(v.shape[0], v.shape[1], -1).sum(-1)


def group_sq_norms_np(values: np.ndarray, S: int) -> np.ndarray:
    """(M, J) squared L2 norms of the groups."""
    m, j = group_grid(values.shape, S)
    sq = channel_sq_np(values)
    sq = np.pad(sq, ((0, 0), (0, j * S - sq.shape[1])))
    return sq.reshape(m, j, S).sum(-1)


def group_nonzero_np(values: np.ndarray, S: int) -> np.ndarray:
    """(M, J) booleans: the group holds at least one nonzero weight."""
    m, j = group_grid(values.shape, S)
    nz = (np.asarray(values) != 0).reshape(values.shape[0], values.shape[1], -1).any(-1)
    nz = np.pad(nz, ((0, 0), (0, j * S - nz.shape[1])))
    return nz.reshape(m, j, S).any(-1)


def group_density_np(values: np.ndarray, S: int) -> float:
    return float(group_nonzero_np(values, S).mean())


def expand_group_mask_np(gmask: np.ndarray, weight_shape: tuple[int, ...], S: int) -> np.ndarray:
    """(M, J) group mask -> elementwise mask of `weight_shape`."""
    c = weight_shape[1]
    per_ch = np.repeat(np.asarray(gmask), S, axis=1)[:, :c]
    return np.broadcast_to(per_ch.reshape(per_ch.shape + (1,) * (len(weight_shape) - 2)),
                           weight_shape).copy()


# ---------------------------------------------------------------- torch

def group_sq_norms(w, S: int):
    """(M, J) squared L2 norms (torch, differentiable); zero-pads the last group."""
    import torch.nn.functional as F
    m, j = group_grid(tuple(w.shape), S)
    sq = (w ** 2).reshape(w.shape[0], w.shape[1], -1).sum(-1)
    sq = F.pad(sq, (0, j * S - sq.shape[1]))
    return sq.reshape(m, j, S).sum(-1)


def group_norms(w, S: int, eps: float = 1e-12):
    """(M, J) L2 norms. `eps` keeps the gradient finite at an all-zero group."""
    import torch
    return torch.sqrt(group_sq_norms(w, S) + eps)


def group_view(w, S: int):
    """(M, J, S, kh*kw) view with the partial last group zero-padded (for inspection)."""
    import torch.nn.functional as F
    m, j = group_grid(tuple(w.shape), S)
    c, kh, kw = _as4d(tuple(w.shape))
    x = w.reshape(m, c, kh * kw)
    x = F.pad(x, (0, 0, 0, j * S - c))
    return x.reshape(m, j, S, kh * kw)


def expand_group_mask(gmask, weight_shape, S: int):
    """(M, J) group mask -> elementwise mask (torch)."""
    c = weight_shape[1]
    per_ch = gmask.repeat_interleave(S, dim=1)[:, :c]
    return per_ch.reshape(per_ch.shape + (1,) * (len(weight_shape) - 2)).expand(*weight_shape).clone()


def group_lasso(w, S: int):
    """Σ_g ‖g‖₂ (Wen et al., SSL)."""
    return group_norms(w, S).sum()


def wpc_threshold(norms, rho: float = 0.7, variant: str = "mean"):
    """Self-adapting clip τ, detached: ρ·mean‖g‖ ("mean") or the k-th smallest
    norm with k = max(1, floor(ρ·G)) ("rank"; the seed code rounds k to
    multiples of G/16, which needs G >= 16, so it is generalised here)."""
    import torch
    flat = norms.detach().reshape(-1)
    if variant == "mean":
        return rho * flat.mean()
    if variant == "rank":
        k = max(1, int(math.floor(rho * flat.numel())))
        return torch.sort(flat).values[k - 1]
    raise OptionError(f"unknown WPC variant '{variant}'; use 'mean' or 'rank'")


def wpc_penalty(w, S: int, rho: float = 0.7, variant: str = "mean"):
    """Weight Penalty Clipping: Σ_g min(‖g‖₂, τ) with τ recomputed and detached.

    Groups above τ get no gradient: only weak groups are pulled to zero, so the
    magnitudes the ternarizer depends on are left alone (Yang/He/Fan AAAI'20).
    """
    import torch
    n = group_norms(w, S)
    return torch.minimum(n, wpc_threshold(n, rho, variant)).sum()


def group_density(w, S: int) -> float:
    nz = group_sq_norms(w.detach(), S) > 0
    return float(nz.float().mean())


def groups_under(w, S: int, eps: float):
    """(M, J) bool: groups whose norm is below eps (candidates for freezing)."""
    return group_sq_norms(w.detach(), S) < eps * eps


def lowest_groups(scores, rate: float):
    """(M, J) bool marking the round(rate·G) lowest-scoring groups (ties by index)."""
    import torch
    flat = scores.detach().reshape(-1)
    k = int(round(rate * flat.numel()))
    out = torch.zeros_like(flat, dtype=torch.bool)
    if k > 0:
        order = torch.argsort(flat, stable=True)
        out[order[:k]] = True
    return out.reshape(scores.shape)
