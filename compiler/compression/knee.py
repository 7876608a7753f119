"""Kneedle choice of the pruning rate (Satopää et al. 2011, via `kneed`).

Accuracy against pruning rate is flat, then falls, then lies flat again at
chance level: a sigmoid, whose convex tail Kneedle would take for the knee.
The curve is therefore cut at its first point below halfway between its
lowest and highest accuracy, and the rest is read as concave and decreasing;
the knee is the last rate before the fall. When `kneed` finds none
(a flat or monotone-linear curve), the fallback is the largest rate whose
accuracy is within `tolerance` points of the best.
"""
from __future__ import annotations

from ..errors import OptionError


def find_knee(rates: list[float], accs: list[float], sensitivity: float = 1.0,
              tolerance: float = 1.0) -> tuple[float, str]:
    """(rate, how): `how` is 'kneedle' or 'fallback'."""
    if len(rates) != len(accs) or len(rates) < 3:
        raise OptionError(f"the knee needs at least 3 (rate, accuracy) points, got {len(rates)}")
    from kneed import KneeLocator
    pts = sorted(zip(rates, accs))
    xs, ys = [p[0] for p in pts], [p[1] for p in pts]
    knee = None
    if max(ys) > min(ys):
        mid = (max(ys) + min(ys)) / 2
        cut = next(i for i, y in enumerate(ys) if y < mid) + 1
        if cut >= 3:
            knee = KneeLocator(xs[:cut], ys[:cut], S=sensitivity, curve="concave",
                               direction="decreasing").knee
    if knee is not None:
        return float(knee), "kneedle"
    best = max(ys)
    return max(x for x, y in pts if y >= best - tolerance), "fallback"
