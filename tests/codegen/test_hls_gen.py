"""The HLS generator: project layout, determinism, hostile names, user errors."""
from __future__ import annotations

import dataclasses
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from tritium.board import load_board
from tritium.codegen.hls import LIB_DIR, generate_hls
from tritium.codegen.plan import write_plan
from tritium.errors import BoardError, ModelError
from tritium.ir.graph import Graph
from tritium.passes import lower
from tritium.schedule import schedule_network
from tritium.zoo.random_net import random_graph
from tritium.sim.csim import run_csim
from tritium.sim.hls_headers import vendor_headers
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


def _width(ctype: str) -> tuple[int, bool]:
    """(bits, signed) of 'ap_int<N>' / 'ap_uint<N>'."""
    m = re.fullmatch(r"ap_(u?)int<(\d+)>", ctype)
    assert m, ctype
    return int(m.group(2)), not m.group(1)


def _magnitude(ctype: str) -> int:
    bits, signed = _width(ctype)
    return 1 << (bits - 1) if signed else (1 << bits) - 1


def _holds(ctype: str, v: int) -> bool:
    bits, _ = _width(ctype)
    return -(1 << (bits - 1)) <= v < (1 << (bits - 1))


def _requant_operands(e: dict) -> tuple[int, list[tuple[str, int]]]:
    """(largest |x*M + B| over the input types, [(type, constant)]) of an engine's requantizer."""
    types = {t["name"]: t["ctype"] for t in e["cfg"]["types"]}
    ints = lambda text: [int(v) for v in re.findall(r"-?\d+", text.replace("LL", "").replace("(", ""))]
    if e["kind"] == "add":
        sc = {x["name"]: ints(x["value"])[0] for x in e["cfg"]["scalars"]}
        bound = _magnitude(types["a_t"]) * abs(sc["MA"]) + _magnitude(types["b_t"]) * abs(sc["MB"]) + abs(sc["B"])
        return bound, [("ma_t", sc["MA"]), ("mb_t", sc["MB"]), ("bias_t", sc["B"])]
    arr = {a["name"]: ints(a["init"]) for a in e["cfg"]["arrays"]}
    x = _magnitude(types["in_t"] if e["kind"] == "requant" else types["acc_t"])
    bound = x * max(map(abs, arr["MULT"])) + max(map(abs, arr["BIAS"]))
    return bound, [("mult_t", v) for v in arr["MULT"]] + [("bias_t", v) for v in arr["BIAS"]]


@pytest.mark.parametrize("model", ["zoo:resnet8", "random:1", "random:4", "random:11"])
def test_requant_sums_are_sized_from_their_operands(model):
    """Issue 13: no requantizer forms a 64x64-bit product. Each engine's sum_t is the
    narrowest type that holds max|x| * max|M| + max|B| over its input type (64 bits
    at most), and mult_t / bias_t hold every constant."""
    from tritium.codegen.hls import build_context
    from tritium.frontend import load_model
    g = lower(load_model(model) if model.startswith("zoo:") else random_graph(int(model.split(":")[1])))
    board = load_board("zcu104") if model == "zoo:resnet8" else BOARD
    ctx = build_context(g, schedule_network(g, board), part=board.part, clock_mhz=board.clock_mhz)
    sized = [e for e in ctx["engines"] if e["cfg"] and any(t["name"] == "sum_t" for t in e["cfg"]["types"])]
    assert "mac" in {e["kind"] for e in sized}
    for e in sized:
        sum_t = next(t["ctype"] for t in e["cfg"]["types"] if t["name"] == "sum_t")
        bound, constants = _requant_operands(e)
        bits, _ = _width(sum_t)
        assert _holds(sum_t, bound) and _holds(sum_t, -bound), (e["id"], sum_t, bound)
        assert bits == 64 or not _holds(f"ap_int<{bits - 1}>", bound), (e["id"], sum_t, bound)   # narrowest
        types = {t["name"]: t["ctype"] for t in e["cfg"]["types"]}
        assert all(_holds(types[name], v) for name, v in constants), e["id"]
    library = "".join(p.read_text() for p in LIB_DIR.glob("*.h"))
    assert "ap_int<64>" not in library and "wide_t" not in library


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


