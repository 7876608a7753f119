"""The window unit (tri_window.sv) on images larger than the digits: every window
bit-exact against the frame it came from, and its cycles per frame exactly what
the schedule's model says (`tritium.schedule.cost.window_cycles`), for the
consumer the MAC engines give it (the feeder, writing each window into the PE
input buffers in `L` cycles, and a PE taking a window every `cpp` >= L cycles).

One plain Verilator build per geometry (tests/rtl/tb_window.sv); the default
tier runs 32x32 images with a 3x3 stride-2 and a 5x5 padded kernel, the slow
tier random geometries.
"""
from __future__ import annotations

import random
import re
import subprocess
from pathlib import Path

import pytest

from tritium.codegen.rtl import LIB_DIR
from tritium.schedule.cost import window_cycles
from tritium.schedule.model import window_rows
from tritium.sim.rtl import verilator_env, with_ccache

HERE = Path(__file__).resolve().parent
RESULT = re.compile(r"RESULT errors=(\d+) frames=(\d+) done=([\d,]+)")
NF = 6


def out_size(n: int, k: int, s: int, p0: int, p1: int) -> int:
    return (n + p0 + p1 - k) // s + 1


def build(tmp: Path, g: dict) -> Path:
    (tmp / "obj").mkdir(parents=True, exist_ok=True)
    exe, env = verilator_env()
    args = [exe, "--binary", "--timing", "-Wno-fatal", "-Wno-lint", "-Wno-style",
            "-CFLAGS", "-std=c++20", "--top-module", "tb_window", "-Mdir", str(tmp / "obj"),
            *(f"-G{k}={v}" for k, v in g.items()), f"-GNF={NF}",
            str(LIB_DIR / "tri_window.sv"), str(LIB_DIR / "tri_feeder.sv"), str(HERE / "tb_window.sv")]
    r = subprocess.run(args, env=with_ccache(env), capture_output=True, text=True)
    assert r.returncode == 0, (r.stdout + r.stderr)[-3000:]
    return tmp / "obj" / "Vtb_window"


def run(binary: Path, cpp: int, gaps: bool) -> list[int]:
    r = subprocess.run([str(binary), f"+CPP={cpp}", f"+GAPS={int(gaps)}"], capture_output=True,
                       text=True, timeout=300)
    m = RESULT.search(r.stdout)
    assert m, r.stdout[-2000:]
    errors, frames, done = int(m[1]), int(m[2]), [int(t) for t in m[3].split(",")]
    assert errors == 0 and frames == NF, r.stdout[-2000:]
    return done


def check(tmp: Path, g: dict, cpps, writes=(1,)) -> None:
    ho = out_size(g["H"], g["KH"], g["SY"], g["PT"], g["PB"])
    wo = out_size(g["W"], g["KW"], g["SX"], g["PL"], g["PR"])
    rows = window_rows(g["H"], g["W"], (g["KH"], g["KW"]), (g["SY"], g["SX"]),
                       (g["PT"], g["PL"], g["PB"], g["PR"]), ho, wo)
    for write in writes:
        binary = build(tmp / f"l{write}", {**g, "R": rows, "L": write})
        for cpp in (c for c in cpps if c >= write):
            model = window_cycles((g["H"], g["W"]), (ho, wo), (g["KH"], g["KW"]), (g["SY"], g["SX"]),
                                  cpp, write)
            done = run(binary, cpp, gaps=False)
            periods = [b - a for a, b in zip(done[2:], done[3:])]
            assert periods == [model] * len(periods), (g, write, cpp, done, model)
            gapped = run(binary, cpp, gaps=True)          # bit-exact under input gaps too
            assert gapped[-1] - gapped[2] >= model * (NF - 3)


GEOMETRIES = {
    "32x32_3x3_stride2_pad1": dict(H=32, W=32, C=2, A=4, KH=3, KW=3, SY=2, SX=2, PT=1, PL=1, PB=1, PR=1),
    "32x30_5x5_pad2": dict(H=32, W=30, C=3, A=3, KH=5, KW=5, SY=1, SX=1, PT=2, PL=2, PB=2, PR=2),
}


@pytest.mark.parametrize("name", sorted(GEOMETRIES))
def test_window_large_images(tmp_path, name):
    check(tmp_path, GEOMETRIES[name], cpps=(1, 2, 3, 4, 9), writes=(1, 3))


def random_geometry(rng: random.Random) -> dict:
    while True:
        kh, kw = rng.choice([1, 2, 3, 5, 7]), rng.choice([1, 2, 3, 5, 7])
        g = dict(H=rng.randint(1, 40), W=rng.randint(1, 40), C=rng.randint(1, 3), A=rng.randint(1, 8),
                 KH=kh, KW=kw, SY=rng.choice([1, 1, 2, 3]), SX=rng.choice([1, 1, 2, 3]),
                 PT=rng.randint(0, kh - 1), PL=rng.randint(0, kw - 1),
                 PB=rng.randint(0, kh - 1), PR=rng.randint(0, kw - 1))
        if g["H"] + g["PT"] + g["PB"] >= kh and g["W"] + g["PL"] + g["PR"] >= kw:
            return g


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(6))
def test_window_random_geometries(tmp_path, seed):
    check(tmp_path, random_geometry(random.Random(seed)), cpps=(1, 2, 4, 6), writes=(1, 2, 4))
