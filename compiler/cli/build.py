"""`tritium build OUTDIR [--out-of-context] [--json]`: place and route to a bitstream.

For ECP5 boards whose profile has a `pnr` section (ulx3s): yosys synth_ecp5,
nextpnr-ecp5 with the board's pins, ecppack -> OUTDIR/bitstream/<top>.bit;
OUTDIR/build.json and build.log; the achieved Fmax, the critical path and the
utilisation after place and route go into report.json/html (`timing`).
`--out-of-context` places and routes the network alone for its timing (no pins,
no bitstream). A failed stage is one line naming it (see tritium.synth.pnr).
"""
from __future__ import annotations

from .common import console, emit_json


def register(sub) -> None:
    p = sub.add_parser("build", help="place and route an ECP5 design to a bitstream "
                                     "(yosys, nextpnr-ecp5, ecppack)")
    p.add_argument("outdir", metavar="OUTDIR",
                   help="output directory of `tritium compile --board ulx3s --backend rtl`")
    p.add_argument("--out-of-context", action="store_true",
                   help="place and route the network alone for its timing (no pins, no bitstream)")
    p.add_argument("--json", action="store_true", help="print build.json instead of a summary")
    p.set_defaults(func=run)


def run(args) -> int:
    from ..synth.pnr import build_outdir, path_words
    with console().status("tritium build", spinner="dots") as status:
        doc = build_outdir(args.outdir, args.out_of_context,
                           progress=lambda line: status.update(f"tritium build: {line}"))
    if args.json:
        emit_json(doc)
        return 0
    t, u = doc["timing"], doc["utilisation"]
    used = ", ".join(f"{k.upper()} {v['used']:,}/{v['available']:,}" for k, v in u.items()
                     if k in ("lut4", "ff", "ebr", "mult18"))
    s = doc["seconds"]
    console().print(f"Fmax {t['fmax_mhz']:.1f} MHz (board clock {t['target_mhz']:g} MHz, met); "
                    f"{path_words(t)}")
    console().print(f"after place and route: {used}; synth {s['synth']} s, place and route "
                    f"{s['pnr']} s")
    console().print(f"bitstream: {args.outdir}/{doc['bitstream']}" if doc["bitstream"]
                    else "out of context: no bitstream")
    return 0
