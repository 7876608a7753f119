"""The schedule of one MAC layer on a P x S PE array (DESIGN §3), as data.

A `LayerSchedule` is what both backends consume: which rows each PE runs, in
which order, which items of each row it executes, and the packed words of its
weight ROM in execution order. Program order of PE `p`: its rows ascending;
within a row, the items set in that row's mask, ascending; within an item, its
`taps` words (`(ky, kx)` order for channel lanes). One word is one cycle.

With `pe` granularity a row's mask is its nonzero items. With `tile`
granularity row `t*P + p` runs on PE `p`, all PEs advance in lock-step, and a
row's mask is the union over its tile of P rows: a P x S tile is skipped only
when all of it is zero, so PEs execute (and store) zero words.

Per output pixel: `cycles = taps * max load + PIXEL_OVERHEAD_CYCLES`.

`weight_memory` says where the PE programs live: `bram` (fabric RAM or LUTs),
`uram`, or `dram` (streamed from external memory: the engine then needs at
least `dram_cycles` per frame, `model.frame_cycles`). The folding search sets
them (`network.py`); the words are the same in every case.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import UnsupportedError
from .assign import assign_rows, load_lower_bound, round_robin
from .groups import LaneLayout
from ..ir.ops import Op
from ..ir.types import WeightKind
from .options import Granularity, LaneAxis, WeightMemory, check_pe
from .pack import mask_items, pack_masks, pack_words, unpack_words, word_hex_digits

# Cycles a PE spends per output pixel beyond its items. The engine double-buffers
# each PE's input vector, clears the accumulator with the first add of a row and
# requantizes in a pipeline stage after the last one, so pixel switches cost
# nothing in steady state; pipeline fill and drain are counted once per layer at
# the network level (`ENGINE_FILL_CYCLES` in cost.py). Both backends use this value.
PIXEL_OVERHEAD_CYCLES = 0


@dataclass(frozen=True)
class PeProgram:
    """One PE: its rows, each row's scheduled items (hex mask), load and weight ROM."""

    rows: tuple[int, ...]
    masks: tuple[str, ...]
    load: int          # items executed per output pixel
    words: str         # hex, word_hex_digits per word, program order

    def to_json(self) -> dict:
        return {"rows": list(self.rows), "masks": list(self.masks), "load": self.load,
                "words": self.words}

    @staticmethod
    def from_json(d: dict) -> "PeProgram":
        return PeProgram(tuple(d["rows"]), tuple(d["masks"]), d["load"], d["words"])


