"""cocotb test of the generated design through the HDL testbench `tb_top`.

cocotb supplies the clock and a watchdog; `tb_top` streams the vectors (random
gaps and backpressure as its plusargs say), checks every beat and writes its
summary when it raises `done`. `TRITIUM_MAX_CYCLES` (from the schedule's cycle
model, `tritium.sim.rtl.watchdog_cycles`) bounds the run.
"""
from __future__ import annotations

import os

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import RisingEdge, with_timeout

PERIOD_NS = 10


@cocotb.test()
async def stream_vectors(dut):
    cocotb.start_soon(Clock(dut.clk, PERIOD_NS, unit="ns").start())
    limit = int(os.environ["TRITIUM_MAX_CYCLES"]) + 100
    await with_timeout(RisingEdge(dut.done), limit * PERIOD_NS, "ns")
    for _ in range(3):  # let the summary block run
        await RisingEdge(dut.clk)
