"""RTL simulation of the board wrapper: UART + framing + the network, driven
through a UART model (cocotbext-uart) by the host's own code.

`run_wrapper(design, vectors)` builds `rtl/board/tritium_wrapper.sv` with the
design under cocotb + Verilator (through the build cache of
`tritium.sim.build`, like `tritium.sim.cocotb_run`) with a small baud divisor,
and runs `sim/tb/board_tb.py`: a `tritium.board_io.session.Session`, the
same one `tritium run` drives over a serial port, sends every vector as a
request frame on `uart_rx` and takes the replies from `uart_tx`. `damage`
alters the host-to-board bytes (drop, change or insert bytes at given stream
offsets); the testbench feeds the damaged stream to a `Deframer` as well, so
the wrapper's accepted and dropped frames can be checked against the Python
receiver's, frame for frame.
"""
from __future__ import annotations

import json
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tritium.errors import ToolError
from tritium.sim.rtl import TB_DIR, design_files, verilator_env
from tritium.sim.vectors import Vectors

BOARD_JSON = "board/board.json"
SIM_CLKS_PER_BIT = 4        # the fastest the UART runs (tri_uart_rx.sv); simulation time is bit time
CLOCK_NS = 10
TB_MODULE = "board_tb"

# (stream offset of a host-to-board byte, "drop" | "set" | "insert", byte value)
Damage = list[tuple[int, str, int]]


@dataclass
class WrapperResult:
    outputs: np.ndarray          # (N, out_beats) what the replies carried
    mismatches: int              # output values that differ from the vectors' expected ones
    answered: int                # inputs answered
    rtl_accepted: int            # request frames the wrapper accepted (rx_accepted pulses)
    rtl_dropped: int             # request frames it dropped (rx_dropped pulses)
    model_accepted: int          # the same for a Deframer fed the same (damaged) bytes
    model_dropped: int
    board_drops: int             # drops the replies reported
    resent: int
    align_err: int
    cycles: int
    sim_seconds: float


def board_files(design) -> tuple[dict[str, bytes], dict, dict]:
    """(files under rtl/, rtl meta.json, rtl/board/board.json) of a design with a wrapper."""
    files, meta = design_files(design)
    if BOARD_JSON not in files:
        raise ToolError("the design has no board wrapper (rtl/board/); compile it for an ECP5 board "
                        "with known pins, e.g. --board ulx3s")
    return files, meta, json.loads(files[BOARD_JSON])


def build_wrapper(files: dict[str, bytes], meta: dict, board: dict, clks_per_bit: int):
    """The cached cocotb build of the wrapper around the design."""
    from tritium.sim.cocotb_run import build_cocotb
    inputs = {f"src/{s}": files[s] for s in board["wrapper_sources"]}
    inputs.update({rel: data for rel, data in files.items() if rel.startswith("rom/")})
    return build_cocotb(files, meta, top=board["wrapper"], inputs=inputs,
                        sources=[f"src/{s}" for s in board["wrapper_sources"]],
                        params={"CLKS_PER_BIT": clks_per_bit})


def run_wrapper(design, vectors: Vectors, *, damage: Damage = (), window: int = 2,
                clks_per_bit: int = SIM_CLKS_PER_BIT) -> WrapperResult:
    """Every vector through the wrapper's UART; see the module docstring."""
    files, meta, board = board_files(design)
    if vectors.n == 0:
        raise ValueError("no vectors")
    entry = build_wrapper(files, meta, board, clks_per_bit).dir
    latency = max(meta["rtl_cycles_per_frame"], meta["schedule_cycles_per_frame"])
    with tempfile.TemporaryDirectory(prefix="tritium-board-") as d:
        run = Path(d)
        job = {"link": board["link"], "codes": vectors.x.reshape(vectors.n, -1).tolist(),
               "expected": vectors.y.reshape(vectors.n, -1).tolist(), "clks_per_bit": clks_per_bit,
               "clock_ns": CLOCK_NS, "window": window, "damage": [list(x) for x in damage],
               "frame_cycles": latency, "result": str(run / "result.json")}
        (run / "job.json").write_text(json.dumps(job))
        t0 = time.perf_counter()
        _test(entry, board["wrapper"], run)
        res = json.loads((run / "result.json").read_text())
    out = np.array(res["outputs"], dtype=np.int64)
    expected = vectors.y.reshape(vectors.n, -1)
    return WrapperResult(out, int((out != expected).sum()), res["answered"], res["rtl_accepted"],
                         res["rtl_dropped"], res["model_accepted"], res["model_dropped"],
                         res["board_drops"], res["resent"], res["align_err"], res["cycles"],
                         time.perf_counter() - t0)


def _test(entry: Path, top: str, run: Path) -> None:
    verilator_env()       # VERILATOR_ROOT for the runner (set by build_cocotb in this process)
    from cocotb_tools.check_results import get_results
    from cocotb_tools.runner import get_runner
    if str(TB_DIR) not in sys.path:
        sys.path.insert(0, str(TB_DIR))
    xml = get_runner("verilator").test(
        test_module=TB_MODULE, hdl_toplevel=top, hdl_toplevel_lang="verilog", build_dir=str(entry),
        test_dir=str(run), extra_env={"TRITIUM_BOARD_JOB": str(run / "job.json")},
        log_file=str(run / "sim.log"))
    _, failed = get_results(xml)
    if failed or not (run / "result.json").exists():
        log = (run / "sim.log").read_text()[-3000:] if (run / "sim.log").exists() else ""
        raise ToolError(f"the board wrapper simulation failed:\n{log}")
