"""Whole designs synthesized against their estimate (issue 12), per engine and in total.

    .venv/bin/python bench/synth_vs_estimate.py [--designs NAME ...] [--families xc7 ecp5]
        [-o DIR] [--jobs N] [--timeout S] [--json OUT.json]

For each design and family: `tritium.compile` for the family's board with the RTL
backend (into DIR/<design>-<family>), then `tritium synth` (`synth.design.synth_outdir`,
Yosys via YoWASP); from the report's `synth` section it takes estimated, synthesized and
estimated/synthesized (the report's ratio) for LUT, FF, BRAM18 and DSP, in total and per
engine, and the Yosys seconds. It prints two markdown tables, totals and engines of 1,000
LUT or more, with a mark (✗) on each figure outside issue 12's rule (`tritium.synth.rule`:
total within ±15% of the estimate, BRAM18/DSP ±15% or ±2; each engine of 1,000 LUT or more
within ±25%), and a summary line "rule: N of M designs within". `--json` writes all of it.

Designs: the digits models, the model `tritium demo` compresses (its compress step is
taken from `tritium.cli.demo.steps` and run once per invocation), and two generated nets
the calibration never saw (`zoo:probe-a`, `zoo:probe-b`, fixed seeds). The exit status is
0 whether or not the rule holds (this is a benchmark); 2 for bad options or no Yosys.
"""
from __future__ import annotations

import argparse
import contextlib
import io
import json
import sys
import tempfile
import time
import traceback
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

DEMO = "demo-32x"
DESIGNS = {   # name -> model spec (DEMO: built by the demo's compress step)
    "mlp-digits": "zoo:mlp-digits",
    "cnn-digits": "zoo:cnn-digits",
    DEMO: None,
    "probe-a": "zoo:probe-a:seed=1",
    "probe-b": "zoo:probe-b:seed=2",
}
BOARDS = {"xc7": "pynq-z2", "ecp5": "ulx3s"}   # the family's board: estimates are for it
RESOURCES = ("lut", "ff", "bram18", "dsp")
FLAG = "✗"


class Refused(Exception):
    """A bad option or a missing tool: one line, exit status 2."""


# --------------------------------------------------------------------------- designs

def demo_model(workdir: Path) -> Path:
    """The model `tritium demo` compiles: its own compress step (`demo.steps`), run into
    WORKDIR/demo. Returns the compressed .onnx."""
    from tritium.cli import build_parser, main
    from tritium.cli.demo import steps
    args = build_parser().parse_args(["demo", "-o", str(workdir / "demo")])
    argv = next((a for _, a in steps(args) if a[0] == "compress"), None)
    if argv is None:
        raise Refused("`tritium demo` has no compress step any more; update bench/synth_vs_estimate.py")
    out = Path(argv[argv.index("-o") + 1])
    out.parent.mkdir(parents=True, exist_ok=True)
    log = io.StringIO()
    t0 = time.perf_counter()
    with contextlib.redirect_stdout(log), contextlib.redirect_stderr(log):
        status = main(argv)
    (out.parent / "compress.log").write_text(log.getvalue())
    if status or not out.is_file():
        tail = " | ".join(log.getvalue().strip().splitlines()[-3:])
        raise RuntimeError(f"`tritium {' '.join(argv)}` failed (status {status}): {tail}")
    print(f"[{time.perf_counter() - t0:7.1f} s] {DEMO}: tritium {' '.join(argv)}",
          file=sys.stderr, flush=True)
    return out


# --------------------------------------------------------------------------- one run

