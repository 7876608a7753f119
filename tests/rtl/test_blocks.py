"""Block tests of the RTL library: one Verilator build of tests/rtl/tb_blocks.sv,
one cocotb test per block (tests/rtl/cocotb_blocks.py) against Python models."""
from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

pytest.importorskip("cocotb")

from tritium.codegen.rtl import write_library_list  # noqa: E402
from tritium.sim.rtl import verilator_env  # noqa: E402

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
BLOCK_TESTS = ["fifo_keeps_order", "requant_matches_model", "window_matches_model",
               "pool_matches_model", "add_joins_and_matches_model", "gap_matches_model",
               "axis_out_serializes_with_tlast", "fork_delivers_every_beat_once"]


@pytest.fixture(scope="module")
def blocks_build(tmp_path_factory):
    _, env = verilator_env()
    for k in ("VERILATOR_ROOT", "PATH", "MAKEFLAGS"):
        if k in env:
            os.environ[k] = env[k]
    from cocotb_tools.runner import get_runner
    for p in (str(HERE), str(REPO)):
        if p not in sys.path:
            sys.path.insert(0, p)
    build = tmp_path_factory.mktemp("blocks")
    runner = get_runner("verilator")
    runner.build(sources=[*map(str, write_library_list()), str(HERE / "tb_blocks.sv")],
                 hdl_toplevel="tb_blocks", build_dir=str(build),
                 build_args=["-Wno-fatal", "-Wno-lint", "-Wno-style"], log_file=str(build / "build.log"))
    return runner, build


@pytest.mark.parametrize("case", BLOCK_TESTS)
def test_block(blocks_build, case, tmp_path):
    runner, build = blocks_build
    xml = runner.test(test_module="cocotb_blocks", hdl_toplevel="tb_blocks",
                      hdl_toplevel_lang="verilog", build_dir=str(build), test_dir=str(tmp_path),
                      testcase=case, log_file=str(tmp_path / "sim.log"),
                      extra_env={"PYTHONPATH": os.pathsep.join([str(HERE), str(REPO)])})
    from cocotb_tools.check_results import get_results
    total, failed = get_results(xml)
    assert total == 1 and failed == 0, (tmp_path / "sim.log").read_text()[-3000:]