@dataclass(frozen=True)
class LayerSchedule:
    """Schedule of one Conv/Dense layer; see the module docstring for the program order."""

    name: str
    op: Op
    lane_axis: LaneAxis
    granularity: Granularity
    pe: int
    simd: int
    rows: int
    items_per_row: int
    taps: int
    weight_kind: WeightKind
    weight_bits: int
    out_pixels: int
    row_items: tuple[int, ...]   # G[m]: nonzero items of row m
    lpt_max_load: int            # most-loaded PE after LPT, before the local search
    pes: tuple[PeProgram, ...]
    weight_memory: WeightMemory = WeightMemory.BRAM  # module docstring
    dram_cycles: int = 0         # cycles per frame to stream its weights (dram only)

    # ---- derived metrics (DESIGN §3) ----
    @property
    def cycles_per_item(self) -> int:
        return self.taps

    @property
    def max_load(self) -> int:
        return max(p.load for p in self.pes)

    @property
    def groups_total(self) -> int:
        return self.rows * self.items_per_row

    @property
    def groups_nonzero(self) -> int:
        return sum(self.row_items)

    @property
    def density(self) -> float:
        return self.groups_nonzero / self.groups_total

    @property
    def cycles_per_pixel(self) -> int:
        return self.taps * self.max_load + PIXEL_OVERHEAD_CYCLES

    @property
    def lower_bound_per_pixel(self) -> int:
        return self.taps * load_lower_bound(np.asarray(self.row_items), self.pe)

    @property
    def dense_per_pixel(self) -> int:
        """A folding that cannot skip zeros: `taps * ceil(M/P) * items_per_row`."""
        return self.taps * -(-self.rows // self.pe) * self.items_per_row

    @property
    def cycles(self) -> int:
        return self.cycles_per_pixel * self.out_pixels

    @property
    def lower_bound(self) -> int:
        return self.lower_bound_per_pixel * self.out_pixels

    @property
    def dense_cycles(self) -> int:
        return self.dense_per_pixel * self.out_pixels

    @property
    def utilisation(self) -> float:
        """`sum G / (P * max load)`; 1.0 for an all-zero layer (nothing is wasted)."""
        return self.groups_nonzero / (self.pe * self.max_load) if self.max_load else 1.0

    @property
    def word_bits(self) -> int:
        return self.simd * self.weight_bits

    @property
    def rom_bits(self) -> int:
        """Bits of all its PE programs (what its weight memories hold)."""
        return sum(self.words_per_pe()) * self.word_bits

    def words_per_pe(self) -> list[int]:
        d = word_hex_digits(self.simd, self.weight_bits)
        return [len(p.words) // d for p in self.pes]

    # ---- program access ----
    def program(self, pe: int) -> list[tuple[int, int]]:
        """PE `pe`'s ordered (row, item) entries; each runs `taps` cycles."""
        prog = self.pes[pe]
        return [(r, i) for r, m in zip(prog.rows, prog.masks) for i in mask_items(m)]

    def pe_words(self, pe: int) -> list[int]:
        """PE `pe`'s weight ROM as unsigned ints, program order."""
        return unpack_words(self.pes[pe].words, self.simd, self.weight_bits)

    def summary(self) -> dict:
        return {"cycles_per_pixel": self.cycles_per_pixel, "max_load": self.max_load,
                "lower_bound_per_pixel": self.lower_bound_per_pixel,
                "dense_per_pixel": self.dense_per_pixel, "cycles": self.cycles,
                "utilisation": round(self.utilisation, 6), "density": round(self.density, 6)}

    # ---- JSON ----
    def to_json(self) -> dict:
        d = {k: getattr(self, k) for k in _SCALARS}
        d.update(op=self.op.value, weight_kind=self.weight_kind.value, weight_memory=self.weight_memory.value,
                 dram_cycles=self.dram_cycles,
                 lane_axis=self.lane_axis.value, granularity=self.granularity.value,
                 row_items=list(self.row_items), summary=self.summary(),
                 pes=[p.to_json() for p in self.pes])
        return d

    @staticmethod
    def from_json(d: dict) -> "LayerSchedule":
        return LayerSchedule(
            **{k: d[k] for k in _SCALARS}, op=Op(d["op"]), weight_kind=WeightKind(d["weight_kind"]),
            lane_axis=LaneAxis(d["lane_axis"]),
            granularity=Granularity(d["granularity"]), row_items=tuple(d["row_items"]),
            pes=tuple(PeProgram.from_json(p) for p in d["pes"]),
            weight_memory=WeightMemory(d.get("weight_memory", "bram")),
            dram_cycles=d.get("dram_cycles", 0))


_SCALARS = ("name", "pe", "simd", "rows", "items_per_row", "taps", "weight_bits",
            "out_pixels", "lpt_max_load")


def check_weights_on_chip(layers, backend: str) -> None:
    """The backends hold every PE program in on-chip ROM: refuse DRAM-streamed weights."""
    for ls in layers:
        if ls.weight_memory is WeightMemory.DRAM:
            raise UnsupportedError(
                f"layer '{ls.name}': the folding search streams its weights from DRAM (they do "
                f"not fit on chip), which the {backend} backend does not generate yet; compile "
                "for a bigger board (more BRAM/URAM) or compress harder (fewer nonzero PE "
                "groups) so that every layer's weights stay on chip")


def schedule_layer(layout: LaneLayout, pe: int, *, name: str = "", op: Op = Op.CONV2D,
                   weight_kind: WeightKind = WeightKind.TERNARY, weight_bits: int = 2,
                   out_pixels: int = 1,
                   granularity: Granularity = Granularity.PE) -> LayerSchedule:
    """Assign rows to `pe` PEs, build their programs and pack their weight ROMs."""
    check_pe(pe, layout.rows, name)
    mask = layout.mask()
    g = mask.sum(axis=1).astype(np.int64)
    if granularity is Granularity.PE:
        a = assign_rows(g, pe)
        rows, lpt_max, sched = a.rows, a.lpt_max_load, mask
    else:
        rows, sched = round_robin(layout.rows, pe), tile_masks(mask, pe)
        lpt_max = 0
    pes = _programs(layout, rows, sched, weight_bits)
    if granularity is Granularity.TILE:
        lpt_max = max(p.load for p in pes)
    return LayerSchedule(name, op, layout.axis, granularity, pe, layout.simd, layout.rows,
                         layout.items_per_row, layout.taps, weight_kind, weight_bits, out_pixels,
                         tuple(int(x) for x in g), lpt_max, pes)


def tile_masks(mask: np.ndarray, p: int) -> np.ndarray:
    """Row mask := union of its tile's masks (rows t*P .. t*P+P-1)."""
    m = mask.shape[0]
    tiles = -(-m // p)
    padded = np.zeros((tiles * p, mask.shape[1]), dtype=bool)
    padded[:m] = mask
    union = padded.reshape(tiles, p, -1).any(axis=1)
    return np.repeat(union, p, axis=0)[:m]


def _programs(layout: LaneLayout, rows, sched: np.ndarray, bits: int) -> tuple[PeProgram, ...]:
    order = np.array([r for rs in rows for r in rs], dtype=np.int64)
    sel = sched[order]
    words = pack_words(layout.lanes[order][sel].reshape(-1, layout.simd), bits)
    masks = pack_masks(sched)
    d = word_hex_digits(layout.simd, bits)
    out, start = [], 0
    for rs in rows:
        load = int(sched[list(rs)].sum()) if rs else 0
        n = load * layout.taps * d
        out.append(PeProgram(tuple(rs), tuple(masks[r] for r in rs), load, words[start:start + n]))
        start += n
    return tuple(out)
