"""`tritium build`: place and route with nextpnr-ecp5 (tritium.synth.pnr).

The live cases place and route a small generated network (yosys about 5 to 20 s,
nextpnr about 20 to 30 s here): out of context, with the board wrapper to a bitstream, and at
a clock it misses. The rest pins the parsing of nextpnr's report and the user errors.
"""
from __future__ import annotations

import json

import pytest

from tritium.cli import main
from tritium.errors import BoardError
from tritium.synth import pnr


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    """A 3-layer generated network (about 2,400 LUT4) compiled for the ULX3S."""
    import tritium
    from tritium.zoo.random_net import random_graph
    out = tmp_path_factory.mktemp("build") / "d"
    tritium.compile(random_graph(3), board="ulx3s", simd=4, backend="rtl", outdir=out)
    return out


def test_out_of_context_build_reports_fmax_path_and_utilisation(small):
    doc = pnr.build_outdir(small, out_of_context=True)
    t = doc["timing"]
    assert doc["schema_version"] == "1.0" and doc["out_of_context"] and doc["bitstream"] is None
    assert t["clock"] == "ap_clk" and t["target_mhz"] == 50.0 and t["fmax_mhz"] > 0
    assert t["met"] == (t["fmax_mhz"] >= 50.0)
    names = set(json.loads((small / "rtl" / "meta.json").read_text())["engine_names"].values())
    path = t["critical_path"]
    assert path["delay_ns"] > 0 and 0 < path["routing_fraction"] < 1
    assert {path["from_engine"], path["to_engine"]} <= names | {"out_stream", None}
    u = doc["utilisation"]
    assert 0 < u["lut4"]["used"] < u["lut4"]["available"] == 83640 and u["io"]["used"] == 0
    assert json.loads((small / "build.json").read_text()) == doc
    assert (small / "build.log").stat().st_size > 0 and not (small / "bitstream").exists()
    report = json.loads((small / "report.json").read_text())
    section = report["timing"]
    assert report["schema_version"] == "1.2" and section["fmax_mhz"] == t["fmax_mhz"]
    assert section["fps_at_fmax"] == pytest.approx(
        section["fps_at_target"] * min(1.0, t["fmax_mhz"] / 50.0), rel=1e-3)
    assert "Place and route" in (small / "report.html").read_text()
    assert not list(small.glob(".build-*"))


def _profile(tmp_path, clock_mhz: float) -> str:
    """The ULX3S profile at another clock, as a user's own board YAML."""
    import yaml
    from tritium.board import BOARDS_DIR
    d = yaml.safe_load((BOARDS_DIR / "ulx3s.yaml").read_text())
    d["name"], d["clock_mhz"] = f"ulx3s-{clock_mhz:g}", clock_mhz
    d["pnr"]["lpf"] = str(BOARDS_DIR / "ulx3s.lpf")
    path = tmp_path / f"ulx3s-{clock_mhz:g}.yaml"
    path.write_text(yaml.safe_dump(d))
    return str(path)


def test_board_build_writes_a_bitstream(tmp_path):
    """The wrapper's board top (PLL, UART, pins of ulx3s.lpf) to a .bit, at 40 MHz (the small
    net's requantizer path closes near 50 MHz; issue 14's Fmax work is its own test)."""
    import tritium
    from tritium.zoo.random_net import random_graph
    out = tmp_path / "d"
    tritium.compile(random_graph(3), board=_profile(tmp_path, 40), simd=4, backend="rtl", outdir=out)
    assert main(["build", str(out)]) == 0
    doc = json.loads((out / "build.json").read_text())
    assert doc["top"] == "tritium_board" and doc["bitstream"] == "bitstream/tritium_board.bit"
    assert doc["timing"]["met"] and doc["timing"]["target_mhz"] == 40.0
    assert doc["utilisation"]["pll"]["used"] == 1 and doc["utilisation"]["io"]["used"] == 11
    bit = (out / doc["bitstream"]).read_bytes()
    # ecppack's header comment names the part, then the ECP5 preamble 0xBDB3
    assert bit.startswith(b"\xff\x00Part: LFE5U-85F-6CABGA381\x00\xff")
    assert bytes([0xFF, 0xFF, 0xBD, 0xB3]) in bit[:64] and len(bit) > 100_000
    assert doc["timing"]["critical_path"]["from_engine"] is not None


