"""`tritium boards`: the shipped board profiles."""
from __future__ import annotations

from .. import schema
from .common import console, emit_json


def register(sub) -> None:
    p = sub.add_parser("boards", help="list the board profiles (part, resources, clock, S)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=run)


def run(args) -> int:
    from ..board import known_boards, load_board
    boards = [load_board(n) for n in known_boards()]
    if args.json:
        emit_json(schema.stamp("boards", {"boards": {b.name: b.to_json() for b in boards}}))
        return 0
    from rich.table import Table
    t = Table(title="board profiles (boards/*.yaml)")
    for col in ("board", "part", "family", "LUT", "FF", "BRAM18", "URAM", "DSP", "MHz", "usable", "S",
                "source"):
        t.add_column(col, justify="left" if col in ("board", "part", "family", "source") else "right")
    for b in boards:
        t.add_row(b.name, b.part, b.family.value, f"{b.lut:,}", f"{b.ff:,}", f"{b.bram18:,}",
                  f"{b.uram:,}", f"{b.dsp:,}", f"{b.clock_mhz:g}", f"{b.usable_fraction:.0%}",
                  str(b.simd), b.source)
    console().print(t)
    return 0
