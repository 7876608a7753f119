"""Cost-model formulas, pinned (DESIGN §4; formulas in compiler/schedule/cost.py)."""
from __future__ import annotations

import pytest

from tritium.board import Family
from tritium.schedule import cost
from tritium.schedule.cost import MacShape, Resources
from tritium.schedule.options import WeightMemory


def shape(ternary=True, s=16, a=8, acc=24, w=2, window=True):
    return MacShape(simd=s, act_bits=a, out_bits=8, acc_bits=acc, weight_bits=w, ternary=ternary,
                    in_words=4 * 9, rows=64, in_shape=(56, 56, 64), kernel=(3, 3),
                    window_rows=4 if window else 0)


def test_ternary_lane_bank_matches_yosys_anchor():
    # yosys tern8x16h on xc7: 279 LUT, no DSP; formula 2*A*S + acc = 280
    # FF: the accumulator (the lanes read the input buffer's and the ROM's registers)
    assert cost.lane_bank(shape(), Family.XC7) == Resources(lut=280, ff=24, dsp=0)
    # LUT4: x1.5, and a ternary lane's negate costs 2.5 times its tree share
    assert cost.lane_bank(shape(), Family.ECP5).lut == cost.logic(8 * (16 + 2.5 * 16) + 24,
                                                                  Family.ECP5)


def test_int8_lane_bank_uses_one_dsp_per_lane():
    # yosys mac8x16h on xc7: 275 LUT + 16 DSP48E1; formula S*(A+W) + acc = 280
    assert cost.lane_bank(shape(False, w=8), Family.XC7) == Resources(lut=280, ff=24, dsp=16)


def test_program_stats_count_what_synthesis_keeps():
    # 4 lanes of 2 bits: lane 0 always +1 (01), lane 1 always 0, lane 2 varies, lane 3
    # is lane 2's copy
    words = [0b11_11_00_01, 0b01_01_00_01, 0b00_00_00_01]
    assert cost.program_stats(words, 4, 2) == cost.PeProgram(live=3, varying=2, columns=2)
    assert cost.program_stats([], 4, 2) == cost.PeProgram(0, 0, 0)


def test_constant_and_dead_lanes_are_cheaper():
    m = shape(s=16)
    full = cost.lane_bank(m, Family.XC7)
    fixed = cost.lane_bank(m, Family.XC7, cost.PeProgram(16, 8, 16))
    half = cost.lane_bank(m, Family.XC7, cost.PeProgram(8, 8, 16))
    assert full.lut - fixed.lut == 8 * 8            # the negate of 8 fixed lanes
    assert full.lut - half.lut == 2 * 8 * 8         # tree and negate of 8 dead lanes
    # a dead lane's input buffer bits go too
    pe, pe_half = (cost.pe_cost_formula(m, 64, 8, Family.XC7, program=p)
                   for p in (None, cost.PeProgram(8, 8, 16)))
    assert pe.ff - pe_half.ff == 8 * 8 + 16         # buffer read register and ROM columns


@pytest.mark.parametrize("w,d,n", [(1, 16384, 1), (2, 8193, 2), (4, 4096, 1), (8, 2049, 2),
                                   (32, 600, 2), (36, 512, 1), (72, 512, 2), (128, 576, 8)])
def test_bram18_aspect_ratios(w, d, n):
    assert cost.bram18(w, d) == n


def test_small_memories_go_to_luts():
    assert cost.memory(32, 128, Family.XCUP) == Resources(lut=64)
    assert cost.memory(32, 128, Family.ECP5) == Resources(lut=256)
    assert cost.memory(32, 129, Family.XCUP) == Resources(bram18=1)  # 512x36
    assert cost.memory(0, 100, Family.XC7) == Resources()


def test_dsp_per_multiply_by_family():
    assert cost.dsp_per_multiply(24, 16, Family.XC7) == 1
    assert cost.dsp_per_multiply(26, 16, Family.XC7) == 2
    assert cost.dsp_per_multiply(26, 16, Family.XCUP) == 1
    assert cost.dsp_per_multiply(24, 16, Family.ECP5) == 2


def test_pe_cost_is_sum_of_parts():
    m = shape()
    pe = cost.pe_cost_formula(m, words=200, rows=8, family=Family.XCUP)
    # lanes 280/24, requant 24+16 LUT 32 FF 1 DSP, table 48 LUT,
    # input buffer: 200 cycles per pixel write the 36 words into one bank of 36 rows, two
    # slots of 64 rows of 128 bits in RAM128X1D (4 LUT per bit) + its read register,
    # control 40/32 + the ROM's output register (32 weights + row 6 + 2 + row 3; one bank
    # is no field), the ROM of 200 such 43-bit words: 8,600 bits of logic (134 LUT6 by
    # yosys's cost) are cheaper than 2 blocks (256), so 43 * ceil(200/16) LUT
    assert pe == Resources(lut=280 + 40 + 48 + 512 + 40 + 43 * 13, ff=24 + 32 + 128 + 32 + 43,
                           dsp=1)
    assert cost.pe_cost(m, 200, 8, Family.XCUP) == cost.calibrated("pe_ternary", pe, Family.XCUP)


