"""Folding search: P per layer under the board's usable resources.

The dataflow runs at the pace of its slowest engine, so the search works on a
cycle budget `T` per frame. For a given `T` every layer takes the least P that
meets it (least P = least resources, since an engine's cost grows with P):
in PE granularity that P has a closed form from the lower bound
`taps * max(ceil(sum G / P), max G)` (the LPT schedule lands within a few
percent of it, and `network.py` relaxes or re-checks with the real schedule);
in tile granularity it is found by bisection on the exact lock-step count.

- Maximum throughput (default): the least `T` whose layers fit, by bisection
  between the fastest possible frame (P = M everywhere) and the slowest (P = 1).
- `--target-fps F`: `T = floor(clock / F)`, least resources that meet it.
- `--pe P`: P everywhere (capped at each layer's M).

S is not searched: it is the group width compression trains with (the
co-design), so it comes from the board profile or `--simd`, once per network.
"""
from __future__ import annotations

from dataclasses import dataclass

from ..board import Board
from ..errors import BoardError
from . import cost
from .layer import PIXEL_OVERHEAD_CYCLES
from .model import FixedEngine, MacLayer
from .options import Granularity


@dataclass(frozen=True)
class Folding:
    """The chosen P per layer and the cycle budget they were chosen for (0 if fixed P)."""

    pe: dict[str, int]
    target_cycles: int
    mode: str  # "max-throughput" | "target-fps" | "fixed-pe"


def min_pe(layer: MacLayer, t: int, gran: Granularity) -> int | None:
    """Least P with `layer.cycles(P) <= t`, or None if even P = M is too slow."""
    if layer.stream > t:
        return None
    if gran is Granularity.TILE:
        return _min_pe_bisect(layer, 1, t, gran)
    per_pixel = t // layer.out_pixels - PIXEL_OVERHEAD_CYCLES
    lmax = per_pixel // layer.taps if per_pixel >= 0 else -1
    g_sum, g_max = int(layer.g.sum()), int(layer.g.max(initial=0))
    if g_max > lmax or lmax < 0:
        return None
    if g_sum == 0:
        return 1
    p = min(max(-(-g_sum // lmax), 1), layer.rows)  # from DESIGN's bound; the pigeonhole
    return _min_pe_bisect(layer, p, t, gran)          # bound may ask for more


def _min_pe_bisect(layer: MacLayer, lo: int, t: int, gran: Granularity) -> int | None:
    """Least P >= lo with cycles(P) <= t (cycles are non-increasing in P)."""
    if layer.cycles(layer.rows, gran) > t:
        return None
    hi = layer.rows
    while lo < hi:
        mid = (lo + hi) // 2
        if layer.cycles(mid, gran) <= t:
            hi = mid
        else:
            lo = mid + 1
    return lo


def estimate(layers, fixed, pes: dict[str, int], gran, family) -> cost.Resources:
    """Estimated resources of the whole design at the given P per layer."""
    return cost.total([l.resources(pes[l.name], gran, family) for l in layers]
                      + [f.resources for f in fixed])


def fold(layers: list[MacLayer], fixed: list[FixedEngine], board: Board, gran: Granularity, *,
         pe: int | None = None, target_fps: float | None = None, margin: float = 0.0) -> Folding:
    """P per layer for the mode the options select (module docstring)."""
    if pe is not None:
        return Folding({l.name: min(pe, l.rows) for l in layers}, 0, "fixed-pe")
    if target_fps is not None:
        t = int(board.clock_hz // target_fps)
        return Folding(_pes_for(layers, fixed, t, gran, target_fps, board), t, "target-fps")
    return max_throughput(layers, fixed, board, gran, margin)


def _pes_for(layers, fixed, t, gran, fps, board) -> dict[str, int]:
    slow = [f for f in fixed if f.cycles > t]
    if slow:
        raise BoardError(_too_slow(slow[0].name, slow[0].cycles, fps, board, "its stream"))
    out = {}
    for l in layers:
        p = min_pe(l, t, gran)
        if p is None:
            fastest = l.cycles(l.rows, gran)
            raise BoardError(_too_slow(l.name, fastest, fps, board, "one PE per output channel"))
        out[l.name] = p
    return out


def _too_slow(name, cycles, fps, board, what) -> str:
    best = board.clock_hz / cycles
    return (f"--target-fps {fps:g} is out of reach: layer '{name}' needs {cycles:,} cycles per "
            f"frame even with {what}, i.e. at most {best:,.1f} fps at {board.clock_mhz:g} MHz; "
            "lower --target-fps, raise S (--simd), or compress that layer harder "
            "(its longest row bounds it)")


def bounds(layers, fixed, gran) -> tuple[int, int]:
    """Fastest (P = M everywhere) and slowest (P = 1) frame cycles."""
    floor = max([f.cycles for f in fixed] + [0])
    lo = max([l.cycles(l.rows, gran) for l in layers] + [floor])
    hi = max([l.cycles(1, gran) for l in layers] + [lo])
    return lo, hi


def max_throughput(layers, fixed, board: Board, gran: Granularity, margin: float = 0.0) -> Folding:
    """Least frame cycles whose estimate fits the usable resources shrunk by `margin`."""
    budget = {k: int(v * (1 - margin)) for k, v in board.usable().items()}
    lo, hi = bounds(layers, fixed, gran)

    def fits(t: int) -> dict[str, int] | None:
        pes = {l.name: min_pe(l, t, gran) for l in layers}
        if any(p is None for p in pes.values()):
            return None
        return pes if not estimate(layers, fixed, pes, gran, board.family).over(budget) else None

    if fits(hi) is None:
        pes = {l.name: 1 for l in layers}
        raise BoardError(not_fitting(estimate(layers, fixed, pes, gran, board.family), board,
                                     "even with one PE per layer"))
    while lo < hi:
        mid = (lo + hi) // 2
        if fits(mid) is None:
            lo = mid + 1
        else:
            hi = mid
    return Folding(fits(lo), lo, "max-throughput")


def not_fitting(need: cost.Resources, board: Board, how: str, fix: str = "") -> str:
    """`BoardError` text: what is over, by how much, and what to change."""
    budget = board.usable()
    over = need.over(budget)
    parts = [f"{k.upper() if k != 'bram18' else 'BRAM18'} {need.as_dict()[k]:,} of "
             f"{budget[k]:,} usable (over by {v:,}, {100 * v / max(budget[k], 1):.0f}%)"
             for k, v in over.items()]
    fix = fix or ("use a bigger board, compress harder (fewer nonzero PE groups), or raise "
                  "usable_fraction in a custom board file")
    return (f"the model does not fit {board.name} ({board.part}) {how}: needs "
            f"{'; '.join(parts)}; {fix}")