def test_a_missed_clock_is_one_line_and_no_bitstream(tmp_path, capsys):
    import tritium
    from tritium.zoo.random_net import random_graph
    out = tmp_path / "d"
    tritium.compile(random_graph(3), board=_profile(tmp_path, 150), simd=4, backend="rtl", outdir=out)
    assert main(["build", str(out)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("tritium build: error: timing: Fmax ")
    assert "below the board's 150 MHz; critical path" in err[0]
    assert not (out / "bitstream").exists() and not list(out.glob(".build-*"))
    report = json.loads((out / "report.json").read_text())
    assert not report["timing"]["met"] and report["timing"]["fps_at_fmax"] < report["timing"]["fps_at_target"]


def test_build_needs_the_board_top_for_a_bitstream(small, tmp_path, capsys):
    import shutil
    bare = tmp_path / "bare"
    shutil.copytree(small, bare)
    shutil.rmtree(bare / "rtl" / "board")
    assert main(["build", str(bare)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "no board top" in err[0] and "--out-of-context" in err[0]
    (bare / "rtl" / "board").mkdir()
    (bare / "rtl" / "board" / "board.json").write_text("{\"top\": 1")
    assert main(["build", str(bare)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "board.json is unreadable" in err[0]
    assert not list(bare.glob(".build-*")) and not (bare / "bitstream").exists()


def test_build_refuses_boards_it_cannot_place(tmp_path):
    import tritium
    from tritium.zoo.random_net import random_graph
    out = tmp_path / "x"
    tritium.compile(random_graph(3), board="pynq-z2", simd=4, backend="rtl", outdir=out)
    with pytest.raises(BoardError, match=r"ECP5 boards .* pynq-z2 \(xc7\).*tritium synth"):
        pnr.build_outdir(out)
    assert main(["build", str(tmp_path / "missing")]) == 2


REPORT = {
    "fmax": {"clk_25mhz": {"achieved": 180.0, "constraint": 25.0},
             "u_pll.clkop": {"achieved": 41.5, "constraint": 50.0}},
    "critical_paths": [
        {"from": "posedge clk_25mhz", "to": "posedge clk_25mhz",
         "path": [{"type": "clk-to-q", "delay": 0.5, "from": {"cell": "rst_q"}, "to": {"cell": "rst_q"}}]},
        {"from": "posedge u_pll.clkop", "to": "posedge u_pll.clkop",
         "path": [{"type": "clk-to-q", "delay": 0.5,
                   "from": {"cell": "u_net.u_fc1.u_pe0.acc_TRELLIS_FF_Q"}, "to": {"cell": "x"}},
                  {"type": "routing", "delay": 15.0, "from": {"cell": "x"}, "to": {"cell": "y"}},
                  {"type": "logic", "delay": 8.5, "from": {"cell": "y"},
                   "to": {"cell": "u_net.u_q_fc2_in0.mem_DPR16X4"}}]}],
    "utilization": {"TRELLIS_COMB": {"used": 100, "available": 83640},
                    "DCUA": {"used": 0, "available": 2}}}


def test_timing_is_the_design_clock_and_names_its_engines():
    t = pnr.timing_of(REPORT, 50.0, {"fc1": "fc1", "fc2": "fc2"})
    assert t["clock"] == "u_pll.clkop" and t["fmax_mhz"] == 41.5 and not t["met"]
    p = t["critical_path"]
    assert (p["from_engine"], p["to_engine"]) == ("fc1", "fc2")
    assert p["delay_ns"] == 24.0 and p["routing_fraction"] == 0.625
    assert pnr.path_words(t) == "critical path fc1 -> fc2, 24.0 ns, 62% of it routing"
    assert pnr.utilisation_of(REPORT) == {"lut4": {"used": 100, "available": 83640}}
    section = {**t, "fps_at_target": 1000.0, "fps_at_fmax": 830.0}
    assert pnr.timing_message(section).startswith(
        "Fmax 41.5 MHz after place and route is below the board's 50 MHz: 830 fps, not 1,000")


@pytest.mark.parametrize("log,words", [
    ("Info: x\nERROR: Unable to place cell 'u_fc1.mult', no BELs remaining", "does not fit"),
    ("ERROR: Design utilisation exceeds the device", "does not fit"),
    ("ERROR: Failed to route net 'n1' after 500 iterations", "could not be routed"),
    ("Info: fine", "failed without an ERROR line"),
])
def test_failures_are_named(log, words):
    assert words in pnr.failure_reason(log)
