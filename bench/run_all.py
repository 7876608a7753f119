"""All benchmarks in one run, one table (issue 7).

    .venv/bin/python bench/run_all.py [--json] [--families xc7 ecp5] [--n 256]

Reuses the other bench scripts' functions: schedule_quality.measure (compile
seconds, sparse/dense cycles, cycles/lower bound), golden_throughput.measure
(golden vs PyTorch), csim_throughput.bench (C-sim images/s), rtl_sim.bench (RTL
cycles/s and digits accuracy), tritium.synth.units.lane_comparison (the
ternary vs LUT-only int8 PE lane bank, tri_pe.sv, per family), and
build_timing.build_one (tritium build on the ULX3S: Fmax, post-route LUT4/FF/EBR/
MULT18, place-and-route seconds; `--build small mlp-digits cnn-digits-32x`). A step whose
tool is missing is reported as skipped with the reason, never silently dropped.
"""
from __future__ import annotations

import argparse
import contextlib
import io
import json
import re
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

COMPILE_MODELS = ["zoo:resnet18:density=0.25", "zoo:vgg16"]
DIGITS = "zoo:cnn-digits"


def _step(out: dict, name: str, fn):
    t0 = time.perf_counter()
    try:
        out[name] = fn()
    except Exception as e:  # noqa: BLE001 - a benchmark reports every failure and goes on
        out[name] = {"skipped": f"{type(e).__name__}: {e}"}
    print(f"[{time.perf_counter() - t0:6.1f} s] {name}: {out[name]}", file=sys.stderr, flush=True)


def compile_models(board_name: str) -> dict:
    import schedule_quality
    from tritium.board import load_board
    board = load_board(board_name)
    res = {}
    for spec in COMPILE_MODELS:
        r = schedule_quality.measure(spec, board, pe=16)
        res[spec] = {k: r[k] for k in ("fits", "seconds", "dense/sparse", "max cycles/LB", "fps")}
    return res


def golden_vs_torch() -> dict:
    """golden_throughput's own sizes (all 360 digits test-set-sized inputs, batches of
    120): a 64-image run lasts tens of milliseconds and its ratio is noise."""
    try:
        import golden_throughput
    except ImportError:
        return {"skipped": "bench/golden_throughput.py is not present"}
    _, n, batch = golden_throughput.MODELS[0]
    return golden_throughput.measure(DIGITS, n, batch)


def csim(n: int) -> dict:
    import csim_throughput
    from tritium.board import load_board
    text = csim_throughput.bench(DIGITS, n, load_board("zcu104"))
    m = re.search(r"C-sim\s+([\d.]+) img/s", text)
    return {"images_per_s": float(m.group(1)) if m else None, "line": text.strip()}


def rtl(n: int) -> dict:
    import rtl_sim
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        rtl_sim.bench(DIGITS, "pynq-z2", n, False)
    text = buf.getvalue()
    cyc = re.search(r"([\d,]+) cycles/s", text)
    acc = re.search(r"accuracy ([\d.]+)%", text)
    return {"cycles_per_s": float(cyc.group(1).replace(",", "")) if cyc else None,
            "digits_accuracy_pct": float(acc.group(1)) if acc else None, "line": text.strip()}


def compression() -> dict:
    import tritium
    from tritium.ir.stats import model_stats
    s = model_stats(tritium.load(DIGITS).graph, 16)
    return {"model": DIGITS, "compression_vs_fp32": round(s.fp32_bits / max(s.weight_bits, 1), 2),
            "ternary_fraction": round(s.ternary_fraction, 3)}


def lanes(families: list[str]) -> dict:
    from tritium.board import Family
    from tritium.synth.units import lane_comparison
    return {f: lane_comparison(Family(f)) for f in families}