def run_one(design: str, spec: str, family: str, workdir: str, timeout: float | None) -> dict:
    """Compile `spec` for the family's board (RTL), synthesize it, compare; never raises."""
    board = BOARDS[family]
    outdir = Path(workdir) / f"{design}-{family}"
    res: dict = {"design": design, "family": family, "board": board, "model": spec,
                 "outdir": str(outdir)}
    try:
        import tritium
        from tritium.board import Family
        from tritium.report.data import load_report
        from tritium.synth import rule
        from tritium.synth.design import synth_outdir
        t0 = time.perf_counter()
        tritium.compile(spec, board=board, backend="rtl", outdir=outdir)
        res["compile_seconds"] = round(time.perf_counter() - t0, 1)
        t0 = time.perf_counter()
        doc = synth_outdir(outdir, Family(family), timeout=timeout)
        res["synth_wall_seconds"] = round(time.perf_counter() - t0, 1)
        res["yosys_seconds"], res["yosys"] = doc["seconds"], doc["yosys"]
        section = load_report(outdir / "report.json")["synth"]
        rows = section["estimated_vs_synthesized"]
        est, syn = rule.split(rows)
        violations = rule.check(est, syn)
        res["total"] = rows[rule.TOTAL]
        res["engines"] = {k: v for k, v in rows.items() if k != rule.TOTAL}
        res["large_engines"] = sorted(k for k in res["engines"] if rule.is_large(est[k], syn[k]))
        res["glue"] = doc["glue"]
        res["fit"] = section.get("fit")
        res["violations"] = [{"scope": v.scope, "resource": v.resource, "estimated": v.estimated,
                              "synthesized": v.synthesized, "allowed": v.allowed, "text": str(v)}
                             for v in violations]
        res["within"] = not violations
    except Exception as e:  # noqa: BLE001 - a benchmark reports a failed run and goes on
        res["error"] = f"{type(e).__name__}: {e}"
        res["traceback"] = traceback.format_exc()
        res["within"] = False
    return res


# --------------------------------------------------------------------------- table

def _cell(row: dict, r: str, bad: set) -> str:
    c = row.get(r, {})
    est, syn, ratio = c.get("estimated"), c.get("synthesized"), c.get("ratio")
    text = f"{_n(est)} / {_n(syn)} ({'–' if ratio is None else f'{ratio:.2f}'})"
    return f"{text} {FLAG}" if r in bad else text


def _md(text: str, limit: int = 120) -> str:
    """One table cell: no pipes or line breaks, at most `limit` characters."""
    text = " ".join(text.split()).replace("|", "/")
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _n(v) -> str:
    return "–" if v is None else f"{v:,}"


def _bad(res: dict, scope: str) -> set:
    return {v["resource"] for v in res.get("violations", []) if v["scope"] == scope}


def bounds(share: float) -> str:
    """The est/syn range that |syn - est| <= share * est allows."""
    return f"{1 / (1 + share):.3f}..{1 / (1 - share):.3f}"


def tables(results: list[dict]) -> str:
    from tritium.synth import rule
    head = [f"{r.upper()} est / syn (est/syn)" for r in RESOURCES]
    lines = [f"est/syn is the report's ratio. Rule: |syn - est| <= {rule.TOTAL_SHARE:.0%} of est in "
             f"total (est/syn {bounds(rule.TOTAL_SHARE)}; BRAM18, DSP: or <= 2); {FLAG} marks a "
             "figure outside it.", "",
             "| design | family | " + " | ".join(head) + " | Yosys s | fits board | rule |",
             "|---|---|" + "---:|" * len(head) + "---:|---|---|"]
    for res in results:
        if "error" in res:
            lines.append(f"| {res['design']} | {res['family']} | "
                         + " | ".join("–" for _ in head) + f" | – | – | error: {_md(res['error'])} |")
            continue
        bad = _bad(res, "network")
        fit = res.get("fit") or {}
        fits = "yes" if fit.get("fits") else ("no: " + ", ".join(k.upper() for k in fit.get("over", {}))
                                                if fit else "–")
        n_bad = len(res["violations"])
        lines.append(f"| {res['design']} | {res['family']} | "
                     + " | ".join(_cell(res["total"], r, bad) for r in RESOURCES)
                     + f" | {res['yosys_seconds']:,.0f} | {fits} | "
                     + ("within" if not n_bad else f"{n_bad} figures outside") + " |")
    lines += ["", f"Engines of {rule.ENGINE_MIN_LUT:,} LUT or more (estimated or synthesized), "
              f"each within {rule.ENGINE_SHARE:.0%} of its estimate (est/syn "
              f"{bounds(rule.ENGINE_SHARE)}; BRAM18, DSP: or <= 2):", "",
              "| design | family | engine | " + " | ".join(head) + " |",
              "|---|---|---|" + "---:|" * len(head)]
    for res in results:
        for name in res.get("large_engines", []):
            bad = _bad(res, name)
            lines.append(f"| {res['design']} | {res['family']} | {name} | "
                         + " | ".join(_cell(res["engines"][name], r, bad) for r in RESOURCES) + " |")
    return "\n".join(lines)


def summary(results: list[dict]) -> str:
    from tritium.synth import rule
    ok = sum(r["within"] for r in results)
    return (f"rule: {ok} of {len(results)} designs within (total ±{rule.TOTAL_SHARE:.0%}, "
            f"BRAM18/DSP ±{rule.TOTAL_SHARE:.0%} or ±2; engines of >= {rule.ENGINE_MIN_LUT:,} LUT "
            f"±{rule.ENGINE_SHARE:.0%}; shares of the estimate)")


