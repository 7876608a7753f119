"""The board wrapper of an RTL design: UART bridge, PLL and pins (docs/architecture.md,
"Board wrapper").

`generate_board(plan, graph, board)` adds to an RTL plan (`codegen.rtl`) what
makes it a bitstream's top on an ECP5 board whose profile has pin constraints
(`pnr.lpf`, read by `pin_map`):

    rtl/lib/tri_crc16.sv tri_uart_rx.sv tri_uart_tx.sv tri_frame_rx.sv tri_frame_tx.sv
    rtl/board/tritium_wrapper.sv   UART + framing + tritium_top, no vendor primitive (simulates)
    rtl/board/tritium_board.sv     the board top: oscillator -> EHXPLLL -> wrapper, LEDs
    rtl/board/board.json           top, sources in compile order (relative to rtl/), pins,
                                   clock and PLL, baud, and the `link` that `tritium run` reads

The PLL and the baud divisor are computed here, for the board profile's
`clock_mhz`; the network's sources and `rtl/meta.json` are not touched, so
the RTL simulation builds are the same with or without a wrapper.
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from fractions import Fraction

from ..board import Board, Family
from ..board_io.framing import REPLY, REQUEST
from ..board_io.link import Link
from ..errors import BoardError
from ..ir.graph import Graph
from .plan import Plan
from .render import TEMPLATES, environment, header

WRAPPER = "tritium_wrapper"
BOARD_TOP = "tritium_board"
LIB_DIR = TEMPLATES / "lib" / "rtl"
LIBRARY = ("tri_crc16.sv", "tri_uart_rx.sv", "tri_uart_tx.sv", "tri_frame_rx.sv", "tri_frame_tx.sv")
DEFAULT_BAUD = 1_000_000     # exact at 25/50/100 MHz, and a rate every FTDI driver takes
MAX_BAUD_ERROR = 0.02        # 8N1 tolerates about 4.5% between both ends; keep half for the host
MIN_CLKS_PER_BIT = 4
SEQ_DEPTH = 4                # sequence numbers of frames inside the network


@dataclass(frozen=True)
class Pin:
    port: str       # the board top's port (bit)
    site: str       # package ball
    io: str         # IO_TYPE
    what: str


@dataclass(frozen=True)
class PinMap:
    """The pins of a board's wrapper top: its oscillator, the UART of its USB bridge, LEDs."""

    osc_mhz: float
    clock_port: str
    pins: tuple[Pin, ...]
    source: str


# The ports the board top has (board_ecp5.sv.j2), besides the oscillator's.
UART_PORTS = ("uart_rx", "uart_tx")
LED_PORTS = tuple(f"led[{i}]" for i in range(8))


def pin_map(board: Board) -> PinMap:
    """The pins of `board`'s wrapper top, from its profile's constraint file (`pnr.lpf`,
    its pins from the published board definition named in `pnr.pins_source`): the
    oscillator (its FREQUENCY PORT), the USB bridge's UART and eight LEDs."""
    if board.family is not Family.ECP5 or board.pnr is None:
        raise BoardError(f"no board wrapper for '{board.name}': a wrapper needs an ECP5 board "
                         "whose profile has a `pnr` section with its pin constraints (ulx3s)")
    pnr = board.pnr
    sites, io = pnr.pins(), pnr.io_types()
    clock = pnr.clock_port()
    missing = [q for q in (clock, *UART_PORTS, *LED_PORTS) if q not in sites]
    if missing:
        raise BoardError(f"{pnr.lpf_path()} does not place {', '.join(missing)}; the board "
                         f"wrapper's top needs {clock}, {', '.join(UART_PORTS)} and led[0..7]")
    what = {clock: f"{pnr.oscillator_mhz:g} MHz oscillator",
            "uart_rx": "UART from the host (the USB bridge's TXD)",
            "uart_tx": "UART to the host (the USB bridge's RXD)",
            **{q: f"LED {i}" for i, q in enumerate(LED_PORTS)}}
    return PinMap(pnr.oscillator_mhz, clock,
                  tuple(Pin(q, sites[q], io.get(q, "LVCMOS33"), what[q])
                        for q in (clock, *UART_PORTS, *LED_PORTS)), pnr.pins_source)


# --------------------------------------------------------------------------- PLL

@dataclass(frozen=True)
class Pll:
    """EHXPLLL dividers with CLKOP fed back: fout = fin * clkfb_div / clki_div."""

    clki_div: int
    clkfb_div: int
    clkop_div: int
    fout_mhz: float
    fvco_mhz: float