def test_input_buffer_banks_keep_up_with_the_pes():
    # the feeder writes a pixel in L <= cycles per pixel cycles with the fewest banks
    assert cost.input_buffer_banks(36, 200) == (1, 36)
    assert cost.input_buffer_banks(36, 9) == (4, 9)
    assert cost.input_buffer_banks(18, 14) == (2, 9)
    assert cost.input_buffer_banks(9, 3) == (3, 3)
    assert cost.input_buffer_banks(5, 0) == (5, 1)
    for n in range(1, 40):
        for cpp in range(1, 45):
            k, l = cost.input_buffer_banks(n, cpp)
            assert l <= cpp and k * l >= n and (k - 1) * cpp < n
    # 9 cycles per pixel: 4 banks of 32 rows (RAM32M, 6 bits per 4 LUT) with read registers,
    # and a 4:1 bank select (one LUT6 per bit)
    m = shape()
    assert cost.input_buffer(m, 9, Family.XC7) == Resources(lut=4 * 4 * 22 + 128, ff=4 * 128)
    # the feeder's 9:1 write select per bank bit: 3 LUT6 or 8.8 LUT4
    assert cost.feeder(m, 3, 9, Family.XC7) == Resources(lut=4 * 128 * 3 + 16 + 3, ff=8 + 3)
    assert cost.feeder(m, 3, 9, Family.ECP5) == Resources(lut=4506 + 16 + 3, ff=8 + 3)
    assert cost.feeder(m, 3, 1, Family.XC7) == Resources(lut=16 + 3, ff=8 + 3)   # one row: no select


def test_window_unit_as_built_and_stream():
    m = shape()
    # 4 row memories of 56 pixels x 512 bits: RAM64M, 3 bits per 4 LUTs -> 4*171 each; the
    # register window 9*512 FF, the rows' read registers 4*512 FF, control 64/64; a 4:1
    # select per window-row bit (clog2(4)/2 = 1 LUT6)
    assert cost.window_formula(56, 64, 8, (3, 3), 4, Family.XCUP) == Resources(
        lut=4 * 4 * 171 + 3 * 512 + 64, ff=9 * 512 + 4 * 512 + 64)
    # ECP5: DPR16X4 (4 bits x 16) per 16 words, plus a LUT per bit per extra bank
    assert cost.row_memory(8, 40, Family.ECP5) == Resources(lut=4 * 2 * 3 + 8 * 2)
    # deeper than LUT RAM: block RAM, which keeps its own read register
    assert cost.window_formula(224, 64, 8, (3, 3), 4, Family.XCUP) == Resources(
        lut=3 * 512 + 64, ff=9 * 512 + 64, bram18=4 * cost.bram18(512, 224))
    assert cost.window_unit(m, Family.XCUP) == cost.calibrated(
        "window", cost.window_formula(56, 64, 8, (3, 3), 4, Family.XCUP), Family.XCUP)
    assert cost.window_unit(shape(window=False), Family.XCUP) == Resources()
    # one pixel (all channels) per beat between engines (DESIGN §4)
    assert cost.stream_cycles((56, 56, 64), (28, 28, 64)) == 56 * 56
    assert cost.stream_cycles((7, 7, 512), (25088,)) == 49
    assert cost.stream_cycles((1000,), (10,)) == 1


def test_mac_cycles_formula():
    # max(in_pixels, out_pixels * max(1, cycles_per_pixel), dram)
    assert cost.mac_cycles((56, 56, 64), (28, 28, 128), 9) == 28 * 28 * 9
    assert cost.mac_cycles((56, 56, 64), (28, 28, 128), 3) == 56 * 56
    assert cost.mac_cycles((4096,), (1000,), 0) == 1
    assert cost.mac_cycles((4096,), (1000,), 40, dram=53334) == 53334


def test_uram288_packs_narrow_words():
    assert cost.uram288(72, 4096) == 1 and cost.uram288(72, 4097) == 2
    assert cost.uram288(32, 8192) == 1      # two 32-bit words per 72-bit row
    assert cost.uram288(32, 8193) == 2
    assert cost.uram288(16, 16384) == 1     # four per row
    assert cost.uram288(128, 4096) == 2     # side by side
    assert cost.uram288(0, 10) == 0