def _rule_doc() -> dict:
    from tritium.synth import rule
    return {"total_share": rule.TOTAL_SHARE, "engine_share": rule.ENGINE_SHARE,
            "engine_min_lut": rule.ENGINE_MIN_LUT, "slack": rule.SLACK,
            "tolerance_of": "estimate"}


# --------------------------------------------------------------------------- main

def _parse(argv) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--designs", nargs="+", default=list(DESIGNS), metavar="NAME",
                   help=f"subset of: {', '.join(DESIGNS)} (default: all)")
    p.add_argument("--families", nargs="+", default=list(BOARDS), metavar="F",
                   help=f"subset of: {', '.join(f'{f} ({b})' for f, b in BOARDS.items())}")
    p.add_argument("-o", "--output", metavar="DIR",
                   help="work directory for the compiled designs (default: a new temporary one)")
    p.add_argument("--jobs", type=int, default=1, help="designs synthesized in parallel processes")
    p.add_argument("--timeout", type=float, metavar="S", help="give up on one synthesis after S s")
    p.add_argument("--json", metavar="OUT", help="write every figure and violation to OUT as JSON")
    a = p.parse_args(argv)
    for what, given, known in (("design", a.designs, DESIGNS), ("family", a.families, BOARDS)):
        for x in given:
            if x not in known:
                raise Refused(f"unknown {what} '{x}'; known: {', '.join(known)}")
    if a.jobs < 1:
        raise Refused(f"--jobs must be at least 1, got {a.jobs}")
    if a.timeout is not None and a.timeout <= 0:
        raise Refused(f"--timeout must be positive, got {a.timeout}")
    a.designs = list(dict.fromkeys(a.designs))
    a.families = list(dict.fromkeys(a.families))
    return a


def main(argv=None) -> int:
    try:
        a = _parse(argv)
        from tritium.errors import ToolError
        from tritium.synth.yosys import yosys_command
        try:
            yosys_command()
        except ToolError as e:
            raise Refused(str(e)) from None
    except Refused as e:
        print(f"synth_vs_estimate: {e}", file=sys.stderr)
        return 2
    workdir = Path(a.output) if a.output else Path(tempfile.mkdtemp(prefix="synth_vs_estimate_"))
    workdir.mkdir(parents=True, exist_ok=True)
    print(f"work directory: {workdir}", file=sys.stderr, flush=True)
    t_start = time.perf_counter()
    specs = {d: DESIGNS[d] for d in a.designs}
    failed: dict[str, str] = {}
    if DEMO in specs:
        try:
            specs[DEMO] = str(demo_model(workdir))
        except Exception as e:  # noqa: BLE001 - reported as that design's error
            failed[DEMO] = f"{type(e).__name__}: {e}"
    jobs = [(d, specs[d], f) for d in a.designs for f in a.families]
    results: list[dict] = []
    todo = [j for j in jobs if j[0] not in failed]
    with ProcessPoolExecutor(max_workers=a.jobs) as pool:
        futures = {j: pool.submit(run_one, *j, str(workdir), a.timeout) for j in todo}
        for d, spec, f in jobs:
            if d in failed:
                res = {"design": d, "family": f, "board": BOARDS[f], "model": spec,
                       "error": failed[d], "within": False}
            else:
                res = futures[(d, spec, f)].result()
            results.append(res)
            state = res.get("error") or (f"Yosys {res['yosys_seconds']} s, "
                                         f"{len(res['violations'])} figures outside the rule")
            print(f"[{time.perf_counter() - t_start:7.1f} s] {d} {f}: {state}",
                  file=sys.stderr, flush=True)
    print(tables(results))
    print()
    for res in results:
        for v in res.get("violations", []):
            print(f"- {res['design']} {res['family']}: {v['text']}")
    print(summary(results))
    if a.json:
        doc = {"command": "bench/synth_vs_estimate.py " + " ".join(sys.argv[1:] if argv is None else argv),
               "workdir": str(workdir), "seconds": round(time.perf_counter() - t_start, 1),
               "boards": {f: BOARDS[f] for f in a.families}, "rule": _rule_doc(),
               "summary": summary(results),
               "within": sum(r["within"] for r in results), "runs": results}
        Path(a.json).parent.mkdir(parents=True, exist_ok=True)
        Path(a.json).write_text(json.dumps(doc, indent=1, ensure_ascii=False) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
