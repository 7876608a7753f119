"""Library blocks synthesized alone: one PE (`tri_pe.sv`) with a random program.

The unit is the project's own `hls_templates/lib/rtl/tri_pe.sv`, wrapped in a
top module whose ports are the PE's. Its program ROM holds `words` random words
(random ternary codes, or random int8 weights) so that yosys cannot fold the
lanes into constants. Synthesis keeps the hierarchy, so the PE's requantizer
(`tri_requant`, a submodule) is counted apart: `lanes` = PE total - requantizer.

`lane_comparison` puts an add-only ternary lane bank beside a LUT-only int8
multiplier lane bank (same S, same activation width and accumulator; int8
synthesized with -nodsp so every multiplier is built from LUTs).
"""
from __future__ import annotations

import shutil
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from ..board import Family
from . import yosys
from .stat import Counts, module_totals

LIB = Path(__file__).resolve().parents[2] / "hls_templates" / "lib" / "rtl"
PE_SOURCES = ("tri_requant.sv", "tri_pe.sv")


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

    def key(self) -> str:
        kind = "t" if self.ternary else f"i{self.weight_bits}"
        return (f"pe_{kind}_s{self.simd}_a{self.act_bits}_acc{self.acc_bits}_w{self.words}"
                f"_r{self.rows}")


def _clog2(n: int) -> int:
    return max(1, (n - 1).bit_length())


def pe_program(c: PeConfig) -> list[str]:
    """Random ROM words (hex), rows split evenly over the words, first/last flags set."""
    rng = np.random.default_rng(c.seed)
    rw = _clog2(c.rows)
    out = []
    per_row = max(1, c.words // c.rows)
    for i in range(c.words):
        if c.ternary:
            lanes = rng.choice([0, 1, 3], size=c.simd)
        else:
            lanes = rng.integers(0, 1 << c.weight_bits, size=c.simd)
        word = 0
        for l, v in enumerate(lanes):
            word |= int(v) << (l * c.weight_bits)
        pos = c.simd * c.weight_bits + 1             # slice field is 1 bit (one slice)
        row = min(i // per_row, c.rows - 1)
        first = i % per_row == 0
        last = (i % per_row == per_row - 1) or i == c.words - 1
        word |= (int(first) << pos) | (int(last) << (pos + 1)) | (row << (pos + 2))
        width = c.simd * c.weight_bits + 1 + 2 + rw
        out.append(f"{word:0{-(-width // 4)}x}")
    return out


def pe_wrapper(c: PeConfig) -> str:
    rw, cw = _clog2(c.rows), _clog2(c.rows)
    rng = np.random.default_rng(c.seed + 1)
    m = "".join(f"{int(v):04x}" for v in rng.integers(1, 1 << 14, size=c.rows))
    b = "".join(f"{int(v):08x}" for v in rng.integers(0, 1 << 20, size=c.rows))
    ch = sum(r << (r * cw) for r in range(c.rows))
    return f"""`default_nettype none
module unit_top (
    input wire logic clk, input wire logic rst_n, input wire logic vec_valid,
    input wire logic [{c.simd * c.act_bits - 1}:0] vec_data, output logic vec_take,
    input wire logic [3:0] bank_busy, output logic res_valid, output logic [{cw - 1}:0] res_ch,
    output logic [{c.out_bits - 1}:0] res_data, output logic [1:0] res_bank, output logic res_end);
    tri_pe #(.S({c.simd}), .A({c.act_bits}), .IN_SIGNED(1'b1), .TERNARY(1'b{int(c.ternary)}),
             .WB({c.weight_bits}), .NSLICE(1), .SW(1), .NWORDS({c.words}), .NROWS({c.rows}),
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
