"""cocotb tests of the RTL library blocks against Python models (tb_blocks.sv).

Every test drives its block once per cycle: inputs are set on the falling edge,
then, in the read-only phase, the handshakes that the next rising edge will
complete are recorded. Streams get random input gaps and output backpressure;
the models are the golden model's integer rules (compiler/ir/interp.py).
"""
from __future__ import annotations

import random

import cocotb
import numpy as np
from cocotb.clock import Clock
from cocotb.triggers import FallingEdge, ReadOnly, RisingEdge

from tritium.ir.interp import windows


def signed(v: int, bits: int) -> int:
    v &= (1 << bits) - 1
    return v - (1 << bits) if v >> (bits - 1) else v


def pack(vals, bits: int) -> int:
    out = 0
    for i, v in enumerate(vals):
        out |= (int(v) & ((1 << bits) - 1)) << (i * bits)
    return out


def unpack(word: int, n: int, bits: int, is_signed: bool) -> list[int]:
    vals = [(word >> (i * bits)) & ((1 << bits) - 1) for i in range(n)]
    return [signed(v, bits) for v in vals] if is_signed else vals


def requant(x, m, b, sh, lo, hi):
    return min(max((x * m + b) >> sh, lo), hi)


async def start(dut):
    cocotb.start_soon(Clock(dut.clk, 10, unit="ns").start())
    dut.rst_n.value = 0
    for name in ("fifo_s_valid", "fifo_m_ready", "win_s_valid", "win_m_ready", "add_a_valid",
                 "add_b_valid", "add_m_ready", "gap_s_valid", "gap_m_ready", "ao_s_valid",
                 "ao_tready", "fork_s_valid", "fork_m_ready"):
        getattr(dut, name).value = 0
    for _ in range(3):
        await RisingEdge(dut.clk)
    dut.rst_n.value = 1
    await FallingEdge(dut.clk)


async def stream(dut, prefix_in: str, beats: list[int], prefix_out: str, n_out: int,
                 rng: random.Random, data_in: str = "s_data", data_out: str = "m_data",
                 ready_out: str = "m_ready", valid_out: str = "m_valid", limit: int = 5000):
    """Push `beats` through a valid/ready block with gaps and backpressure; return outputs."""
    got, i = [], 0
    for _ in range(limit):
        v_in = i < len(beats) and rng.random() < 0.7
        getattr(dut, f"{prefix_in}_s_valid").value = int(v_in)
        getattr(dut, f"{prefix_in}_{data_in}").value = beats[i] if i < len(beats) else 0
        getattr(dut, f"{prefix_out}_{ready_out}").value = int(rng.random() < 0.7)
        await ReadOnly()
        if v_in and int(getattr(dut, f"{prefix_in}_s_ready").value):
            i += 1
        if int(getattr(dut, f"{prefix_out}_{valid_out}").value) and \
                int(getattr(dut, f"{prefix_out}_{ready_out}").value):
            got.append(int(getattr(dut, f"{prefix_out}_{data_out}").value))
        await FallingEdge(dut.clk)
        if len(got) == n_out and i == len(beats):
            break
    return got


@cocotb.test()
async def fifo_keeps_order(dut):
    await start(dut)
    rng = random.Random(1)
    beats = [rng.randrange(256) for _ in range(300)]
    got = await stream(dut, "fifo", beats, "fifo", len(beats), rng)
    assert got == beats


@cocotb.test()
async def requant_matches_model(dut):
    await start(dut)
    rng = random.Random(2)
    for _ in range(2000):
        x, m, b = rng.randrange(-2048, 2048), rng.randrange(-32768, 32768), rng.randrange(-2**19, 2**19)
        dut.rq_x.value, dut.rq_m.value, dut.rq_b.value = x & 0xFFF, m & 0xFFFF, b & 0xFFFFF
        await ReadOnly()
        assert signed(int(dut.rq_y.value), 6) == requant(x, m, b, 5, -32, 27), (x, m, b)
        await FallingEdge(dut.clk)


@cocotb.test()
async def window_matches_model(dut):
    await start(dut)
    rng = random.Random(3)
    frames = np.array([[[[rng.randrange(16) for _ in range(2)] for _ in range(6)] for _ in range(5)]
                       for _ in range(3)])
    beats = [pack(frames[f, y, x], 4) for f in range(3) for y in range(5) for x in range(6)]
    want = windows(frames, (3, 3), (2, 1), (1, 1, 1, 1))  # (N, 3, 6, 3, 3, C)
    expect = [pack(want[f, y, x].reshape(-1), 4) for f in range(3) for y in range(3) for x in range(6)]
    got = await stream(dut, "win", beats, "win", len(expect), rng)
    assert got == expect


