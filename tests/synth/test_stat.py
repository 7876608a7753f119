"""`stat -json` parsing per family (compiler/synth/stat.py)."""
import json
from pathlib import Path

import pytest

from tritium.board import Family
from tritium.errors import ToolError
from tritium.synth.stat import Counts, counts_of, design_total, module_totals, yosys_version

FIXTURE = json.loads((Path(__file__).parent / "stat_pe_xc7.json").read_text())


def test_hierarchical_totals_add_submodules():
    t = module_totals(FIXTURE, Family.XC7)
    assert t["tri_requant$unit_top.u_pe.u_rq"] == Counts(lut=18, carry=2, dsp=1)
    # 116 logic LUTs + 2 RAM64X1D (2 LUTs each) + the requantizer's 18
    assert t["tri_pe$unit_top.u_pe"] == Counts(lut=138, ff=76, carry=19, dsp=1)
    assert design_total(FIXTURE, Family.XC7, "unit_top") == t["tri_pe$unit_top.u_pe"]


def test_ecp5_counts_ccu2c_as_two_lut4():
    c = counts_of({"LUT4": 100, "CCU2C": 10, "TRELLIS_FF": 7, "MULT18X18D": 2, "DP16KD": 3,
                   "PFUMX": 5}, Family.ECP5)
    assert c == Counts(lut=120, ff=7, carry=10, dsp=2, bram18=3)


def test_xilinx_brams_in_18k_units():
    c = counts_of({"RAMB36E2": 2, "RAMB18E2": 1, "URAM288": 1, "DSP48E2": 4}, Family.XCUP)
    assert (c.bram18, c.uram, c.dsp) == (5, 1, 4)


def test_missing_top_and_bad_document_are_tool_errors():
    with pytest.raises(ToolError, match="top module 'nope'"):
        design_total(FIXTURE, Family.XC7, "nope")
    with pytest.raises(ToolError, match="stat -json"):
        module_totals({"design": {}}, Family.XC7)


def test_version_from_log_banner():
    assert yosys_version("\n Yosys 0.70 (git sha1 28ba3cb92, Release)\n") == "0.70"
