"""Cost models of the engines (DESIGN §4): cycles, LUT, FF, BRAM18, DSP.

Every formula sits in the docstring of the function that computes it, and a
test pins it. Notation: `S` lanes per PE, `P` PEs, `A` input activation bits,
`O` output bits, `W` weight bits, `acc` accumulator bits, `M` output channels.

Calibration anchors (yosys 0.70 `synth_xilinx`, shared/research/hwtools.md §4):
a 16-lane ternary lane bank with an adder tree and a 24-bit accumulator is
279 LUT on xc7 (our formula: 2*A*S + acc = 280); the same with int8 LUT
multipliers is 2,038 (Booth) to 2,419 LUT, or 16 DSP48E1 plus about 275 LUT of
adder tree (ours: S*(A+W) + acc = 280 LUT + S DSP). ECP5 counts LUT4s: about
1.5x the LUT6 count for the same logic (227 LUT4 + 98 CCU2C for the ternary
bank). These are estimates for the folding search; a later issue calibrates
them against synthesis of the generated RTL.

Memories follow FINN's RAMB18 aspect-ratio model (UG573; the ECP5 EBR has the
same 16Kx1 .. 512x36 shapes); memories of at most `LUTRAM_MAX_DEPTH` words go
to LUTs (one LUT per bit column per `lut_bits` words), as FINN does for small
weight memories.

Weight memory of a Conv/Dense engine (`WeightMemory`, chosen per layer by the
folding search): `bram` (fabric RAM: the RAMB18 model above, or LUTs for
small ROMs), `uram` (URAM288 blocks, 72 bits x 4096, UltraScale+ only) or
`dram` (weights streamed from external memory through a read DMA; the PEs
keep only a small FIFO each).
"""
from __future__ import annotations

import functools
import json
import math
from dataclasses import dataclass, fields, replace
from pathlib import Path

import numpy as np

from ..board import Family
from ..ir.types import REQUANT_MULT_BITS
from .options import WeightMemory

LUTRAM_MAX_DEPTH = 128
ENGINE_FILL_CYCLES = 8       # pipeline depth of an engine, counted once per engine in latency
CONTROL_LUT, CONTROL_FF = 40, 32   # program counter, handshakes, per PE and per engine
REQUANT_TABLE_BITS = REQUANT_MULT_BITS + 32   # per row: M and a 32-bit B

# LUT bits of one LUT used as ROM/RAM, logic-LUT factor, DSP multiplier A-port width.
LUT_BITS = {Family.XC7: 64, Family.XCUP: 64, Family.ECP5: 16}
LOGIC_FACTOR = {Family.XC7: 1.0, Family.XCUP: 1.0, Family.ECP5: 1.5}
DSP_A_WIDTH = {Family.XC7: 25, Family.XCUP: 27, Family.ECP5: 18}
DSP_B_WIDTH = 18

URAM_WIDTH, URAM_DEPTH = 72, 4096   # URAM288: 288 Kbit, 72 bits x 4096 (UG573)
DRAM_FIFO_DEPTH = 32         # per-PE weight FIFO of a DRAM-streamed layer (LUTRAM)
DMA_LUT, DMA_FF = 1500, 2000  # AXI4 read master + address generator + width converter
DMA_BURST_WIDTH, DMA_BURST_DEPTH = 128, 512   # burst buffer of the read DMA


@dataclass(frozen=True)
class Resources:
    lut: int = 0
    ff: int = 0
    bram18: int = 0
    dsp: int = 0
    uram: int = 0

    def __add__(self, other: "Resources") -> "Resources":
        return Resources(*(getattr(self, f.name) + getattr(other, f.name) for f in fields(self)))

    def times(self, n: int) -> "Resources":
        return Resources(*(getattr(self, f.name) * n for f in fields(self)))

    def as_dict(self) -> dict[str, int]:
        return {f.name: getattr(self, f.name) for f in fields(self)}

    def over(self, budget: dict[str, int]) -> dict[str, int]:
        """Resources above `budget`, by name (empty if it fits)."""
        return {k: v - budget.get(k, 0) for k, v in self.as_dict().items() if v > budget.get(k, 0)}


def total(items) -> Resources:
    out = Resources()
    for r in items:
        out = out + r
    return out


def logic(lut: float, family: Family) -> int:
    """Logic LUTs on `family`: LUT6 counts, x1.5 for ECP5 LUT4s."""
    return math.ceil(lut * LOGIC_FACTOR[family])