def test_makefile_builds_with_werror(tmp_path, amd_headers):
    plan, v, _ = project(lower(random_graph(4)), n=8)
    write_plan({**plan, **v.files()}, tmp_path)
    make = subprocess.run(["make", "-C", str(tmp_path / "hls"), "csim"], capture_output=True, text=True)
    assert make.returncode == 0, make.stdout + make.stderr
    assert "-Wall -Wextra -Werror -DTRITIUM_COMPAT" in make.stdout and "0 mismatches" in make.stdout
    subprocess.run(["make", "-C", str(tmp_path / "hls"), "clean"], capture_output=True, check=True)
    folders = " ".join(map(str, vendor_headers(amd_headers).dirs))    # AMD's, and our ap_axi_sdata.h
    make = subprocess.run(["make", "-C", str(tmp_path / "hls"), "csim", f"HLS_INCLUDE={folders}"],
                          capture_output=True, text=True)
    assert make.returncode == 0, make.stdout + make.stderr
    assert f"-DTRITIUM_VENDOR_TYPES -isystem {amd_headers}" in make.stdout and "0 mismatches" in make.stdout


def _cfg_entries(text: str) -> list[tuple[str, str]]:
    """(key, value) of every `key=value` line of an HLS config file, in order."""
    return [tuple(part.strip() for part in line.split("=", 1)) for line in text.splitlines()
            if "=" in line and not line.lstrip().startswith(("#", "["))]


def test_vitis_config_passes_the_vectors_as_test_bench_files(tmp_path):
    """Vitis builds and runs the test bench in a folder of its own (csim/build) and copies
    every test-bench file there (UG1399, "Output of C Simulation"), so a path relative to the
    project, like the former ../vectors/input.bin, does not resolve from it. Every file the
    config names must exist relative to the config, and the test bench's arguments must be
    names of test-bench files; run as Vitis would, the C-simulation then passes."""
    plan, v, _ = project(lower(random_graph(4)), n=8)
    write_plan({**plan, **v.files()}, tmp_path / "out")
    hls = tmp_path / "out" / "hls"
    entries = _cfg_entries((hls / "hls_config.cfg").read_text())
    files = [value for key, value in entries if key in ("syn.file", "tb.file")]
    assert files and all((hls / f).is_file() for f in files), files
    tb_files = {Path(value).name: (hls / value).resolve() for key, value in entries if key == "tb.file"}
    assert {"input.bin", "expected.bin"} <= set(tb_files), "the vectors are not test-bench files"
    assert tb_files["input.bin"] == (tmp_path / "out" / "vectors" / "input.bin").resolve()
    assert tb_files["expected.bin"] == (tmp_path / "out" / "vectors" / "expected.bin").resolve()
    argvs = {key: value.split() for key, value in entries if key.endswith(".argv")}
    assert set(argvs) == {"csim.argv", "cosim.argv"}
    assert all(args == ["input.bin", "expected.bin"] for args in argvs.values()), argvs

    build = tmp_path / "proj" / "csim" / "build"            # as Vitis runs it: copies, then argv
    build.mkdir(parents=True)
    for name in argvs["csim.argv"]:
        shutil.copy(tb_files[name], build / name)
    binary = run_csim(plan, v).binary
    r = subprocess.run([str(binary), *argvs["csim.argv"]], cwd=build, capture_output=True, text=True)
    assert r.returncode == 0 and "8 vectors" in r.stdout and "0 mismatches" in r.stdout, r.stdout

    tcl = plan["hls/run_hls.tcl"]                           # the Tcl flow the same way
    assert 'set tb_argv "input.bin expected.bin"' in tcl
    assert "add_files -tb $vectors/input.bin\n" in tcl and "add_files -tb $vectors/expected.bin\n" in tcl


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
