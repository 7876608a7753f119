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

Weight memory (`place`), for every candidate P per layer: all weight ROMs start
in fabric RAM (`bram`). On a board with URAM, layers move to URAM in order of
BRAM18 saved per URAM spent while URAM lasts. If BRAM18 or URAM is still over
budget, layers move to DRAM one at a time, largest weight memory first among
those that read each weight once per frame (Dense before Conv: a Conv re-reads
its PE programs for every output pixel), skipping any whose stream would
exceed the cycle budget `T` (`weight bits * out_pixels / DRAM bits per
cycle`); URAM is refilled after each move. DRAM is chosen only when on-chip
memory cannot hold the weights: maximum throughput streams only if the model
does not fit on chip even with P = 1 everywhere (then it bisects again with
streaming allowed); `--target-fps` and `--pe` only if their P does not fit on
chip.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from ..board import Board
from ..errors import BoardError
from . import cost
from .layer import PIXEL_OVERHEAD_CYCLES
from .model import FixedEngine, MacLayer
from .options import FoldingMode, Granularity, WeightMemory


@dataclass(frozen=True)
class Folding:
    """The chosen P per layer and the cycle budget they were chosen for (0 if fixed P)."""

    pe: dict[str, int]
    target_cycles: int
    mode: FoldingMode
    memory: dict[str, WeightMemory] = field(default_factory=dict)

    def weight_memory(self, name: str) -> WeightMemory:
        return self.memory.get(name, WeightMemory.BRAM)


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


def estimate(layers, fixed, pes: dict[str, int], gran, family,
             memory: dict[str, WeightMemory] | None = None) -> cost.Resources:
    """Estimated resources of the whole design at the given P (and weight memory) per layer."""
    memory = memory or {}
    return cost.total([l.resources(pes[l.name], gran, family, memory.get(l.name, WeightMemory.BRAM))
                       for l in layers] + [f.resources for f in fixed])


def place(layers: list[MacLayer], fixed: list[FixedEngine], pes: dict[str, int],
          gran: Granularity, board: Board, budget: dict[str, int],
          t: int | None = None, dram: bool = True) -> dict[str, WeightMemory] | None:
    """Weight memory per layer so that the estimate fits `budget` (module docstring), or
    None. `t` bounds a DRAM-streamed layer's cycles (None: no bound); `dram=False` keeps
    every weight on chip."""
    bpc = board.dram_bits_per_cycle if dram else 0.0
    base = cost.total(f.resources for f in fixed)
    memo: dict[tuple[str, str], cost.Resources] = {}

    def res(l: MacLayer, kind: WeightMemory) -> cost.Resources:
        if (l.name, kind) not in memo:
            memo[l.name, kind] = l.resources(pes[l.name], gran, board.family, kind)
        return memo[l.name, kind]

    streamed: set[str] = set()
    while True:
        mem = _fill_uram(layers, streamed, res, budget.get("uram", 0))
        over = (base + cost.total(res(l, mem[l.name]) for l in layers)).over(budget)
        if not over:
            return mem
        if not {"bram18", "uram"} & set(over) or bpc <= 0:
            return None
        cands = [l for l in layers if l.name not in streamed
                 and (res(l, WeightMemory.DRAM).bram18, res(l, WeightMemory.DRAM).uram)
                 < (res(l, mem[l.name]).bram18, res(l, mem[l.name]).uram)
                 and (t is None or l.cycles(pes[l.name], gran, bpc) <= t)]
        if not cands:
            return None
        streamed.add(min(cands, key=lambda l: (l.out_pixels, -l.weight_bits(pes[l.name], gran),
                                           l.name)).name)