def pll(fin_mhz: float, fout_mhz: float) -> Pll:
    """The ECP5 PLL setting closest to `fout_mhz`, then with its VCO nearest 600 MHz.

    Limits (ECP5 data sheet FPGA-DS-02012, sysCLOCK PLL timing): phase detector
    3.125..400 MHz, VCO 400..800 MHz, output 3.125..400 MHz; dividers CLKI 1..128,
    CLKFB 1..80, CLKOP 1..128. Exact arithmetic, so an exact setting is found exactly.
    """
    fin, want = Fraction(fin_mhz).limit_denominator(10**6), Fraction(fout_mhz).limit_denominator(10**6)
    if not Fraction(3125, 1000) <= want <= 400:
        raise BoardError(f"an ECP5 PLL output is 3.125..400 MHz; the board profile asks {fout_mhz} MHz")
    best = None
    for ci in range(1, 129):
        pfd = fin / ci
        if not Fraction(3125, 1000) <= pfd <= 400:
            continue
        for fb in range(1, 81):
            fout = pfd * fb
            for op in range(1, 129):
                vco = fout * op
                if vco < 400:
                    continue
                if vco > 800:
                    break
                key = (abs(fout - want), abs(vco - 600))
                if best is None or key < best[0]:
                    best = (key, ci, fb, op, fout, vco)
    if best is None:
        raise BoardError(f"no ECP5 PLL setting makes {fout_mhz} MHz from {fin_mhz} MHz")
    _, ci, fb, op, fout, vco = best
    return Pll(ci, fb, op, _mhz(fout), _mhz(vco))


def _mhz(f: Fraction) -> float:
    return round(float(f), 6)


def clks_per_bit(clock_mhz: float, baud: int) -> int:
    """The UART divisor for `baud` at `clock_mhz`; `BoardError` if the rate is off by more than 2%."""
    div = round(clock_mhz * 1e6 / baud)
    if div < MIN_CLKS_PER_BIT:
        raise BoardError(f"{baud} baud needs at least {MIN_CLKS_PER_BIT} clocks per bit; "
                         f"{clock_mhz} MHz gives {clock_mhz * 1e6 / baud:.2f}")
    err = abs(clock_mhz * 1e6 / div - baud) / baud
    if err > MAX_BAUD_ERROR:
        raise BoardError(f"{baud} baud at {clock_mhz} MHz is {err:.1%} off with divisor {div} "
                         f"(at most {MAX_BAUD_ERROR:.0%}); choose a clock that divides into it")
    return div


# --------------------------------------------------------------------------- plan

def has_wrapper(board: Board) -> bool:
    """Whether `generate_board` can wrap a design for `board` (an ECP5 profile with pins)."""
    return board.family is Family.ECP5 and board.pnr is not None


def link_of(graph: Graph, meta: dict, baud: int) -> Link:
    """The request and reply payloads of a design (`rtl/meta.json`, the model's input type)."""
    q = graph.input.qtype
    return Link(meta["in_tdata_bits"], meta["in_beats_per_frame"], int(graph.input.shape[-1]), q.bits,
                bool(q.signed), meta["out_tdata_bits"], meta["out_beats_per_frame"],
                bool(meta["out_signed"]), baud)


def generate_board(plan: Plan, graph: Graph, board: Board, baud: int = DEFAULT_BAUD) -> Plan:
    """The wrapper, board top and board.json of the RTL design in `plan` (see module doc)."""
    pins = pin_map(board)
    meta = json.loads(plan["rtl/meta.json"])
    p = pll(pins.osc_mhz, board.clock_mhz)
    cpb = clks_per_bit(p.fout_mhz, baud)
    link = link_of(graph, meta, baud)
    env = environment("rtl")
    ctx = {"header": header(meta["model"]), "top": meta["top"], "wrapper": WRAPPER,
           "board_top": BOARD_TOP, "in_tw": link.in_tdata_bits, "in_beats": link.in_beats,
           "out_tw": link.out_tdata_bits, "out_beats": link.out_beats, "request": REQUEST,
           "reply": REPLY, "seq_depth": SEQ_DEPTH, "clks_per_bit": cpb, "baud": baud,
           "clock_mhz": board.clock_mhz, "board": board.name, "part": board.part,
           "osc_mhz": pins.osc_mhz, "clock_port": pins.clock_port, "pins": pins.pins,
           "pins_source": pins.source, "pll": p,
           "blink_bits": max(2, round(p.fout_mhz * 1e6).bit_length() - 1)}   # about 1 Hz
    out: Plan = {f"rtl/lib/{f}": (LIB_DIR / f).read_text() for f in LIBRARY}
    out[f"rtl/board/{WRAPPER}.sv"] = env.get_template("board_wrapper.sv.j2").render(**ctx)
    out[f"rtl/board/{BOARD_TOP}.sv"] = env.get_template("board_ecp5.sv.j2").render(**ctx)
    wrapper_sources = [*meta["sources"], *(f"lib/{f}" for f in LIBRARY), f"board/{WRAPPER}.sv"]
    doc = {"top": BOARD_TOP, "wrapper": WRAPPER, "board": board.name, "part": board.part,
           "sources": [*wrapper_sources, f"board/{BOARD_TOP}.sv"], "wrapper_sources": wrapper_sources,
           "pins": {q.port: {"site": q.site, "io": q.io} for q in pins.pins},
           "pins_source": pins.source, "osc_mhz": pins.osc_mhz, "target_mhz": board.clock_mhz,
           "clock_mhz": p.fout_mhz, "pll": asdict(p), "clks_per_bit": cpb, "link": link.to_json()}
    out["rtl/board/board.json"] = json.dumps(doc, indent=2, sort_keys=True) + "\n"
    return out
