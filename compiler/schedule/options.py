"""Typed schedule options and the constraints on P and S.

`LaneAxis` says what a PE's `S` lanes run over (DESIGN §3); `Granularity` says
how zero work is skipped: per PE (each PE runs its own program and skips every
all-zero group) or per tile (all PEs in lock-step on a shared input, skipping
a P x S tile only when all of it is zero; the comparison mode).
"""
from __future__ import annotations

import enum

from ..errors import OptionError

MAX_SIMD = 256


class LaneAxis(enum.Enum):
    CHANNEL = "channel"  # item = S input channels x all kh*kw taps, kh*kw cycles
    FLAT = "flat"        # item = S consecutive elements of the (kh, kw, c_in) row, 1 cycle


class Granularity(enum.Enum):
    PE = "pe"
    TILE = "tile"


class FoldingMode(enum.Enum):
    """How the folding search chose P (folding.py)."""

    MAX_THROUGHPUT = "max-throughput"   # the fastest design that fits the board
    TARGET_FPS = "target-fps"           # the least resources that reach --target-fps
    FIXED_PE = "fixed-pe"               # --pe everywhere


class WeightMemory(enum.Enum):
    """Where a Conv/Dense engine's PE programs live (chosen by the folding search)."""

    BRAM = "bram"   # fabric RAM (RAMB18/EBR), or LUTs for small ROMs
    URAM = "uram"   # URAM288 blocks (UltraScale+)
    DRAM = "dram"   # external memory, streamed through a read DMA


def check_simd(s: int) -> int:
    """S must be a power of two in 1..MAX_SIMD (lanes are an adder tree of S inputs)."""
    if not isinstance(s, int) or isinstance(s, bool) or s < 1 or s > MAX_SIMD or s & (s - 1):
        raise OptionError(f"S (--simd) = {s!r} is not a power of two in 1..{MAX_SIMD}; "
                          "use e.g. 8, 16 or 32 (the board default is in its profile)")
    return s


def check_pe(p: int, rows: int, where: str = "") -> int:
    """1 <= P <= M: a row (output channel) is never split across PEs."""
    at = f" for layer '{where}'" if where else ""
    if not isinstance(p, int) or isinstance(p, bool) or p < 1:
        raise OptionError(f"P (--pe) = {p!r}{at} must be an integer >= 1")
    if p > rows:
        raise OptionError(f"P (--pe) = {p}{at} exceeds its {rows} output channels; a row is "
                          f"never split across PEs, so use --pe {rows} or less")
    return p


def parse_granularity(value: str) -> Granularity:
    try:
        return Granularity(value)
    except ValueError:
        raise OptionError(f"granularity '{value}' is unknown; use one of "
                          f"{', '.join(g.value for g in Granularity)}") from None