def test_weight_rom_kinds():
    assert cost.weight_rom(32, 5000, WeightMemory.BRAM, Family.XCUP) == cost.memory(32, 5000, Family.XCUP)
    assert cost.weight_rom(32, 5000, WeightMemory.URAM, Family.XCUP) == Resources(uram=1)
    assert cost.weight_rom(32, 5000, WeightMemory.DRAM, Family.XCUP) == Resources(lut=32)  # 32-deep FIFO
    assert cost.dram_reader(Family.XCUP) == Resources(lut=1500, ff=2000, bram18=4)


def test_dram_cycles():
    assert cost.dram_cycles(1000, 614.4) == 2
    assert cost.dram_cycles(0, 0.0) == 0
    with pytest.raises(ValueError):
        cost.dram_cycles(10, 0.0)


def test_mac_engine_groups_equal_pes():
    m = shape()
    one = cost.pe_cost(m, 100, 4, Family.XCUP)
    eng = cost.mac_engine_cost(m, [100, 100, 100], [4, 4, 4], Family.XCUP)
    assert eng == (cost.window_unit(m, Family.XCUP) + cost.feeder_cost(m, 3, 100, Family.XCUP)
                   + one.times(3) + cost.collector(m, 3, Family.XCUP, 3 * 4))
    # the collector keeps registers only for the channels the PEs write (4 rows each)
    assert cost.collector(m, 3, Family.XCUP, 3 * 4).ff < cost.collector(m, 3, Family.XCUP).ff
    # PEs without words are not built: neither priced nor fed nor collected from
    assert cost.mac_engine_cost(m, [100, 0, 100, 100], [4, 4, 4, 4], Family.XCUP) == eng


def test_collector_formula_counts_the_rtl_banks():
    # 4 banks of M*O registers, a 4:1 read multiplexer per bit, per-bank write enables
    assert cost.collector_formula(8, 64, 8, Family.XC7) == Resources(
        lut=64 * 8 + 4 * 64 + 2 * 4 * 8, ff=4 * 64 * 8 + 4 * 8)


def test_other_engine_datapath_formulas():
    x = Family.XC7
    assert cost.pool_formula(16, 4, 8, 11, 8, False, x) == Resources(lut=16 * 3 * 8)
    # average: a compressor tree of 4 9-bit taps (0.42 * 4 * 9 * 2 -> 31) and a requantizer
    # lane whose clamp sees 12 bits (7 LUT6)
    assert cost.pool_formula(16, 4, 8, 11, 8, True, x, 12) == Resources(lut=16 * (31 + 7), dsp=16)
    # GAP: a 20-bit accumulator (23 LUT6) and a requantizer lane of 14 bits (15)
    assert cost.gap_formula(16, 20, 8, x, 14) == Resources(lut=16 * (23 + 15), ff=16 * 28, dsp=16)
    assert cost.gap_formula(16, 20, 8, Family.ECP5, 14).lut == 16 * (62 + 48)
    # xc7: the DSP48's post-adder sums two products, only the clamp is fabric
    assert cost.add_formula(16, 8, 8, x) == Resources(lut=16 * 8, dsp=32)
    assert cost.add_formula(16, 8, 8, x, 0) == Resources(lut=2 * 16 * 8)
    # ECP5's multipliers have no post-adder: the (A+16)-bit products are summed in fabric
    assert cost.add_formula(16, 8, 8, Family.ECP5, 1).lut == cost.logic(
        16 * (16 + 24), Family.ECP5)
    # a requantizer's logic follows the bits that reach its clamp, not its input width
    assert cost.requant_formula(16, 8, 8, x, 12) == Resources(lut=16 * 7, dsp=16)
    assert cost.requant_formula(16, 4, 8, x, 12) == Resources(lut=16 * 7, dsp=16)
    assert cost.requant_formula(16, 8, 8, x, 16) == Resources(lut=16 * 17, dsp=16)
    # PW = max(IW + 16, BW) + 1 bits, of which SH are shifted out
    assert cost.requant_kept_bits(9, 20, 14) == 12 and cost.requant_kept_bits(5, 24, 13) == 12
    # ECP5: the 4:1 bank select costs about 3 LUT4s' worth per bit (measured)
    assert cost.collector_formula(8, 64, 8, Family.ECP5).lut == cost.logic(
        64 * 8 * 3 + 4 * 64 + 2 * 4 * 8, Family.ECP5)
    # a one-pixel (Dense) engine keeps 2 banks: half the registers, a 2:1 select
    assert cost.collector_banks(1) == 2 and cost.collector_banks(64) == cost.COLLECTOR_BANKS
    assert cost.collector_formula(8, 64, 8, Family.XC7, 2) == Resources(
        lut=64 * 8 + 2 * 64 + 2 * 2 * 8, ff=2 * 64 * 8 + 2 * 8)


