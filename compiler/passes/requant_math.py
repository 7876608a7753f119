"""Float scales -> the integer requantization of DESIGN §2.

Given real multipliers `r[m]` (output LSBs per accumulator unit), real
offsets `b[m]` (output LSBs) and the worst-case |acc| per channel, pick the
largest shift with every `M = round(r * 2**shift)` inside a signed 16-bit
integer and every product inside 62 bits; `B` carries the offset and the
rounding constant, so `(acc*M + B) >> shift == floor(acc*r + b + 1/2)` up to
the reported error.
"""
from __future__ import annotations

import numpy as np

from ..errors import QuantizationError
from ..ir.types import Requant

M_LIMIT = (1 << 15) - 1


def choose_requant(r, b, acc_bound, lo: int, hi: int, where: str) -> Requant:
    r = np.atleast_1d(np.asarray(r, np.float64))
    b = np.broadcast_to(np.asarray(b, np.float64), r.shape)
    acc_bound = np.broadcast_to(np.asarray(acc_bound, np.float64), r.shape)
    peak = float(np.abs(r).max(initial=0.0))
    if peak > M_LIMIT:
        raise QuantizationError(
            f"{where}: output scale is {peak:.4g}x finer than the input's, beyond a 16-bit "
            "requant multiplier; give this layer's output quantizer a larger scale or fewer bits")
    shift = 0
    while shift < 31 and peak * 2 ** (shift + 1) <= M_LIMIT and _fits(r, b, acc_bound, shift + 1):
        shift += 1
    mult = np.round(r * 2.0 ** shift).astype(np.int64)
    half = (1 << (shift - 1)) if shift else 0
    braw = np.floor(b * 2.0 ** shift + 0.5).astype(np.int64) if shift else np.floor(b + 0.5).astype(np.int64)
    err = acc_bound * np.abs(mult / 2.0 ** shift - r) + np.abs(braw / 2.0 ** shift - b)
    if not shift:  # floor(acc*M + B) with B = round(b): the 1/2 is already in B's rounding
        err = err + 0.5
    return Requant(mult, braw + half, shift, lo, hi, float(err.max(initial=0.0)))


def _fits(r, b, acc_bound, shift) -> bool:
    m = np.abs(r).max(initial=0) * 2.0 ** shift
    bb = np.abs(b).max(initial=0) * 2.0 ** shift + 2.0 ** shift
    return float(acc_bound.max(initial=0)) * m + bb < 2.0 ** 61
