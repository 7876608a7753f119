"""Post-training weight quantization of float Conv2d/Dense layers.

`twn`: ternary codes with the TWN rule (threshold 0.7 * mean|W| per layer,
scale = mean |w| over |w| > threshold per output channel) for the middle
layers; the first and last MAC get int8 (as is usual: they are the most
sensitive and the cheapest). `int8`: every layer int8. Per-channel
symmetric int8: scale = max|w| / 127.
"""
from __future__ import annotations

from dataclasses import replace

import numpy as np

from ..errors import OptionError
from ..ir.graph import Graph
from ..ir.types import Weights, WeightKind

MODES = ("twn", "int8")


def ternarize_twn(w: np.ndarray, name: str = "") -> Weights:
    delta = 0.7 * np.abs(w).mean()
    codes = np.where(w > delta, 1, np.where(w < -delta, -1, 0))
    flat_w, flat_c = np.abs(w).reshape(len(w), -1), np.abs(codes).reshape(len(w), -1)
    kept = flat_c.sum(1)
    alpha = np.where(kept > 0, (flat_w * flat_c).sum(1) / np.maximum(kept, 1), 1.0)
    return Weights(WeightKind.TERNARY, codes, alpha, 2, name)


def quantize_int8(w: np.ndarray, name: str = "") -> Weights:
    peak = np.abs(w).reshape(len(w), -1).max(1)
    scale = np.where(peak > 0, peak / 127.0, 1.0)
    codes = np.clip(np.round(w / scale.reshape((-1,) + (1,) * (w.ndim - 1))), -127, 127)
    return Weights(WeightKind.INT, codes, scale, 8, name)


def quantize_weights(g: Graph, mode: str = "twn") -> Graph:
    if mode not in MODES:
        raise OptionError(f"unknown weight quantization '{mode}'; choose one of {', '.join(MODES)}")
    macs = [n.name for n in g.macs()]
    out = []
    for n in g.nodes:
        w = n.attrs.weights if n.op.is_mac else None
        if w is not None and w.kind is WeightKind.FLOAT:
            edge = n.name in (macs[0], macs[-1])
            q = quantize_int8 if (mode == "int8" or edge) else ternarize_twn
            n = replace(n, attrs=replace(n.attrs, weights=q(w.real(), n.name)))
        out.append(n)
    return g.with_nodes(out)