def test_other_engines_are_their_calibrated_blocks_at_the_built_width():
    # both backends build pool/GAP/add/requant one pixel per beat, all C channels at
    # once: the price is the calibrated block at lanes = C (the 64 channels below)
    x = Family.XCUP
    assert cost.add_cost(64, 8, 8, x, 0) == cost.calibrated("add", cost.add_formula(64, 8, 8, x, 0), x)
    assert cost.gap_cost(64, 20, 8, x, 12) == cost.calibrated(
        "gap", cost.gap_formula(64, 20, 8, x, 12), x)
    assert cost.requant_cost(64, 12, 8, x, 13) == cost.calibrated(
        "requant", cost.requant_formula(64, 12, 8, x, 13), x)
    assert cost.pool_cost((56, 56, 64), (2, 2), 8, 10, 8, False, x, 4) == cost.window_cost(
        56, 64, 8, (2, 2), 4, x) + cost.calibrated(
        "pool_max", cost.pool_formula(64, 4, 8, 10, 8, False, x), x)


def test_roms_go_where_yosys_puts_them():
    # measured: 80 x 140 bits -> 4 blocks on ECP5, 72 x 42 stays logic; 160 x 140 stays
    # logic on xc7 (memory_libmap: logic 1/LUT_BITS per bit against 128 per block)
    assert cost.rom_in_block_ram(140, 80, Family.ECP5)
    assert not cost.rom_in_block_ram(42, 72, Family.ECP5)
    assert not cost.rom_in_block_ram(140, 160, Family.XC7)
    # a column of a PE program ROM in logic: one LUT6 per 16 words beyond 64 (rom_column_luts)
    assert cost.weight_rom(140, 160, WeightMemory.BRAM, Family.XC7) == Resources(lut=140 * 10)
    assert cost.weight_rom(140, 40, WeightMemory.BRAM, Family.XC7) == Resources(lut=140 * 2)
    assert cost.weight_rom(34, 4096, WeightMemory.BRAM, Family.XC7) == Resources(
        bram18=cost.bram18(34, 4096))
    # ECP5 RAM read every cycle: 64 x 128 bits is cheaper as 4 blocks than as LUT RAM
    assert cost.ecp5_block_ram(128, 64) and not cost.ecp5_block_ram(128, 32)


def test_add_multipliers_by_powers_of_two_are_shifts():
    # operands sharing a scale (the usual residual block): Ma = Mb = 2**14, no DSP
    x = Family.XC7
    assert cost.general_products((1 << 14, 1 << 14)) == 0
    assert cost.general_products((1 << 14, 12345)) == 1
    assert cost.general_products((-3, 12345)) == 2
    assert cost.general_products((0, -(1 << 3), 1)) == 0
    assert cost.add_formula(16, 8, 8, x, 0).dsp == 0
    assert cost.add_formula(16, 8, 8, x, 1).dsp == 16
    assert cost.add_formula(16, 8, 8, x, 2).dsp == 32


def test_fifo_as_built():
    x, e = Family.XC7, Family.ECP5
    # depth 2 in LUT RAM: RAM32M holds 6 bits; pointers 1 + 1, count 2, + 1
    assert cost.fifo_formula(96, 2, x) == Resources(lut=4 * 16 + 16, ff=5)
    # deeper than LUT RAM: block RAM, a fall-through register and its select
    assert cost.fifo_formula(64, 142, x) == Resources(lut=64 + 16, ff=64 + 2 * 8 + 8 + 1,
                                                      bram18=cost.bram18(64, 142))
    assert cost.fifo_formula(64, 40, e).bram18 == cost.bram18(64, 40)
    assert cost.fifo_cost(96, 2, x) == cost.calibrated("fifo", cost.fifo_formula(96, 2, x), x)


def test_gather_as_built():
    # 16 pixels of 64 bits into one 1,024-bit register; the 4-bit pixel counter steers
    # each input bit: 64 * (4 + 1) LUT, + 16 enables + 16 control
    assert cost.gather_formula(16, 64, Family.XC7) == Resources(lut=64 * 5 + 16 + 16,
                                                                ff=1024 + 4 + 1)
    assert cost.gather_cost((4, 4, 16), 4, Family.XC7) == cost.calibrated(
        "gather", cost.gather_formula(16, 64, Family.XC7), Family.XC7)


def test_xcup_uses_the_xc7_calibration():
    assert cost.block_calibration("collector", Family.XCUP) == cost.block_calibration(
        "collector", Family.XC7)


def test_resources_over_budget():
    r = Resources(lut=10, ff=5, bram18=3, dsp=0)
    assert r.over({"lut": 8, "ff": 5, "bram18": 1, "dsp": 0}) == {"lut": 2, "bram18": 2}
