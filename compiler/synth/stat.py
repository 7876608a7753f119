"""Yosys `stat -json` into LUT / FF / CARRY / DSP / BRAM18 / URAM counts per family.

`synth_xilinx` (xc7, xcup) and `synth_ecp5` leave technology cells whose names
say what they are. How each counts (shared/research/hwtools.md §4):

- xc7 / xcup: `lut` = LUT1..LUT6 plus the LUT6s that LUT RAMs and SRLs occupy
  (RAM64X1D = 2, RAM32M/RAM64M = 4, ...); `ff` = FDRE/FDSE/FDCE/FDPE (+ latches);
  `carry` = CARRY4 + CARRY8 (yosys maps xcup chains to CARRY4 too); `dsp` =
  DSP48E1/DSP48E2; `bram18` = RAMB18 + 2 x RAMB36; `uram` = URAM288.
- ecp5: `lut` = LUT4 + 2 x CCU2C (a CCU2C is two LUT4s with their carry) + the
  LUT4s a TRELLIS_DPR16X4 occupies (4); `ff` = TRELLIS_FF; `carry` = CCU2C;
  `dsp` = MULT18X18D (+ ALU54B); `bram18` = DP16KD (one 18 Kb EBR).

Module totals are hierarchical: a module counts its own cells plus, for every
instance of another module of the design, that module's total.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, fields

from ..board import Family
from ..errors import ToolError

_XILINX_LUTRAM = {"RAM32X1S": 1, "RAM64X1S": 1, "RAM32X1D": 2, "RAM64X1D": 2, "RAM128X1S": 2,
                  "RAM128X1D": 4, "RAM256X1S": 4, "RAM256X1D": 8, "RAM512X1S": 8,
                  "RAM32M": 4, "RAM64M": 4, "RAM32M16": 8, "RAM64M8": 8,
                  "SRL16E": 1, "SRLC16E": 1, "SRLC32E": 1}
_XILINX = {"lut": {**{f"LUT{i}": 1 for i in range(1, 7)}, **_XILINX_LUTRAM},
           "ff": {"FDRE": 1, "FDSE": 1, "FDCE": 1, "FDPE": 1, "LDCE": 1, "LDPE": 1},
           "carry": {"CARRY4": 1, "CARRY8": 1},
           "dsp": {"DSP48E1": 1, "DSP48E2": 1},
           "bram18": {"RAMB18E1": 1, "RAMB18E2": 1, "RAMB36E1": 2, "RAMB36E2": 2},
           "uram": {"URAM288": 1}}
_ECP5 = {"lut": {"LUT4": 1, "CCU2C": 2, "TRELLIS_DPR16X4": 4},
         "ff": {"TRELLIS_FF": 1},
         "carry": {"CCU2C": 1},
         "dsp": {"MULT18X18D": 1, "ALU54B": 1},
         "bram18": {"DP16KD": 1, "PDPW16KD": 1},
         "uram": {}}
WEIGHTS = {Family.XC7: _XILINX, Family.XCUP: _XILINX, Family.ECP5: _ECP5}


@dataclass(frozen=True)
class Counts:
    """Synthesized resources of one module (or a whole design)."""

    lut: int = 0
    ff: int = 0
    carry: int = 0
    dsp: int = 0
    bram18: int = 0
    uram: int = 0

    def as_dict(self) -> dict[str, int]:
        return {f.name: getattr(self, f.name) for f in fields(self)}

    def __add__(self, other: "Counts") -> "Counts":
        return Counts(*(getattr(self, f.name) + getattr(other, f.name) for f in fields(self)))

    def times(self, n: int) -> "Counts":
        return Counts(*(getattr(self, f.name) * n for f in fields(self)))


def counts_of(cells: dict[str, int], family: Family) -> Counts:
    """Counts of a `num_cells_by_type` dict (cell types Tritium does not count are ignored)."""
    w = WEIGHTS[family]
    return Counts(**{res: sum(n * w[res].get(kind, 0) for kind, n in cells.items()) for res in w})


def module_totals(stat: dict, family: Family) -> dict[str, Counts]:
    """Hierarchical counts of every module in a `stat -json` document."""
    try:
        modules = {clean_name(name): {clean_name(k): n for k, n in m["num_cells_by_type"].items()}
                   for name, m in stat["modules"].items()}
    except (KeyError, TypeError, AttributeError):
        raise ToolError("yosys `stat -json` output has no per-module cell counts; "
                        "is this the JSON written by `tee -o FILE stat -json`?") from None
    done: dict[str, Counts] = {}

    def total(name: str) -> Counts:
        if name not in done:
            cells = modules[name]
            own = counts_of(cells, family)
            for kind, n in cells.items():
                if kind in modules:
                    own = own + total(kind).times(n)
            done[name] = own
        return done[name]

    return {n: total(n) for n in modules}


def clean_name(name: str) -> str:
    """`\\conv1_engine` -> `conv1_engine`; parametrized names stay as yosys gives them."""
    return name[1:] if name.startswith("\\") else name


def design_total(stat: dict, family: Family, top: str) -> Counts:
    """Total of the design below `top`."""
    totals = module_totals(stat, family)
    if top not in totals:
        raise ToolError(f"top module {top!r} is not in the yosys statistics "
                        f"(modules: {', '.join(sorted(totals)[:8])})")
    return totals[top]


def yosys_version(log: str) -> str:
    """`0.70` from the banner of a yosys log ('' if absent)."""
    m = re.search(r"Yosys (\d+\.\d+[^ ]*)", log)
    return m.group(1) if m else ""
