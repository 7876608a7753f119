"""The pruning methods of the compress pipeline (no torch: the CLI lists them)."""
from __future__ import annotations

import enum


class Method(enum.Enum):
    MAGNITUDE = "magnitude"      # no regularizer; groups ranked by L2 norm
    GROUP_LASSO = "group-lasso"  # λ·Σ‖g‖
    WPC = "wpc"                  # λ·Σ min(‖g‖, τ), Yang/He/Fan AAAI'20
    FLIPOUT = "flipout"          # groups ranked by Σ |θ|²/(flips+1), gradient noise