def build(designs: list[str]) -> dict:
    """bench/build_timing.py's rows (tritium build on the ULX3S), by design."""
    import tempfile
    import build_timing
    with tempfile.TemporaryDirectory(prefix="run_all_build_") as tmp:
        return {d: build_timing.build_one(d, Path(tmp), False) for d in designs}


def table(r: dict) -> str:
    rows = []
    for spec, c in r["compile"].items() if "skipped" not in r["compile"] else []:
        rows.append((f"compile s: {spec}", f"{c['seconds']:.2f} (fits: {c['fits'][:60]})"))
        rows.append((f"dense/sparse cycles: {spec}", f"{c['dense/sparse']:.3f}"))
        rows.append((f"max cycles/lower bound: {spec}", f"{c['max cycles/LB']:.4f}"))
    g, cs, rt, co = r["golden_vs_torch"], r["csim"], r["rtl"], r["compression"]
    rows.append(("golden vs PyTorch throughput",
                 g.get("skipped") or f"{g['golden_vs_torch']:.3f}x"))
    rows.append(("C-sim images/s (cnn-digits)", cs.get("skipped") or cs["images_per_s"]))
    rows.append(("RTL cycles/s (cnn-digits)", rt.get("skipped") or rt["cycles_per_s"]))
    rows.append(("digits accuracy (RTL, %)", rt.get("skipped") or rt["digits_accuracy_pct"]))
    rows.append(("compression vs fp32 (cnn-digits)",
                 co.get("skipped") or co["compression_vs_fp32"]))
    for f, c in r["lanes"].items() if "skipped" not in r["lanes"] else []:
        t, i = c["ternary"], c["int8"]
        rows.append((f"ternary vs int8 lane LUT ratio ({f}, S={c['simd']})",
                     f"{c['ternary_vs_int8_lut_ratio']} ({t['lut']} vs {i['lut']} LUT; "
                     f"DSP {t['dsp']} vs {i['dsp']})"))
    for d, b in r.get("build", {}).items() if "skipped" not in r.get("build", {}) else []:
        rows.append((f"ULX3S place and route: {d}",
                     f"Fmax {b['fmax_mhz']} MHz of {b['target_mhz']:g}; LUT4 {b.get('lut4')}, "
                     f"FF {b.get('ff')}, EBR {b.get('ebr')}, MULT18 {b.get('mult18')}; "
                     f"nextpnr {b['pnr_s']} s; bitstream {'yes' if b['bitstream'] else 'no'}"))
    w = max(len(k) for k, _ in rows)
    return "\n".join(f"{k:<{w}}  {v}" for k, v in rows)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--board", default="zcu102")
    p.add_argument("--n", type=int, default=256,
                   help="images for the throughput and accuracy runs")
    p.add_argument("--families", nargs="+", default=["xc7", "ecp5"])
    p.add_argument("--build", nargs="*", metavar="DESIGN", default=["small"],
                   help="designs of bench/build_timing.py to place and route for the ULX3S "
                        "(default: small; mlp-digits and cnn-digits-32x take 10 to 20 minutes)")
    a = p.parse_args(argv)
    t0 = time.perf_counter()
    r: dict = {}
    _step(r, "compile", lambda: compile_models(a.board))
    _step(r, "golden_vs_torch", golden_vs_torch)
    _step(r, "csim", lambda: csim(a.n))
    _step(r, "rtl", lambda: rtl(a.n))
    _step(r, "compression", compression)
    _step(r, "lanes", lambda: lanes(a.families))
    if a.build:
        _step(r, "build", lambda: build(a.build))
    lane = r["lanes"].get(a.families[0], {}) if "skipped" not in r["lanes"] else {}
    r["ternary_vs_int8_lut_ratio"] = lane.get("ternary_vs_int8_lut_ratio")
    r["seconds"] = round(time.perf_counter() - t0, 1)
    if a.json:
        json.dump(r, sys.stdout, indent=1, sort_keys=True, default=str)
        print()
    else:
        print(table(r))
        print(f"total {r['seconds']} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