def _fill_uram(layers, dram: set[str], res, uram_budget: int) -> dict[str, WeightMemory]:
    """bram everywhere, dram for `dram`; then URAM, best BRAM18 saved per URAM first."""
    mem = {l.name: WeightMemory.DRAM if l.name in dram else WeightMemory.BRAM for l in layers}
    if uram_budget <= 0:
        return mem
    cands = []
    for l in layers:
        if l.name in dram:
            continue
        b, u = res(l, WeightMemory.BRAM), res(l, WeightMemory.URAM)
        saved = b.bram18 - u.bram18
        if saved > 0 and u.uram > 0:
            cands.append((-saved / u.uram, l.name, u.uram))
    left = uram_budget
    for _, name, n in sorted(cands):
        if n <= left:
            mem[name] = WeightMemory.URAM
            left -= n
    return mem


def fold(layers: list[MacLayer], fixed: list[FixedEngine], board: Board, gran: Granularity, *,
         pe: int | None = None, target_fps: float | None = None, margin: float = 0.0) -> Folding:
    """P per layer for the mode the options select (module docstring)."""
    if pe is not None:
        pes = {l.name: min(pe, l.rows) for l in layers}
        mem = (place(layers, fixed, pes, gran, board, board.usable(), dram=False)
               or place(layers, fixed, pes, gran, board, board.usable()))
        return Folding(pes, 0, FoldingMode.FIXED_PE, mem or {})
    if target_fps is not None:
        t = int(board.clock_hz // target_fps)
        pes = _pes_for(layers, fixed, t, gran, target_fps, board)
        mem = (place(layers, fixed, pes, gran, board, board.usable(), t, dram=False)
               or place(layers, fixed, pes, gran, board, board.usable(), t))
        return Folding(pes, t, FoldingMode.TARGET_FPS, mem or {})
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


def bounds(layers, fixed, gran, dram_bits_per_cycle: float = 0.0) -> tuple[int, int]:
    """Fastest (P = M everywhere) and slowest (P = 1, weights streamed if a board has
    external memory) frame cycles."""
    floor = max([f.cycles for f in fixed] + [0])
    lo = max([l.cycles(l.rows, gran) for l in layers] + [floor])
    hi = max([l.cycles(1, gran, dram_bits_per_cycle) for l in layers] + [lo])
    return lo, hi


def max_throughput(layers, fixed, board: Board, gran: Granularity, margin: float = 0.0) -> Folding:
    """Least frame cycles whose estimate fits the usable resources shrunk by `margin`, with
    every weight on chip if that fits at all (at P = 1), else streaming from DRAM."""
    budget = {k: int(v * (1 - margin)) for k, v in board.usable().items()}
    lo, hi = bounds(layers, fixed, gran)
    dram = False

    def fits(t: int) -> tuple[dict[str, int], dict[str, str]] | None:
        pes = {l.name: min_pe(l, t, gran) for l in layers}
        if any(p is None for p in pes.values()):
            return None
        mem = place(layers, fixed, pes, gran, board, budget, t, dram)
        return None if mem is None else (pes, mem)

    if fits(hi) is None and board.dram_bits_per_cycle > 0:
        dram = True
        lo, hi = bounds(layers, fixed, gran, board.dram_bits_per_cycle)
    if fits(hi) is None:
        pes = {l.name: 1 for l in layers}
        how = ("even with one PE per layer and weights streamed from DRAM where that helps"
               if dram else "even with one PE per layer")
        memory = _least_block_ram(layers, pes, gran, board) if dram else None
        raise BoardError(not_fitting(estimate(layers, fixed, pes, gran, board.family, memory),
                                     board, how))
    while lo < hi:
        mid = (lo + hi) // 2
        if fits(mid) is None:
            lo = mid + 1
        else:
            hi = mid
    pes, mem = fits(lo)
    return Folding(pes, lo, FoldingMode.MAX_THROUGHPUT, mem)


def _least_block_ram(layers, pes, gran, board) -> dict[str, WeightMemory]:
    """Weight memory per layer with every layer streamed from DRAM where that takes less
    block RAM: the placement a "does not fit even with DRAM" message quotes."""
    def bram(l, kind):
        return l.resources(pes[l.name], gran, board.family, kind).bram18
    return {l.name: WeightMemory.DRAM if bram(l, WeightMemory.DRAM) < bram(l, WeightMemory.BRAM)
            else WeightMemory.BRAM for l in layers}


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
