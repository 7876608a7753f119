"""Library blocks synthesized alone: one PE (`tri_pe.sv`) with a random program,
and the other engines' blocks (`BLOCKS`: collector, pools, global average pool,
residual add, requantizer) with random constants.

The unit is the project's own `hls_templates/lib/rtl/tri_pe.sv`, wrapped in a
top module whose ports are the PE's. Its program ROM holds `words` random words
(random ternary codes, or random int8 weights) so that yosys cannot fold the
lanes into constants. Synthesis keeps the hierarchy, so the PE's requantizer
(`tri_requant`, a submodule) is counted apart: `lanes` = PE total - requantizer.

`lane_comparison` puts an add-only ternary lane bank beside a LUT-only int8
multiplier lane bank (same S, same activation width and accumulator; int8
synthesized with -nodsp so every multiplier is built from LUTs).

A block other than the PE is its own top module; its parameters go to
`read_slang -G` as SV constants, its per-channel tables (M, B, INIT) are random
so that yosys cannot fold them, and `Block.formula` is the cost model's
uncalibrated formula for the same parameters (compiler/schedule/cost.py).
"""
from __future__ import annotations

import shutil
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from ..board import Family
from ..resources import TEMPLATES
from . import yosys
from ..schedule.cost import index_bits
from .stat import Counts, module_totals

LIB = TEMPLATES / "lib" / "rtl"
PE_SOURCES = ("tri_requant.sv", "tri_add2.sv", "tri_sum.sv", "tri_pe.sv")


@dataclass(frozen=True)
class PeConfig:
    """One PE to synthesize (the parameters the cost model also sees)."""

    simd: int = 16
    act_bits: int = 8
    ternary: bool = True
    weight_bits: int = 2
    acc_bits: int = 24
    words: int = 16
    rows: int = 4
    out_bits: int = 8
    seed: int = 0
    nslice: int = 1       # S-lane slices of the input vector (its input buffer holds two)
    cpp: int = 0          # the engine's cycles per pixel (0: this PE's words)

    @property
    def cycles_per_pixel(self) -> int:
        return self.cpp or self.words

    @property
    def banks(self) -> tuple[int, int]:
        """(K, L) of its input buffer (tritium.schedule.cost.input_buffer_banks)."""
        from ..schedule.cost import input_buffer_banks
        return input_buffer_banks(self.nslice, self.cycles_per_pixel)

    def key(self) -> str:
        kind = "t" if self.ternary else f"i{self.weight_bits}"
        return (f"pe_{kind}_s{self.simd}_a{self.act_bits}_acc{self.acc_bits}_w{self.words}"
                f"_r{self.rows}" + (f"_n{self.nslice}" if self.nslice > 1 else "")
                + (f"_c{self.cpp}" if self.cpp else ""))


