"""The HLS generator: project layout, determinism, hostile names, user errors."""
from __future__ import annotations

import dataclasses
import subprocess

import numpy as np
import pytest

from tritium.board import load_board
from tritium.codegen.hls import generate_hls
from tritium.codegen.plan import write_plan
from tritium.errors import BoardError, ModelError
from tritium.ir.graph import Graph
from tritium.passes import lower
from tritium.schedule import schedule_network
from tritium.zoo.random_net import random_graph
from tritium.sim.csim import run_csim
from tritium.sim.vectors import make_vectors

BOARD = load_board("pynq-z2")
HOSTILE = ['conv "1"', "a b", "x;y", "#define X", "int", "module", "proc", "return", "in_stream",
           "net", "st_conv", "ap_clk", "foo_r", "", "ñandú", "1abc", "Conv", "conv", "endmodule",
           "set", "`timescale", "$display", "*/ oops /*", "a\nb", "{puts}", "[exec rm]"]


@pytest.fixture(autouse=True)
def _cache(tmp_path_factory, monkeypatch):
    monkeypatch.setenv("TRITIUM_CACHE", str(tmp_path_factory.getbasetemp() / "cache"))


def project(g, n=32, seed=0):
    s = schedule_network(g, BOARD)
    v = make_vectors(g, np.random.default_rng(seed).normal(0, 1.5, (n,) + g.input.shape))
    return generate_hls(g, s, part=BOARD.part, clock_mhz=BOARD.clock_mhz, vectors=v), v, s


def renamed(g: Graph, names: list[str], graph_name: str) -> Graph:
    new = {n.name: names[i % len(names)] + ("" if i < len(names) else f" {i}") for i, n in enumerate(g.nodes)}
    nodes = [dataclasses.replace(n, name=new[n.name], inputs=tuple(new[i] for i in n.inputs)) for n in g.nodes]
    return Graph(graph_name, tuple(nodes), new[g.output], g.stage)


def test_plan_layout():
    plan, _, _ = project(lower(random_graph(5)))
    top = "random5"
    for path in (f"hls/src/{top}.cpp", f"hls/src/{top}.h", f"hls/src/{top}_params.h", f"hls/tb/{top}_tb.cpp",
                 "hls/run_hls.tcl", "hls/hls_config.cfg", "hls/Makefile", "hls/README.md",
                 "hls/lib/tritium.h", "hls/lib/tritium_types.h", "hls/tritium_hls.json"):
        assert path in plan
    assert all(p.startswith("hls/") for p in plan)
    cpp = plan[f"hls/src/{top}.cpp"]
    assert f"void {top}(hls::stream<axis_in_t>& in_stream, hls::stream<axis_out_t>& out_stream)" in cpp
    for pragma in ("#pragma HLS INTERFACE mode=axis port=in_stream",
                   "#pragma HLS INTERFACE mode=axis port=out_stream",
                   "#pragma HLS INTERFACE mode=ap_ctrl_none port=return", "#pragma HLS DATAFLOW"):
        assert pragma in cpp
    tcl = plan["hls/run_hls.tcl"]
    for cmd in ("csim_design", "csynth_design", "cosim_design", "export_design", f"set part {BOARD.part}"):
        assert cmd in tcl
    assert f"part={BOARD.part}" in plan["hls/hls_config.cfg"] and "syn.top=random5" in plan["hls/hls_config.cfg"]


def test_one_engine_per_layer_and_programs_from_the_schedule():
    g = lower(random_graph(13))
    plan, _, s = project(g)
    params = plan["hls/src/random13_params.h"]
    for layer in s.layers:
        assert f"static const int P = {layer.pe};" in params
    engines = [n for n in g.nodes[1:] if not (n.op.value == "flatten" and len(g.node(n.inputs[0]).shape) == 1)]
    assert plan["hls/src/random13.cpp"].count("net::cfg_") - 2 == sum(
        n.op.value != "flatten" for n in engines)


def test_two_generations_are_byte_identical(tmp_path):
    g = lower(random_graph(17))
    a, va, _ = project(g)
    b, vb, _ = project(lower(random_graph(17)))
    assert a == b
    write_plan({**a, **va.files()}, tmp_path / "one")
    write_plan({**b, **vb.files()}, tmp_path / "two")
    files = lambda d: {p.relative_to(d): p.read_bytes() for p in sorted(d.rglob("*")) if p.is_file()}
    assert files(tmp_path / "one") == files(tmp_path / "two")


def test_hostile_names_compile_cleanly_and_stay_exact():
    g = renamed(lower(random_graph(6)), HOSTILE, 'my "model"; #1 module')
    plan, v, _ = project(g)
    sources = "".join(t for p, t in plan.items() if p.startswith(("hls/src/", "hls/tb/", "hls/run_hls", "hls/hls_config", "hls/Makefile")))
    for bad in ('conv "1"', '"1"', "x;y", "#define X", "ñ", "`timescale", "$display", "[exec", "*/ oops"):
        assert bad not in sources
    r = run_csim(plan, v)        # built with -std=c++17 -Wall -Wextra -Werror
    assert r.mismatches == 0


def test_makefile_builds_with_werror(tmp_path):
    plan, v, _ = project(lower(random_graph(4)), n=8)
    write_plan({**plan, **v.files()}, tmp_path)
    make = subprocess.run(["make", "-C", str(tmp_path / "hls"), "csim"], capture_output=True, text=True)
    assert make.returncode == 0, make.stdout + make.stderr
    assert "-Wall -Wextra -Werror" in make.stdout and "0 mismatches" in make.stdout


def test_bad_part_and_float_graph_are_user_errors():
    g = lower(random_graph(3))
    s = schedule_network(g, BOARD)
    with pytest.raises(BoardError, match="part"):
        generate_hls(g, s, part="xc7z020; exec rm", clock_mhz=100)
    with pytest.raises(ModelError, match="lower"):
        generate_hls(random_graph(3), s, part=BOARD.part, clock_mhz=100)
    other = schedule_network(lower(random_graph(4)), BOARD)
    with pytest.raises(ModelError, match="schedule"):
        generate_hls(g, other, part=BOARD.part, clock_mhz=100)
