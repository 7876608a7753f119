"""cocotb test of the board wrapper (`tritium.sim.board.run_wrapper`).

The host side is `tritium.board_io.session.Session`, the code `tritium run`
drives over a serial port, here on simulated time; the UART line models are
cocotbext-uart's. The job (`TRITIUM_BOARD_JOB`, JSON) holds the link, the
input codes, the expected outputs, the baud divisor and the damage to do to
the host-to-board bytes; the result JSON has the replies' outputs and the
frame counts of the wrapper (its `rx_accepted` / `rx_dropped` pulses) and of
a `Deframer` fed the same bytes.
"""
from __future__ import annotations

import json
import logging
import os

import cocotb
import numpy as np
from cocotb.clock import Clock
from cocotb.triggers import ClockCycles, RisingEdge, Timer
from cocotb.utils import get_sim_time
from cocotbext.uart import UartSink, UartSource

from tritium.board_io.framing import REQUEST, Deframer
from tritium.board_io.link import Link
from tritium.board_io.session import Session


class Damager:
    """Applies (offset, op, value) faults to the host-to-board byte stream."""

    def __init__(self, faults):
        self.faults = {int(k): (op, int(v)) for k, op, v in faults}
        self.offset = 0

    def __call__(self, data: bytes) -> bytes:
        out = bytearray()
        for b in data:
            op, v = self.faults.get(self.offset, (None, 0))
            self.offset += 1
            if op == "drop":
                continue
            if op == "insert":
                out.append(v)
            out.append(v if op == "set" else b)
        return bytes(out)


async def count_pulses(signal, counter: list) -> None:
    while True:
        await RisingEdge(signal)
        counter[0] += 1


@cocotb.test()
async def wrapper_through_uart(dut):
    job = json.loads(open(os.environ["TRITIUM_BOARD_JOB"]).read())
    ns, cpb = job["clock_ns"], job["clks_per_bit"]
    bit_ns = ns * cpb
    link = Link.from_json({**job["link"], "baud": round(1e9 / bit_ns)})
    cocotb.start_soon(Clock(dut.clk, ns, unit="ns").start())
    source = UartSource(dut.uart_rx, baud=link.baud, bits=8, stop_bits=1)
    sink = UartSink(dut.uart_tx, baud=link.baud, bits=8, stop_bits=1)
    for m in (source, sink):
        m.log.setLevel(logging.WARNING)          # a line per byte otherwise
    dut.rst_n.value = 0
    await ClockCycles(dut.clk, 10)
    dut.rst_n.value = 1
    accepted, dropped = [0], [0]
    cocotb.start_soon(count_pulses(dut.rx_accepted, accepted))
    cocotb.start_soon(count_pulses(dut.rx_dropped, dropped))

    codes = np.array(job["codes"], dtype=np.int64)
    line = (link.request_bytes + link.reply_bytes + 16) * 10 * bit_ns
    timeout = (4 * job["window"] * line + 20 * job["frame_cycles"] * ns) * 1e-9
    session = Session(link, codes, window=job["window"], timeout=timeout)
    damage, mirror = Damager(job["damage"]), Deframer(REQUEST, link.request_bytes)
    mirrored = [0]

    def send(data: bytes) -> None:
        data = damage(data)
        mirrored[0] += len(mirror.feed(data))
        source.write_nowait(data)

    byte_ns = 10 * bit_ns
    while not session.done:
        now = get_sim_time("ns") * 1e-9
        out = session.poll(now)
        if out:
            send(out)
        if not sink.empty():
            out = session.feed(bytes(sink.read_nowait()), now)
            if out:
                send(out)
        await Timer(byte_ns, "ns")
    await Timer(4 * byte_ns, "ns")      # let a pulse of the last frame be counted
    result = {"outputs": session.outputs.tolist(), "answered": int(session.answered.sum()),
              "rtl_accepted": accepted[0], "rtl_dropped": dropped[0],
              "model_accepted": mirrored[0], "model_dropped": sum(mirror.dropped.values()), "board_drops": session.board_drops,
              "resent": session.resent, "align_err": int(dut.align_err.value),
              "cycles": int(get_sim_time("ns") // ns)}
    with open(job["result"], "w") as f:
        json.dump(result, f)