@cocotb.test()
async def pool_matches_model(dut):
    await start(dut)
    rng = random.Random(4)
    for _ in range(1000):
        vals = [rng.randrange(16) for _ in range(8)]   # element (tap t, channel c) at t*2 + c
        dut.pool_win.value = pack(vals, 4)
        await ReadOnly()
        mx = unpack(int(dut.pool_max_y.value), 2, 4, True)
        av = unpack(int(dut.pool_avg_y.value), 2, 5, False)
        for c in range(2):
            taps = vals[c::2]
            assert mx[c] == max(signed(v, 4) for v in taps)
            assert av[c] == requant(sum(taps), (3, 5)[c], (2, 3)[c], 2, 0, 31)
        await FallingEdge(dut.clk)


@cocotb.test()
async def add_joins_and_matches_model(dut):
    await start(dut)
    rng = random.Random(5)
    a = [[rng.randrange(-8, 8) for _ in range(2)] for _ in range(200)]
    b = [[rng.randrange(32) for _ in range(2)] for _ in range(200)]
    want = [pack([requant(x * 3 + y * -2, 1, 7, 2, -16, 15) for x, y in zip(p, q)], 5)
            for p, q in zip(a, b)]
    ia = ib = 0
    got = []
    for _ in range(3000):
        va, vb = ia < 200 and rng.random() < 0.6, ib < 200 and rng.random() < 0.6
        dut.add_a_valid.value, dut.add_b_valid.value = int(va), int(vb)
        dut.add_a_data.value = pack(a[min(ia, 199)], 4)
        dut.add_b_data.value = pack(b[min(ib, 199)], 5)
        dut.add_m_ready.value = int(rng.random() < 0.7)
        await ReadOnly()
        if va and int(dut.add_a_ready.value):
            ia += 1
        if vb and int(dut.add_b_ready.value):
            ib += 1
        if int(dut.add_m_valid.value) and int(dut.add_m_ready.value):
            got.append(int(dut.add_m_data.value))
        await FallingEdge(dut.clk)
        if len(got) == 200:
            break
    assert got == want


@cocotb.test()
async def gap_matches_model(dut):
    await start(dut)
    rng = random.Random(6)
    pix = [[rng.randrange(-8, 8) for _ in range(2)] for _ in range(60)]
    want = []
    for f in range(20):
        s = [sum(pix[f * 3 + k][c] for k in range(3)) for c in range(2)]
        want.append(pack([requant(v, 5, 1, 1, -32, 31) for v in s], 6))
    got = await stream(dut, "gap", [pack(p, 4) for p in pix], "gap", len(want), rng)
    assert got == want


@cocotb.test()
async def axis_out_serializes_with_tlast(dut):
    await start(dut)
    rng = random.Random(7)
    pix = [[rng.randrange(-16, 16) for _ in range(3)] for _ in range(40)]
    want = [(v & 0xFF, int(k % 6 == 5)) for k, v in enumerate(x for p in pix for x in p)]
    got, i = [], 0
    for _ in range(3000):
        v_in = i < len(pix) and rng.random() < 0.7
        dut.ao_s_valid.value = int(v_in)
        dut.ao_s_data.value = pack(pix[min(i, len(pix) - 1)], 5)
        dut.ao_tready.value = int(rng.random() < 0.7)
        await ReadOnly()
        if v_in and int(dut.ao_s_ready.value):
            i += 1
        if int(dut.ao_tvalid.value) and int(dut.ao_tready.value):
            got.append((int(dut.ao_tdata.value), int(dut.ao_tlast.value)))
        await FallingEdge(dut.clk)
        if len(got) == len(want):
            break
    assert got == want


@cocotb.test()
async def fork_delivers_every_beat_once(dut):
    await start(dut)
    rng = random.Random(8)
    beats = [rng.randrange(256) for _ in range(200)]
    got = [[], []]
    i = 0
    for _ in range(3000):
        v_in = i < len(beats) and rng.random() < 0.7
        dut.fork_s_valid.value = int(v_in)
        dut.fork_s_data.value = beats[min(i, len(beats) - 1)]
        ready = [int(rng.random() < 0.6) for _ in range(2)]
        dut.fork_m_ready.value = ready[0] | ready[1] << 1
        await ReadOnly()
        valid = int(dut.fork_m_valid.value)
        for k in range(2):
            if valid >> k & 1 and ready[k]:
                got[k].append(int(dut.fork_m_data.value))
        if v_in and int(dut.fork_s_ready.value):
            i += 1
        await FallingEdge(dut.clk)
        if i == len(beats):
            break
    assert got[0] == beats and got[1] == beats