def pe_program(c: PeConfig) -> list[str]:
    """Random ROM words (hex), rows split evenly over the words, first/last flags set;
    word i reads input slice i mod nslice, as a real program reads each once."""
    rng = np.random.default_rng(c.seed)
    k, l = c.banks
    rw, kb, lb = index_bits(c.rows), index_bits(k), index_bits(l)
    out = []
    per_row = max(1, c.words // c.rows)
    for i in range(c.words):
        if c.ternary:
            lanes = rng.choice([0, 1, 3], size=c.simd)
        else:
            lanes = rng.integers(0, 1 << c.weight_bits, size=c.simd)
        word = 0
        for lane, v in enumerate(lanes):
            word |= int(v) << (lane * c.weight_bits)
        pos = c.simd * c.weight_bits
        nxt = ((i + 1) % c.words) % c.nslice
        word |= ((i % c.nslice) % k) << pos | (nxt // k) << (pos + kb)
        pos += kb + lb
        row = min(i // per_row, c.rows - 1)
        first = i % per_row == 0
        last = (i % per_row == per_row - 1) or i == c.words - 1
        word |= (int(first) << pos) | (int(last) << (pos + 1)) | (row << (pos + 2))
        width = pos + 2 + rw
        out.append(f"{word:0{-(-width // 4)}x}")
    return out


def pe_wrapper(c: PeConfig) -> str:
    rw, cw = index_bits(c.rows), index_bits(c.rows)
    k, l = c.banks
    rng = np.random.default_rng(c.seed + 1)
    m = "".join(f"{int(v):04x}" for v in rng.integers(1, 1 << 14, size=c.rows))
    b = "".join(f"{int(v):08x}" for v in rng.integers(0, 1 << 20, size=c.rows))
    ch = sum(r << (r * cw) for r in range(c.rows))
    return f"""`default_nettype none
module unit_top (
    input wire logic clk, input wire logic rst_n, input wire logic vec_valid,
    input wire logic vec_slot, output logic vec_take,
    input wire logic buf_we, input wire logic buf_slot, input wire logic [{index_bits(l) - 1}:0] buf_row,
    input wire logic [{k * c.simd * c.act_bits - 1}:0] buf_data,
    input wire logic [3:0] bank_busy, output logic res_valid, output logic [{cw - 1}:0] res_ch,
    output logic [{c.out_bits - 1}:0] res_data, output logic [1:0] res_bank, output logic res_end);
    tri_pe #(.S({c.simd}), .A({c.act_bits}), .IN_SIGNED(1'b1), .TERNARY(1'b{int(c.ternary)}),
             .WB({c.weight_bits}), .K({k}), .KB({index_bits(k)}), .LB({index_bits(l)}), .FIRST_ROW(0),
             .NWORDS({c.words}), .NROWS({c.rows}),
             .RW({rw}), .ACC({c.acc_bits}), .CW({cw}), .NB(4), .BKW(2), .O({c.out_bits}),
             .MW(16), .BW(32), .SH(12), .LO(64'sd0), .HI(64'sd{(1 << c.out_bits) - 1}),
             .ROW_M({c.rows * 16}'h{m}), .ROW_B({c.rows * 32}'h{b}), .ROW_CH({c.rows * cw}'d{ch}),
             .ROM_FILE("rom/pe.hex")) u_pe (.*);
endmodule
`default_nettype wire
"""


def synth_pe(c: PeConfig, family: Family, nodsp: bool = False) -> dict:
    """Synthesize one PE: {"pe": counts, "requant": counts, "lanes": pe - requant, ...}."""
    work = Path(tempfile.mkdtemp(prefix="tritium-unit-"))
    try:
        (work / yosys.SRC_DIR).mkdir()
        (work / "rom").mkdir()
        for name in PE_SOURCES:
            shutil.copyfile(LIB / name, work / yosys.SRC_DIR / name)
        (work / yosys.SRC_DIR / "unit_top.sv").write_text(pe_wrapper(c))
        (work / "rom" / "pe.hex").write_text("\n".join(pe_program(c)) + "\n")
        sources = [f"{yosys.SRC_DIR}/{n}" for n in (*PE_SOURCES, "unit_top.sv")]
        run = yosys.run(yosys.Job(work, sources, "unit_top", family, nodsp=nodsp))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    totals = module_totals(run.stat, family)
    pe = totals["unit_top"]
    rq = next((v for k, v in totals.items() if "tri_requant" in k), Counts())
    lanes = Counts(**{k: v - getattr(rq, k) for k, v in pe.as_dict().items()})
    return {"config": asdict(c), "family": family.value, "nodsp": nodsp, "yosys": run.version,
            "seconds": round(run.seconds, 1), "pe": pe.as_dict(), "requant": rq.as_dict(),
            "lanes": lanes.as_dict(), "modules": sorted(totals)}


def lane_comparison(family: Family, simd: int = 16, act_bits: int = 8, acc_bits: int = 24,
                    words: int = 16) -> dict:
    """Ternary add-only PE lanes vs LUT-only int8 multiplier lanes (requantizer excluded)."""
    common = dict(simd=simd, act_bits=act_bits, acc_bits=acc_bits, words=words)
    tern = synth_pe(PeConfig(ternary=True, weight_bits=2, **common), family)
    int8 = synth_pe(PeConfig(ternary=False, weight_bits=8, **common), family, nodsp=True)
    t, i = tern["lanes"], int8["lanes"]
    return {"family": family.value, "simd": simd, "act_bits": act_bits, "acc_bits": acc_bits,
            "unit": "tri_pe.sv without its requantizer (lanes, accumulator, program ROM, control)",
            "ternary": t, "int8": i, "int8_nodsp": True,
            "ternary_vs_int8_lut_ratio": round(i["lut"] / max(t["lut"], 1), 2),
            "seconds": round(tern["seconds"] + int8["seconds"], 1)}


# ---------------------------------------------------------------- other blocks

def _rand_bits(bits: int, rng: np.random.Generator) -> str:
    """A random `bits`-wide SV literal."""
    v = int.from_bytes(rng.bytes(-(-bits // 8)), "little") & ((1 << bits) - 1)
    return f"{bits}'h{v:x}"


def _sum_bits(act_bits: int, terms: int) -> int:
    """Signed width of a sum of `terms` (A+1)-bit signed values."""
    return act_bits + 1 + (terms - 1).bit_length()


_BW = 20   # bias width of the calibration's requantizers


def _in_bits(kind: str, c: dict) -> int:
    """Input width of a block's requantizers (tri_pool/tri_gap: the sum; else A + 1)."""
    if kind in ("pool_max", "pool_avg"):
        return _sum_bits(c["a"], c["kt"])
    if kind == "gap":
        return _sum_bits(c["a"], c["npix"])
    return c.get("a", 8) + 1


def _shift(in_bits: int, kept: int) -> int:
    """The shift that leaves `kept` bits of the requantizer's sum (requant_kept_bits)."""
    from ..schedule.cost import requant_kept_bits
    return requant_kept_bits(in_bits, _BW, 0) - kept


@dataclass(frozen=True)
class Block:
    """A library block synthesized as its own top: `fields` name its config."""

    kind: str
    top: str
    files: tuple[str, ...]
    fields: tuple[str, ...]

    def key(self, cfg: dict) -> str:
        return self.kind + "_" + "_".join(f"{k}{cfg[k]}" for k in self.fields)

    def params(self, cfg: dict, seed: int = 0) -> dict[str, int | str]:
        rng = np.random.default_rng(seed)
        c = cfg
        if self.kind == "collector":
            piw, cw = index_bits(c["p"]), index_bits(c["m"])
            owner = sum((ch % c["p"]) << (ch * piw) for ch in range(c["m"]))
            return {"NP": c["p"], "M": c["m"], "O": c["o"], "CW": cw, "NB": c["nb"],
                    "BKW": index_bits(c["nb"]),
                    "PIW": piw, "OWNER": f"{c['m'] * piw}'h{owner:x}",
                    "INIT": _rand_bits(c["m"] * c["o"], rng)}
        if self.kind == "fifo":
            return {"W": c["w"], "DEPTH": c["depth"]}
        if self.kind == "feeder":
            from ..schedule.cost import input_buffer_banks
            k, l = input_buffer_banks(c["n"], c["cpp"])
            return {"NP": c["p"], "SW": c["sa"], "NSLICE": c["n"], "K": k, "L": l, "LB": index_bits(l)}
        if self.kind == "gather":
            return {"N": c["n"], "PW": c["pw"]}
        if self.kind == "window":
            g = window_geometry(c)
            return {"H": c["h"], "W": c["w"], "C": c["c"], "A": c["a"], "KH": c["kh"], "KW": c["kw"],
                    "SY": c["s"], "SX": c["s"], "PT": c["p"], "PL": c["p"], "HO": g["ho"],
                    "WO": g["wo"], "R": g["rows"], "PAD": f"{c['a']}'h0"}
        # A requantizer's shift leaves `k` bits of its sum for the clamp (requant_kept_bits).
        tables = {"MW": 16, "BW": _BW, "SH": _shift(_in_bits(self.kind, c), c.get("k", 12)),
                  "O": 8, "LO": "-64'sd128", "HI": "64'sd127",
                  "CH_M": _rand_bits(c.get("c", 1) * 16, rng),
                  "CH_B": _rand_bits(c.get("c", 1) * _BW, rng)}
        if self.kind in ("pool_max", "pool_avg"):
            return {"KT": c["kt"], "C": c["c"], "A": c["a"], "MAX": f"1'b{int(self.kind == 'pool_max')}",
                    "SUMW": _sum_bits(c["a"], c["kt"]), **tables}
        if self.kind == "gap":
            return {"C": c["c"], "A": c["a"], "NPIX": c["npix"],
                    "SUMW": _sum_bits(c["a"], c["npix"]), **tables}
        if self.kind == "requant":
            return {"C": c["c"], "A": c["a"], **tables}
        if self.kind == "add":
            ma, mb = add_mults(c)
            return {"C": c["c"], "AA": c["a"], "AB": c["a"], "O": 8, "MA": _sv_int(ma),
                    "MB": _sv_int(mb), "B": "64'sd8192", "SH": 14, "LO": "-64'sd128",
                    "HI": "64'sd127"}
        if self.kind == "axis_out":
            return {"C": c["c"], "O": c["o"], "SIGNED": "1'b1", "TW": -(-c["o"] // 8) * 8,
                    "NPIX": c["npix"]}
        raise KeyError(self.kind)

    def formula(self, cfg: dict, family: Family, calibrated: bool = False):
        """The cost model's formula for this block (calibrated: through its fitted line)."""
        from ..schedule import cost
        c = cfg
        if self.kind == "fifo":
            r = cost.fifo_formula(c["w"], c["depth"], family)
        elif self.kind == "feeder":
            r = cost.feeder(feeder_shape(c), c["p"], c["cpp"], family)
        elif self.kind == "gather":
            r = cost.gather_formula(c["n"], c["pw"], family)
        elif self.kind == "window":
            r = cost.window_formula(c["w"], c["c"], c["a"], (c["kh"], c["kw"]),
                                    window_geometry(c)["rows"], family)
        elif self.kind == "collector":
            r = cost.collector_formula(c["p"], c["m"], c["o"], family, c["nb"])
        elif self.kind in ("pool_max", "pool_avg"):
            r = cost.pool_formula(c["c"], c["kt"], c["a"], _sum_bits(c["a"], c["kt"]), 8,
                                  self.kind == "pool_avg", family, c.get("k", 0))
        elif self.kind == "gap":
            r = cost.gap_formula(c["c"], _sum_bits(c["a"], c["npix"]), 8, family, c["k"])
        elif self.kind == "requant":
            r = cost.requant_formula(c["c"], c["a"], 8, family, c["k"])
        elif self.kind == "axis_out":
            r = cost.axis_out_formula(c["c"], c["o"], c["npix"], family)
        else:
            r = cost.add_formula(c["c"], c["a"], 8, family, c["g"])
        return cost.calibrated(self.kind, r, family) if calibrated else r


def add_mults(c: dict) -> tuple[int, int]:
    """An add config's constant multipliers: `g` of them general products, the others
    2**14 (operands sharing a scale)."""
    general = (12345, -9876)
    return tuple(general[i] if i < c["g"] else 1 << 14 for i in range(2))


def _sv_int(v: int) -> str:
    return f"-64'sd{-v}" if v < 0 else f"64'sd{v}"


def feeder_shape(c: dict):
    """The MacShape a feeder config stands for: `n` words of `sa` bits (S = sa / 8, A = 8)."""
    from ..schedule.cost import MacShape
    return MacShape(simd=c["sa"] // 8, act_bits=8, out_bits=8, acc_bits=16, weight_bits=2,
                    ternary=True, in_words=c["n"], rows=1, in_shape=(1, 1, 1), kernel=(1, 1),
                    window_rows=0)


def window_geometry(c: dict) -> dict[str, int]:
    """Output size and row memories of a window config (stride `s`, padding `p` on
    every side), as the compiler sizes them (tritium.schedule.model.window_rows)."""
    from ..schedule.model import window_rows
    ho = (c["h"] + 2 * c["p"] - c["kh"]) // c["s"] + 1
    wo = (c["w"] + 2 * c["p"] - c["kw"]) // c["s"] + 1
    rows = window_rows(c["h"], c["w"], (c["kh"], c["kw"]), (c["s"], c["s"]), (c["p"],) * 4, ho, wo)
    return {"ho": ho, "wo": wo, "rows": rows}


_RQ = "tri_requant.sv"
BLOCKS = {b.kind: b for b in (
    Block("window", "tri_window", ("tri_window.sv",), ("h", "w", "c", "a", "kh", "kw", "s", "p")),
    Block("fifo", "tri_fifo", ("tri_fifo.sv",), ("w", "depth")),
    Block("feeder", "tri_feeder", ("tri_feeder.sv",), ("p", "sa", "n", "cpp")),
    Block("gather", "tri_gather", ("tri_gather.sv",), ("n", "pw")),
    Block("collector", "tri_collector", ("tri_collector.sv",), ("p", "m", "o", "nb")),
    Block("pool_max", "tri_pool", (_RQ, "tri_pool.sv"), ("kt", "c", "a")),
    Block("pool_avg", "tri_pool", (_RQ, "tri_pool.sv"), ("kt", "c", "a", "k")),
    Block("gap", "tri_gap", (_RQ, "tri_gap.sv"), ("c", "a", "npix", "k")),
    Block("add", "tri_add", (_RQ, "tri_add.sv"), ("c", "a", "g")),
    Block("axis_out", "tri_axis_out", ("tri_axis_out.sv",), ("c", "o", "npix")),
    Block("requant", "tri_requant_stream", (_RQ, "tri_requant_stream.sv"), ("c", "a", "k")),
)}


def synth_block(kind: str, cfg: dict, family: Family) -> dict:
    """Synthesize library block `kind` with config `cfg`: {"counts", "yosys", "seconds"}."""
    b = BLOCKS[kind]
    work = Path(tempfile.mkdtemp(prefix="tritium-unit-"))
    try:
        (work / yosys.SRC_DIR).mkdir()
        for name in b.files:
            shutil.copyfile(LIB / name, work / yosys.SRC_DIR / name)
        # Flattened below its top, as an engine of a whole design is (design.py): the
        # constants of its requantizer tables reach their logic.
        run = yosys.run(yosys.Job(work, [f"{yosys.SRC_DIR}/{n}" for n in b.files], b.top, family,
                                  params=b.params(cfg), keep="top"))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    counts = module_totals(run.stat, family)[b.top]
    return {"counts": counts.as_dict(), "yosys": run.version, "seconds": round(run.seconds, 1)}
