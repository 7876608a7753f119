"""Row-to-PE assignment: minimise the most-loaded PE (DESIGN §3).

Rows (output channels) carry `G[m]` nonzero items and are never split across
PEs, so this is makespan scheduling on `P` identical machines. We run LPT
(longest processing time first; ties to the lower row, then the lower PE) and
then a local search that moves or swaps one row of a most-loaded PE whenever
that lowers the larger of the two loads involved. Every accepted step removes
one PE from the top load or lowers the top load, so it terminates; it stops
early at the lower bound `max(ceil(sum G / P), max G)`.

Rows with no nonzero item cost no cycle but still belong to a PE (it emits
their requantized zero accumulator): they go to the PE with the fewest rows.
Every PE runs its rows in ascending order.
"""
from __future__ import annotations

import heapq
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Assignment:
    """Rows of each PE (ascending), their loads in items, and LPT's load before the search."""

    rows: tuple[tuple[int, ...], ...]
    loads: tuple[int, ...]
    lpt_max_load: int

    @property
    def max_load(self) -> int:
        return max(self.loads)


def load_lower_bound(g: np.ndarray, p: int) -> int:
    """`max(ceil(sum G / P), max G)` in items: no assignment can do better."""
    if g.size == 0:
        return 0
    return max(-(-int(g.sum()) // p), int(g.max()))


def pigeonhole_bound(g_desc: np.ndarray, p: int) -> int:
    """A bound that sees rows are indivisible: among the `k*P + 1` largest rows, some PE
    holds `k + 1`, so max load >= (k+1) * G_(kP+1) for every k (`g_desc` sorted descending).
    Exact for equal rows: ceil(M/P) * g. The folding search uses it; reports use DESIGN's."""
    if g_desc.size == 0:
        return 0
    k = np.arange(0, -(-g_desc.size // p))
    return int(((k + 1) * g_desc[k * p]).max())


def assign_rows(g: np.ndarray, p: int, max_steps: int | None = None) -> Assignment:
    """LPT, then move/swap local search, then zero rows; deterministic."""
    g = np.asarray(g, dtype=np.int64)
    owner = _lpt(g, p)
    load = np.bincount(owner[owner >= 0], weights=g[owner >= 0], minlength=p).astype(np.int64)
    lpt_max = int(load.max())
    steps = 4 * len(g) + 16 if max_steps is None else max_steps
    _improve(g, owner, load, load_lower_bound(g, p), steps)
    _place_zero_rows(g, owner, load, p)
    rows = tuple(tuple(int(r) for r in np.flatnonzero(owner == q)) for q in range(p))
    return Assignment(rows, tuple(int(x) for x in load), lpt_max)


def round_robin(m: int, p: int) -> tuple[tuple[int, ...], ...]:
    """Tile granularity: row `t*P + q` runs on PE `q` (tiles of P rows)."""
    return tuple(tuple(range(q, m, p)) for q in range(p))


def _lpt(g: np.ndarray, p: int) -> np.ndarray:
    owner = np.full(len(g), -1, dtype=np.int64)
    heap = [(0, q) for q in range(p)]
    for r in np.lexsort((np.arange(len(g)), -g)):
        if g[r] == 0:
            break
        load, q = heapq.heappop(heap)
        owner[r] = q
        heapq.heappush(heap, (load + int(g[r]), q))
    return owner


def _improve(g, owner, load, bound, steps) -> None:
    for _ in range(steps):
        top = int(load.max())
        if top <= bound:
            return
        pmax = int(np.argmax(load))
        step = _best_step(g, owner, load, pmax, top)
        if step is None:
            return
        r, s, q = step
        owner[r] = q
        load[q] += g[r]
        load[pmax] -= g[r]
        if s >= 0:
            owner[s] = pmax
            load[pmax] += g[s]
            load[q] -= g[s]


def _best_step(g, owner, load, pmax, top):
    """Best move (s = -1) or swap of one row `r` of `pmax` with a row `s` of PE `q`."""
    others = np.flatnonzero((owner >= 0) & (owner != pmax))
    qs = np.array([q for q in range(len(load)) if q != pmax], dtype=np.int64)
    best = None
    for r in np.flatnonzero(owner == pmax):
        gr = int(g[r])
        # moves r -> q
        q_after = load[qs] + gr
        ok = q_after < top
        if ok.any():
            val = np.maximum(top - gr, q_after)
            val = np.where(ok, val, np.iinfo(np.int64).max)
            k = int(np.argmin(val))
            best = _better(best, (int(val[k]), int(r), -1, int(qs[k])))
        # swaps r <-> s
        if others.size:
            gs = g[others]
            q_after = load[owner[others]] - gs + gr
            ok = (gs < gr) & (q_after < top)
            if ok.any():
                val = np.maximum(top - gr + gs, q_after)
                val = np.where(ok, val, np.iinfo(np.int64).max)
                k = int(np.argmin(val))
                best = _better(best, (int(val[k]), int(r), int(others[k]), int(owner[others[k]])))
    return None if best is None else best[1:]


def _better(best, cand):
    return cand if best is None or cand < best else best


def _place_zero_rows(g, owner, load, p) -> None:
    counts = np.bincount(owner[owner >= 0], minlength=p)
    heap = [(int(counts[q]), int(load[q]), q) for q in range(p)]
    heapq.heapify(heap)
    for r in np.flatnonzero(owner < 0):
        n, ld, q = heapq.heappop(heap)
        owner[r] = q
        heapq.heappush(heap, (n + 1, ld, q))