def memory(width: int, depth: int, family: Family) -> Resources:
    """A `width` x `depth` ROM/RAM.

    depth <= 128: LUTs = width * ceil(depth / lut_bits) (64 on LUT6, 16 on LUT4).
    Otherwise RAMB18 by aspect ratio (FINN, UG573): width 1: ceil(d/16384);
    2: ceil(d/8192); <=4: ceil(d/4096)*ceil(w/4); <=9: ceil(d/2048)*ceil(w/9);
    <=18 or d>512: ceil(d/1024)*ceil(w/18); else ceil(d/512)*ceil(w/36).
    """
    if width <= 0 or depth <= 0:
        return Resources()
    if depth <= LUTRAM_MAX_DEPTH:
        return Resources(lut=width * -(-depth // LUT_BITS[family]))
    return Resources(bram18=bram18(width, depth))


def bram18(w: int, d: int) -> int:
    c = lambda a, b: -(-a // b)  # noqa: E731 - ceil division
    if w == 1:
        return c(d, 16384)
    if w == 2:
        return c(d, 8192)
    if w <= 4:
        return c(d, 4096) * c(w, 4)
    if w <= 9:
        return c(d, 2048) * c(w, 9)
    if w <= 18 or d > 512:
        return c(d, 1024) * c(w, 18)
    return c(d, 512) * c(w, 36)


def uram288(width: int, depth: int) -> int:
    """URAM288 blocks for a `width` x `depth` ROM. The URAM is 72 bits wide, fixed:
    a word of w <= 36 bits packs floor(72/w) words per URAM row (the ROM reads a row
    and selects the word), so ceil(depth / (4096 * floor(72/w))); wider words use
    ceil(w/72) blocks side by side: ceil(w/72) * ceil(depth/4096)."""
    if width <= 0 or depth <= 0:
        return 0
    if width <= URAM_WIDTH:
        return -(-depth // (URAM_DEPTH * (URAM_WIDTH // width)))
    return -(-width // URAM_WIDTH) * -(-depth // URAM_DEPTH)


def weight_rom(width: int, depth: int, kind: WeightMemory, family: Family) -> Resources:
    """A PE's weight memory of `depth` words of `width` bits, in `kind` memory:
    bram (on chip): block RAM or logic LUTs, whichever yosys picks (rom_in_block_ram); uram: uram288(width, depth) blocks; dram: a FIFO
    memory(width, DRAM_FIFO_DEPTH) fed by the layer's read DMA (`dram_reader`)."""
    if kind is WeightMemory.URAM:
        return Resources(uram=uram288(width, depth))
    if kind is WeightMemory.DRAM:
        return memory(width, DRAM_FIFO_DEPTH, family) if depth > 0 else Resources()
    if width <= 0 or depth <= 0:
        return Resources()
    if rom_in_block_ram(width, depth, family):
        return Resources(bram18=bram18(width, depth))
    return Resources(lut=width * rom_column_luts(depth, family))


def rom_column_luts(depth: int, family: Family) -> int:
    """LUTs of one bit column of a `depth`-word PE program ROM in logic. Its read address
    is the PE's next program counter, a function of the counter and two handshake
    signals, and ABC maps each column together with it, so a 64-word column does not
    fit one LUT6. Measured with tri_pe.sv: random 8-bit weights cost 1, 2.3, 3.2, 9.4
    and 10 LUT6 a column at 16, 32, 64, 128 and 160 words, the digits MLP's 36- to
    40-word programs about 1.5; so ceil(depth/24) up to 64 words and ceil(depth/16)
    beyond. On LUT4, ceil(depth/16)."""
    per_lut = 24 if LUT_BITS[family] == 64 and depth <= 64 else 16
    return -(-depth // per_lut)
BLOCK_RAM_COST = 128     # memory_libmap's cost of an 18-kbit block (techlibs/lattice/brams_16kd.txt)


def rom_in_block_ram(width: int, depth: int, family: Family) -> bool:
    """Whether yosys maps a `width` x `depth` ROM to block RAM rather than logic: it takes
    the cheaper by memory_libmap's costs, logic at one LUT's worth per LUT_BITS bits
    (1/16 on ECP5, 1/64 on LUT6) against BLOCK_RAM_COST per 18-kbit block. Measured: an
    80 x 140-bit ROM goes to 4 blocks on ECP5, 72 x 42 stays logic; 160 x 140 stays
    logic on xc7."""
    return width * depth / LUT_BITS[family] > BLOCK_RAM_COST * bram18(width, depth)


def ecp5_block_ram(width: int, depth: int) -> bool:
    """Whether yosys puts a `width` x `depth` RAM of ECP5 in block RAM: it takes the
    cheapest mapping by memory_libmap's costs (techlibs/lattice/lutrams.txt and
    brams_16kd.txt): a 16 x 4 TRELLIS_DPR16X4 costs 4, plus 0.5 per bit of the read
    select and per write enable across its 16-word banks; an 18-kbit block
    BLOCK_RAM_COST."""
    banks = -(-depth // 16)
    lutram = 4 * -(-width // 4) * banks + 0.5 * (banks - 1) * width + 0.5 * banks
    return lutram > BLOCK_RAM_COST * bram18(width, depth)


def dram_reader(family: Family) -> Resources:
    """The read DMA of a DRAM-streamed layer: an AXI4 read master with its address
    generator and width converter (LUT = 1500, FF = 2000, estimates) and a burst
    buffer memory(128, 512)."""
    return memory(DMA_BURST_WIDTH, DMA_BURST_DEPTH, family) + Resources(
        lut=logic(DMA_LUT, family), ff=DMA_FF)


def dram_cycles(bits_per_frame: int, bits_per_cycle: float) -> int:
    """Cycles per frame to stream `bits_per_frame` weight bits at `bits_per_cycle`:
    ceil(bits / bits_per_cycle) (a board without external memory cannot stream)."""
    if bits_per_frame <= 0:
        return 0
    if bits_per_cycle <= 0:
        raise ValueError("this board has no external memory to stream weights from")
    return math.ceil(bits_per_frame / bits_per_cycle)


def dsp_per_multiply(a_bits: int, b_bits: int, family: Family) -> int:
    """DSP blocks for one a x b product: ceil(a / A-port) * ceil(b / 18)."""
    return -(-a_bits // DSP_A_WIDTH[family]) * -(-b_bits // DSP_B_WIDTH)


# ---------------------------------------------------------------- PE array

@dataclass(frozen=True)
class MacShape:
    """What the cost of a Conv/Dense engine depends on, besides P and the schedule."""

    simd: int
    act_bits: int
    out_bits: int
    acc_bits: int
    weight_bits: int
    ternary: bool
    in_words: int          # words of one pixel's input vector per PE: items_per_row * taps
    rows: int              # M
    in_shape: tuple[int, ...]
    kernel: tuple[int, int]
    window_rows: int       # row memories of its window unit (model.window_rows); 0: no window
    out_pixels: int = 0    # output pixels per frame (0: unknown, priced as several)


# LUTs of a ternary lane's conditional negate (+x, -x or 0) per input bit, against one
# for its share of the adder tree (measured with tri_pe.sv at S = 16, A = 4 and 8, by
# fixing lanes' weights: about A LUT6 and 3.7*A LUT4 a lane).
NEGATE_PER_BIT = {Family.XC7: 1.0, Family.XCUP: 1.0, Family.ECP5: 2.5}


def lane_bank(m: MacShape, family: Family, program: PeProgram | None = None) -> Resources:
    """The lanes, adder tree and accumulator of one PE; `program` (default every lane
    live and varying) gives L live and V varying lanes (program_stats).

    Ternary: LUT = A*L (the tree, about A per lane) + NEGATE_PER_BIT*A*V (the
    conditional negate of lanes whose weight changes) + acc, DSP = 0.
    Integer: LUT = S*(A+W) + acc (tree over products), DSP = S * dsp(A, W), every lane:
    yosys maps the multipliers to DSPs before the ROM's constants are known, so a lane
    of zero weights keeps its DSP and its place in the tree.
    FF = acc (the accumulator: the lanes read the input buffer's read register and the
    program word's register, which input_buffer and pe_cost_formula count).
    """
    prog = program or full_program(m)
    a, acc = m.act_bits, m.acc_bits
    if m.ternary:
        lut = a * (prog.live + NEGATE_PER_BIT[family] * prog.varying) + acc
        return Resources(lut=logic(lut, family), ff=acc)
    s = m.simd
    return Resources(lut=logic(s * (a + m.weight_bits) + acc, family), ff=acc,
                     dsp=s * dsp_per_multiply(a, m.weight_bits, family))


def requant_unit(m: MacShape, rows: int, family: Family) -> Resources:
    """Per-PE requantizer and its table of `rows` (M, B) pairs.

    DSP = dsp(acc, 16) for acc*M; LUT = acc + 2*O (bias add, shift, clamp),
    FF = acc + O; table = memory(48, rows).
    """
    unit = Resources(lut=logic(m.acc_bits + 2 * m.out_bits, family), ff=m.acc_bits + m.out_bits,
                     dsp=dsp_per_multiply(m.acc_bits, REQUANT_MULT_BITS, family))
    return unit + memory(REQUANT_TABLE_BITS, rows, family)


def pe_cost(m: MacShape, words: int, rows: int, family: Family,
            weight_mem: WeightMemory = WeightMemory.BRAM,
            cycles_per_pixel: int | None = None, program: PeProgram | None = None) -> Resources:
    """One PE: `pe_cost_formula` calibrated against synthesis (`calibrated`, block
    pe_ternary or pe_int; the lines are fitted by `python -m tritium.synth.calibrate`)."""
    return calibrated(pe_kind(m.ternary),
                      pe_cost_formula(m, words, rows, family, weight_mem, cycles_per_pixel, program),
                      family)


def feeder_cost(m: MacShape, pes: int, cycles_per_pixel: int, family: Family) -> Resources:
    """The feeder: `feeder` through its fitted line (python -m tritium.synth.calibrate)."""
    return calibrated("feeder", feeder(m, pes, cycles_per_pixel, family), family)


@functools.lru_cache(maxsize=None)
def _calibration() -> dict:
    path = Path(__file__).resolve().parents[1] / "synth" / "calibration.json"
    return json.loads(path.read_text())["blocks"] if path.exists() else {}


# Families calibrated through another's synthesis: yosys maps xcup to the same
# LUT6 and CARRY4 cells as xc7 (shared/research/hwtools.md §4).
CALIBRATED_AS = {Family.XCUP: Family.XC7}


def block_calibration(kind: str, family: Family) -> dict[str, dict[str, float]]:
    """Fitted lines {lut: {k, c}, ff: {k, c}} of library block `kind` on `family`
    (or the family in CALIBRATED_AS); k = 1, c = 0 where none was fitted."""
    fam = CALIBRATED_AS.get(family, family)
    d = _calibration().get(kind, {}).get(fam.value, {})
    return {res: d.get(res, {"k": 1.0, "c": 0.0}) for res in ("lut", "ff")}


def calibrated(kind: str, r: Resources, family: Family) -> Resources:
    """`r` (a block's formula) with LUT and FF through the block's fitted line:
    max(0, round(k * formula + c)); DSP, BRAM18 and URAM stay the formula's."""
    cal = block_calibration(kind, family)
    fitted = {res: max(0, round(cal[res]["k"] * getattr(r, res) + cal[res]["c"]))
              for res in ("lut", "ff")}
    return Resources(bram18=r.bram18, dsp=r.dsp, uram=r.uram, **fitted)


def pe_kind(ternary: bool) -> str:
    return "pe_ternary" if ternary else "pe_int"


def input_buffer_banks(in_words: int, cycles_per_pixel: int) -> tuple[int, int]:
    """(K banks, L rows) of a PE's input buffer (tri_pe.sv, written by tri_feeder.sv):
    a pixel's `in_words` S-lane words spread over K banks, word j in bank j % K at row
    j // K, so that the feeder writes a pixel in L = ceil(in_words / K) cycles, one row
    of every bank per cycle. K = ceil(in_words / max(1, cycles_per_pixel)): L never
    exceeds the cycles the engine's slowest PE spends on a pixel, so writing never
    slows the PEs down, and K is the fewest banks that keeps up."""
    n = max(1, in_words)
    k = -(-n // max(1, cycles_per_pixel))
    return k, -(-n // k)


def index_bits(n: int) -> int:
    """Bits of an index over n things (at least 1, as the RTL's ports are): the one
    clog2 of the cost model, the RTL generator and the calibration units."""
    return max(1, (n - 1).bit_length())


def input_buffer(m: MacShape, cycles_per_pixel: int, family: Family) -> Resources:
    """One PE's input buffer (tri_pe.sv) as built: K banks (input_buffer_banks) of the
    two slots' 2 * 2**clog2(L) rows of S*A bits, each a row_memory with its read
    register (S*A FF when in LUT RAM; a block RAM has its own), and the K:1 bank
    select of the lanes, S*A*ceil((K-1)/3) LUT6 or S*A*(K-1) LUT4."""
    k, rows = input_buffer_banks(m.in_words, cycles_per_pixel)
    width = m.simd * m.act_bits
    depth = 2 << index_bits(rows)
    bank = row_memory(width, depth, family, read_enable=False)
    if not bank.bram18:
        bank = bank + Resources(ff=width)
    sel = width * ((k - 1) if family is Family.ECP5 else -(-(k - 1) // 3))
    return bank.times(k) + Resources(lut=sel)


def pe_program_word_bits(m: MacShape, cycles_per_pixel: int, rows: int,
                         program: PeProgram | None = None) -> int:
    """Bits of one PE program word (tri_pe.sv) that synthesis keeps: the weight columns
    of `program` (by default all S*W), the bank and next row of its input buffer, the
    first/last flags and the local row index; a field of one value (one bank, one row
    per slot, one row) is a constant and not counted."""
    k, l = input_buffer_banks(m.in_words, cycles_per_pixel)
    prog = program or full_program(m)
    return (prog.columns + (index_bits(k) if k > 1 else 0) + (index_bits(l) if l > 1 else 0)
            + 2 + (index_bits(rows) if rows > 1 else 0))


def pe_cost_formula(m: MacShape, words: int, rows: int, family: Family,
                    weight_mem: WeightMemory = WeightMemory.BRAM,
                    cycles_per_pixel: int | None = None,
                    program: PeProgram | None = None) -> Resources:
    """One PE, uncalibrated: lane bank + requant + program ROM weight_rom(word bits,
    words, weight_mem) (pe_program_word_bits: its weights and control fields) with its
    output register (one program word of FF, unless the ROM is block RAM; the ROM is
    read a cycle ahead) + its input buffer (`input_buffer`) + control (40 LUT, 32 FF).
    `cycles_per_pixel` is the engine's (its slowest PE's words per pixel), which sets
    the input buffer's banks; by default this PE's `words`. `program` (program_stats;
    by default every lane live and varying) prices what synthesis keeps of this PE's
    own program: its live lanes' adders and buffer bits, and, for a ROM in logic, its
    distinct varying weight columns."""
    prog = program or full_program(m)
    cpp = words if cycles_per_pixel is None else cycles_per_pixel
    live = replace(m, simd=max(1, prog.live)) if m.ternary else m   # (lane_bank: int lanes stay)
    buffer = input_buffer(live, cpp, family) if words else Resources()   # tri_pe.sv: NWORDS = 0
    word = pe_program_word_bits(m, cpp, rows, prog)
    rom = weight_rom(word, words, weight_mem, family)
    word_ff = 0 if rom.bram18 else word          # a block RAM has its own output register
    return (lane_bank(m, family, prog) + requant_unit(m, rows, family) + rom + buffer
            + Resources(lut=CONTROL_LUT, ff=CONTROL_FF + word_ff))


@dataclass(frozen=True)
class PeProgram:
    """What synthesis keeps of one PE's program (program_stats)."""

    live: int       # lanes with a nonzero weight in some word
    varying: int    # of those, lanes whose weight changes between words
    columns: int    # distinct bit columns of its weight field that are not constant


def full_program(m: MacShape) -> PeProgram:
    """Every lane live and varying, every weight bit its own column (a random program)."""
    return PeProgram(m.simd, m.simd, m.simd * m.weight_bits)


def program_stats(words: list[int], simd: int, weight_bits: int) -> PeProgram:
    """PeProgram of a PE whose weight ROM holds `words` (S lanes of `weight_bits` each,
    lane 0 in the low bits, as tri_pe.sv reads them). A lane whose weights are all zero
    (fewer input channels than S, pruning) is a constant ROM column feeding an adder of
    zero, which synthesis removes with the lane's input buffer bits; a lane whose weight
    never changes is a fixed add or subtract without its select (measured with
    tri_pe.sv, S = 16: a constant lane saves about A LUT6, 3.7*A LUT4); a ROM in logic
    keeps one function per distinct varying column, and its output register one FF."""
    if not words:
        return PeProgram(0, 0, 0)
    width = simd * weight_bits
    nbytes = -(-width // 8)
    raw = np.frombuffer(b"".join(w.to_bytes(nbytes, "little") for w in words), np.uint8)
    bits = np.unpackbits(raw.reshape(len(words), nbytes), axis=1, bitorder="little")[:, :width]
    varying_bit = bits.min(axis=0) != bits.max(axis=0)
    lanes_bits = bits.reshape(len(words), simd, weight_bits)
    live = int(lanes_bits.any(axis=(0, 2)).sum())
    varying = int(varying_bit.reshape(simd, weight_bits).any(axis=1).sum())
    cols = bits[:, varying_bit].T
    columns = int(len(np.unique(np.packbits(cols, axis=1), axis=0))) if len(cols) else 0
    return PeProgram(live, varying, columns)


def select_luts(inputs: int, family: Family) -> float:
    """LUTs per bit of an `inputs`:1 select as yosys builds it: ceil((n-1)/3) LUT6 up to
    n = 16 (a tree of 4:1 muxes), (n-1)/2 beyond; 1.1*(n-1) LUT4 (measured for
    n = 2..64)."""
    if inputs <= 1:
        return 0.0
    if family is Family.ECP5:
        return 1.1 * (inputs - 1)
    if inputs <= 16:
        return float(-(-(inputs - 1) // 3))
    return (inputs - 1) / 2


def feeder(m: MacShape, pes: int, cycles_per_pixel: int, family: Family) -> Resources:
    """The engine's feeder (tri_feeder.sv), uncalibrated: each of the K banks' L:1 select
    of the slice it writes out of the input vector, S*A bits wide, select_luts(L) per
    bit, + control (row counter, slot and take flags): LUT = 16 + P, FF = 8 + P."""
    k, rows = input_buffer_banks(m.in_words, cycles_per_pixel)
    per_bit = select_luts(rows, family)
    return Resources(lut=math.ceil(k * m.simd * m.act_bits * per_bit) + 16 + pes, ff=8 + pes)


def row_memory(width: int, depth: int, family: Family, read_enable: bool = True) -> Resources:
    """One row memory of a window unit: `depth` words of `width` bits, one write and one
    synchronous read port. Up to LUTRAM_MAX_DEPTH words it is LUT RAM, counted by the
    primitive yosys maps it to: on xc7/xcup RAM32M (6 bits x 32, 4 LUTs) up to 32 words,
    RAM64M (3 bits x 64) up to 64, RAM128X1D (1 bit x 128, 4 LUTs) beyond; on ECP5
    TRELLIS_DPR16X4 (4 bits x 16, 4 LUTs) per 16 words, and a LUT per bit and extra
    16-word bank for the read select. Deeper memories are block RAM. On ECP5 a memory
    read every cycle (`read_enable=False`: the PE input buffer) goes to block RAM where
    yosys finds that cheaper (`ecp5_block_ram`: e.g. 64 words of 128 bits); the window's
    rows, read under an enable, stay in LUT RAM (measured up to 100 words of 32 bits,
    where the block would have been cheaper by those costs alone)."""
    if depth > LUTRAM_MAX_DEPTH or (family is Family.ECP5 and not read_enable
                                    and ecp5_block_ram(width, depth)):
        return Resources(bram18=bram18(width, depth))
    if family is Family.ECP5:
        banks = -(-depth // 16)
        return Resources(lut=4 * -(-width // 4) * banks + width * (banks - 1))
    per = 6 if depth <= 32 else 3 if depth <= 64 else 1
    return Resources(lut=4 * -(-width // per))


def window_formula(width: int, channels: int, act_bits: int, kernel: tuple[int, int], rows: int,
                   family: Family) -> Resources:
    """Window unit (tri_window.sv) as built, uncalibrated, with D = C*A bits per pixel:
    `rows` row memories row_memory(D, W_in); FF = KH*KW*D (the register window) + rows*D
    (the rows' read registers, when they are LUT RAM: a block RAM has its own) + 64
    (row and column counters); LUT = KH*D*clog2(rows)/2 on LUT6 (each window row's
    rows:1 select, with the padding folded in: synthesis of the calibration grid gives
    about one LUT6 per bit at 4 rows and one to two at 5 to 8), KH*D*ceil(rows/2) on
    LUT4, + 64 (control)."""
    kh, kw = kernel
    d = channels * act_bits
    mem = row_memory(d, width, family).times(rows)
    read_regs = rows * d if width <= LUTRAM_MAX_DEPTH else 0
    if LUT_BITS[family] == 64:
        select = math.ceil(kh * d * max(1, (rows - 1).bit_length()) / 2)
    else:
        select = kh * d * -(-rows // 2)
    return mem + Resources(lut=select + 64, ff=kh * kw * d + read_regs + 64)


def fifo_formula(width: int, depth: int, family: Family) -> Resources:
    """A stream FIFO between engines (tri_fifo.sv) as built, uncalibrated. Its read
    address is a register, so yosys maps it like a row memory: LUT RAM up to 64 words on
    LUT6 and 32 on LUT4 (`row_memory`), + 16 LUT and FF = 2*clog2(depth) + clog2(depth+1)
    + 1 (read and write pointers, count); deeper, block RAM (`bram18`) with a `width`-bit
    register that keeps the first word falling through (FF + width) and its select
    (LUT = width + 16 on LUT6; on LUT4 about 192 + width/8, as synthesized)."""
    ff = 2 * max(1, (depth - 1).bit_length()) + depth.bit_length() + 1
    lut6 = LUT_BITS[family] == 64
    if depth <= (64 if lut6 else 32):
        return row_memory(width, depth, family) + Resources(lut=16, ff=ff)
    return Resources(lut=width + 16 if lut6 else 192 + width // 8, ff=width + ff,
                     bram18=bram18(width, depth))


def fifo_cost(width: int, depth: int, family: Family) -> Resources:
    """fifo_formula through the FIFO's fitted line (python -m tritium.synth.calibrate)."""
    return calibrated("fifo", fifo_formula(width, depth, family), family)


def window_cost(width: int, channels: int, act_bits: int, kernel: tuple[int, int], rows: int,
                family: Family) -> Resources:
    """window_formula through the window's fitted line (python -m tritium.synth.calibrate)."""
    return calibrated("window", window_formula(width, channels, act_bits, kernel, rows, family),
                      family)


def window_unit(m: MacShape, family: Family) -> Resources:
    """The window unit of a Conv engine (window_cost), or, without one (1x1 stride 1
    unpadded, Dense: each pixel is its own input vector), nothing."""
    if not m.window_rows:
        return Resources()
    return window_cost(m.in_shape[1], m.in_shape[2], m.act_bits, m.kernel, m.window_rows, family)


COLLECTOR_BANKS = 4          # output pixels a collector holds (tri_collector.sv NB)


def collector_banks(out_pixels: int) -> int:
    """Output pixels the collector of an engine holds, the one owner of tri_collector.sv's
    NB: COLLECTOR_BANKS, so that a PE can run 3 pixels ahead of the output while the
    pixels of a row stream; 2 for an engine with one output pixel per frame (Dense),
    where the PEs finish a frame's rows while the previous frame's pixel waits for the
    consumer, and more banks would only hold more frames (4096-channel Dense layers: 32k
    FF per bank)."""
    return 2 if out_pixels == 1 else COLLECTOR_BANKS


def collector_formula(pes: int, channels: int, out_bits: int, family: Family,
                      banks: int = COLLECTOR_BANKS) -> Resources:
    """Output collector (tri_collector.sv), uncalibrated: `banks` output pixels of
    M x O bits in registers without reset, each channel written only by its PE.
    FF = banks*M*O + banks*P. LUT = M*O*s (the bank read select: s = ceil((NB-1)/3)
    LUT6, NB-1 LUT4s' worth on ECP5, measured over 2 and 4 banks) + banks*M (write
    enables) + 2*banks*P (done flags)."""
    m, o = channels, out_bits
    select = banks - 1 if family is Family.ECP5 else -(-(banks - 1) // 3)
    lut = m * o * select + banks * m + 2 * banks * pes
    return Resources(lut=logic(lut, family), ff=banks * m * o + banks * pes)


def collector(m: MacShape, pes: int, family: Family, channels: int | None = None) -> Resources:
    """Output collector of an engine of `pes` built PEs, as tri_collector.sv builds it:
    collector_banks output pixels of `channels` x O bits in registers (collector_formula,
    calibrated). `channels`: those a PE writes (default all M; the others are constants)."""
    written = m.rows if channels is None else min(m.rows, channels)
    return calibrated("collector", collector_formula(pes, written, m.out_bits, family,
                                                     collector_banks(m.out_pixels)), family)


def mac_engine_cost(m: MacShape, words_per_pe, rows_per_pe, family: Family,
                    weight_mem: WeightMemory = WeightMemory.BRAM,
                    cycles_per_pixel: int | None = None, programs=None) -> Resources:
    """Window unit + feeder + sum over PEs of pe_cost (with their `programs`, PeProgram,
    by default full_program) + collector of the channels the built PEs write
    (+ dram_reader if its weights stream from DRAM). `cycles_per_pixel` (the slowest
    PE's words per pixel) sizes the PEs' input buffers; by default the largest of
    `words_per_pe`. PEs without words are not built; if no PE has any, one without a
    program paces the pixels."""
    words_per_pe = list(words_per_pe)
    programs = [full_program(m)] * len(words_per_pe) if programs is None else list(programs)
    cpp = max(words_per_pe, default=1) if cycles_per_pixel is None else cycles_per_pixel
    counts: dict[tuple[int, int, PeProgram], int] = {}
    for key in zip(words_per_pe, rows_per_pe, programs):
        if key[0] > 0:      # a PE without words is not built (one paces the pixels if all are)
            counts[key] = counts.get(key, 0) + 1
    pes = total(pe_cost(m, w, r, family, weight_mem, cpp, prog).times(n)
                for (w, r, prog), n in counts.items())
    if not counts:
        pes = pe_cost(m, 0, 1, family, weight_mem, cpp)
    built = max(1, sum(counts.values()))
    written = sum(r * n for (_, r, _), n in counts.items())
    dma = dram_reader(family) if weight_mem is WeightMemory.DRAM else Resources()
    return (window_unit(m, family) + feeder_cost(m, built, cpp, family) + pes
            + collector(m, built, family, written) + dma)


def pixels(shape: tuple[int, ...]) -> int:
    """Pixels of a channels-last tensor ((H, W, C): H*W; a vector (C,): 1)."""
    return math.prod(shape[:-1]) if len(shape) > 1 else 1


def stream_cycles(in_shape: tuple[int, ...], out_shape: tuple[int, ...]) -> int:
    """Cycles of an engine's streams: engines exchange one pixel (all its channels) per
    beat (DESIGN §4), so max(in_pixels, out_pixels)."""
    return max(pixels(in_shape), pixels(out_shape))


def window_cycles(in_hw: tuple[int, int], out_hw: tuple[int, int], kernel: tuple[int, int],
                  stride: tuple[int, int], cycles_per_window: int = 1, write_cycles: int = 1) -> int:
    """Cycles per frame of a window unit (tri_window.sv) feeding a consumer that takes
    a window every `cycles_per_window` cycles through a two-slot buffer written in
    `write_cycles` cycles (the MAC engine's feeder and PEs; pools take one per cycle):

        max(H*W, HO * max(WO*(L-1) + NJ, WO*c + max(0, KW + 2*L - 1 - 2*c))),
        NJ = (WO-1)*SX + KW,

    `c = max(1, cycles_per_window)`, `L = write_cycles`. The input side writes one
    pixel per cycle (H*W). The read side steps over the NJ columns of each output
    row, one per cycle, and emits a window on every SX-th step once KW columns are
    in; a window stays in the unit's register until the consumer has copied it (L
    cycles once its slot is free), so an output row takes its steps plus L-1 per
    window, or its WO windows' consumption, whichever is longer. At a row start the
    unit needs KW steps (and one to read) before its first window, which the two
    windows the consumer holds cover in part. (The row time is the longest path
    through these dependencies.) Exact against the RTL (tests/rtl/test_window.py)."""
    h, w = in_hw
    ho, wo = out_hw
    kw, sx = kernel[1], stride[1]
    c = max(1, cycles_per_window)
    lw = max(1, write_cycles)
    row = max(wo * (lw - 1) + (wo - 1) * sx + kw, wo * c + max(0, kw + 2 * lw - 1 - 2 * c))
    return max(h * w, ho * row)


def mac_cycles(in_shape, out_shape, cycles_per_pixel: int, dram: int = 0,
               window: tuple[tuple[int, int], tuple[int, int]] | None = None,
               in_words: int = 1) -> int:
    """A Conv/Dense engine: max(in_pixels, out_pixels * max(1, cycles_per_pixel), dram),
    and, with a window unit (`window` = (kernel, stride)), its window_cycles with the
    feeder writing each window's `in_words` words in L cycles (input_buffer_banks).
    A PE with no words still takes one cycle per pixel; `dram` is the cycles per frame
    its weights take to stream from external memory (0 if they are on chip)."""
    cycles = max(pixels(in_shape), pixels(out_shape) * max(1, cycles_per_pixel), dram)
    if window is not None:
        write = input_buffer_banks(in_words, cycles_per_pixel)[1]
        cycles = max(cycles, window_cycles(in_shape[:2], out_shape[:2], *window, cycles_per_pixel,
                                           write))
    return cycles


def gather_formula(n: int, pixel_bits: int, family: Family) -> Resources:
    """Flatten (tri_gather.sv) as built, uncalibrated: the frame's `n` pixels of
    `pixel_bits` land in one output register, FF = n*pixel_bits + clog2(n) + 1; the
    pixel counter steers each input bit to its n positions, which synthesis builds as
    about pixel_bits * (clog2(n) + 1) LUTs, + n + 16 (write enables, control)."""
    nw = max(1, (n - 1).bit_length())
    return Resources(lut=pixel_bits * (nw + 1) + n + 16, ff=n * pixel_bits + nw + 1)


def gather_cost(shape_in, act_bits, family) -> Resources:
    """Flatten: gather_formula through its fitted line (python -m tritium.synth.calibrate)."""
    return calibrated("gather", gather_formula(pixels(shape_in), shape_in[-1] * act_bits, family),
                      family)


# ---------------------------------------------------------------- other engines
#
# The datapaths of the other engines are modelled per lane and calibrated against
# synthesis of their library blocks. Both backends build them one pixel per beat,
# all C channels in parallel, so the engines are priced at lanes = C (the width
# they are built), whatever S the folding search chose for the MAC engines.

def requant_kept_bits(in_bits: int, bias_bits: int, shift: int) -> int:
    """How many bits of `(x*M + B) >>> SH` the clamp of tri_requant.sv compares: its
    sum is PW = max(IW + MW, BW) + 1 bits wide, and the shift drops SH of them."""
    return max(1, max(in_bits + REQUANT_MULT_BITS, bias_bits) + 1 - shift)


def default_kept_bits(out_bits: int) -> int:
    """kept bits of a requantizer not yet lowered: its shift scales the input range onto
    the output's, M is normalised to 15 bits, so about O + 4 bits reach the clamp."""
    return out_bits + 4


def requant_lane(kept: int, family: Family) -> int:
    """LUTs of one tri_requant.sv lane outside its multiplier: the bias add, the two
    K-bit clamp compares and the output select, by the K = `kept` bits that reach the
    clamp (requant_kept_bits). Measured over K = 8..20 (8 lanes of 4- and 8-bit inputs:
    the input width does not matter): LUT4 about 3K + 6 (ECP5's multiplier has no
    post-adder, so the bias add is fabric too); LUT6 7 up to K = 12, then about K + 1
    (ABC's mapping of the clamp steps there)."""
    if family is Family.ECP5:
        return 3 * kept + 6
    return 7 if kept <= 12 else kept + 1


def pool_formula(lanes: int, taps: int, act_bits: int, sum_bits: int, out_bits: int,
                 average: bool, family: Family, kept: int = 0) -> Resources:
    """Pooling datapath (tri_pool.sv), uncalibrated. Max: LUT = L*(KT-1)*A (one
    compare-select per extra tap). Average: per lane the sum of KT (A+1)-bit taps, which
    yosys builds as a compressor tree, about KT*(A+1)*log2(KT) full-adder bits at 0.42
    LUT6 or 0.7 LUT4 each (measured over KT = 4, 9 and A = 4..8), and a requantizer lane
    of `kept` bits (requant_lane); DSP = L*dsp(SUMW, 16)."""
    if not average:
        return Resources(lut=logic(lanes * (taps - 1) * act_bits, family))
    per_bit = 0.7 if family is Family.ECP5 else 0.42
    tree = math.ceil(per_bit * taps * (act_bits + 1) * math.log2(max(taps, 2)))
    return Resources(lut=lanes * (tree + requant_lane(kept, family)),
                     dsp=lanes * dsp_per_multiply(sum_bits, REQUANT_MULT_BITS, family))


def gap_formula(lanes: int, sum_bits: int, out_bits: int, family: Family, kept: int) -> Resources:
    """Global average pool datapath (tri_gap.sv), uncalibrated: per lane an SUMW-bit
    accumulator (LUT6 SUMW + 3, LUT4 3*SUMW + 2, measured with 15-bit sums) and a
    requantizer lane of `kept` bits: FF = L*(SUMW + O), DSP = L*dsp(SUMW, 16)."""
    acc = 3 * sum_bits + 2 if family is Family.ECP5 else sum_bits + 3
    return Resources(lut=lanes * (acc + requant_lane(kept, family)),
                     ff=lanes * (sum_bits + out_bits),
                     dsp=lanes * dsp_per_multiply(sum_bits, REQUANT_MULT_BITS, family))


def add_formula(lanes: int, act_bits: int, out_bits: int, family: Family,
                products: int = 2) -> Resources:
    """Residual add datapath (tri_add.sv), uncalibrated: a*Ma + b*Mb + B per lane, of
    which `products` (general_products) multipliers are not powers of two; each of those
    is a product of dsp(A, 16) DSPs per lane, the others shifts.
    LUT6 (xc7, xcup): L*2*O (adder, shift and clamp) without products; with one, the
    DSP48's post-adder takes the sum and only the clamp is fabric, L*O. LUT4 (ECP5,
    whose multipliers have no post-adder): L*(2*O + products*(A + 16)), the products'
    sums in fabric (measured: python -m tritium.synth.calibrate --kinds add)."""
    if family is Family.ECP5:
        lut = lanes * (2 * out_bits + products * (act_bits + REQUANT_MULT_BITS))
    else:
        lut = lanes * (out_bits if products else 2 * out_bits)
    return Resources(lut=logic(lut, family),
                     dsp=products * lanes * dsp_per_multiply(act_bits, REQUANT_MULT_BITS, family))


def general_products(mults) -> int:
    """How many of the constant multipliers `mults` are products, not shifts (neither
    zero nor a power of two)."""
    return sum(1 for v in mults if abs(int(v)) & (abs(int(v)) - 1))


def axis_out_formula(channels: int, bits: int, pixels: int, family: Family) -> Resources:
    """The output port (tri_axis_out.sv), uncalibrated: one value of a pixel per beat
    through a C:1 select of O bits (select_luts(C) per bit), a channel and a pixel
    counter: LUT = O*select(C) + 2*(cw + pw), FF = cw + pw."""
    counters = index_bits(channels) + index_bits(pixels)
    return Resources(lut=math.ceil(bits * select_luts(channels, family)) + 2 * counters,
                     ff=counters)


def requant_formula(lanes: int, act_bits: int, out_bits: int, family: Family,
                    kept: int) -> Resources:
    """Standalone requantizer (tri_requant_stream.sv), uncalibrated: L requantizer lanes
    of `kept` bits (requant_lane), DSP = L*dsp(A, 16)."""
    return Resources(lut=lanes * requant_lane(kept, family),
                     dsp=lanes * dsp_per_multiply(act_bits, REQUANT_MULT_BITS, family))


def pool_cost(shape_in, kernel, act_bits, acc_bits, out_bits, average, family,
              window_rows: int, kept: int = 0) -> Resources:
    """MaxPool/AvgPool on a (H, W, C) input: its window unit window_cost(W, C, A, kernel,
    window_rows) and the calibrated datapath pool_formula(C, ..., kept)."""
    kh, kw = kernel
    kind = "pool_avg" if average else "pool_max"
    path = calibrated(kind, pool_formula(shape_in[-1], kh * kw, act_bits, acc_bits, out_bits,
                                         average, family, kept), family)
    return window_cost(shape_in[1], shape_in[2], act_bits, kernel, window_rows, family) + path


def gap_cost(channels, acc_bits, out_bits, family, kept: int) -> Resources:
    """GlobalAvgPool: the calibrated block gap_formula(C, ...) (its accumulators are
    registers, its pixel counter in the fit's constant)."""
    return calibrated("gap", gap_formula(channels, acc_bits, out_bits, family, kept), family)


def add_cost(channels, act_bits, out_bits, family, products: int = 2) -> Resources:
    """Residual add: the calibrated block add_formula(C, ..., products). Its skip FIFO is
    one of its input FIFOs (model.input_fifos)."""
    return calibrated("add", add_formula(channels, act_bits, out_bits, family, products), family)


def axis_out_cost(channels, bits, pixels, family) -> Resources:
    """The output port's serializer: the calibrated block axis_out_formula."""
    return calibrated("axis_out", axis_out_formula(channels, bits, pixels, family), family)


def requant_cost(channels, act_bits, out_bits, family, kept: int) -> Resources:
    """Standalone requantizer: the calibrated block requant_formula(C, ..., kept)."""
    return calibrated("requant", requant_formula(channels, act_bits, out_bits, family, kept),
                      family)
