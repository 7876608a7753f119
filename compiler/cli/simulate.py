"""`tritium simulate`: run a verification level over a dataset (DESIGN §5).

- `golden` (L1): the integer golden model of MODEL, with the float
  fake-quant view (L0) beside it for argmax agreement.
- `csim` (L2): the generated HLS C++ of a compile OUTDIR, built with g++;
  `--jobs N` runs the vectors in N processes of the one binary.
- `rtl` (L3): the generated SystemVerilog of a compile OUTDIR in Verilator,
  with random input gaps and output backpressure, and cycles per frame
  measured against the schedule model.

Every level reports `level`, `n`, `accuracy` and `mismatches` (output values
that differ from the golden model; 0 by definition at the golden level).
"""
from __future__ import annotations

import json
from pathlib import Path

from ..errors import OptionError
from .common import add_model_args, emit_json, load, progress, save_npy, status

LEVELS = ("golden", "csim", "rtl")
BACKEND_DIR = {"csim": "hls", "rtl": "rtl"}


def register(sub) -> None:
    p = sub.add_parser("simulate", help="run the golden model, C-sim or RTL simulation on a dataset")
    add_model_args(p)
    p.add_argument("--level", choices=LEVELS, default="golden",
                   help="golden: MODEL or a compile OUTDIR; csim / rtl: a compile OUTDIR "
                        "made with --backend hls / rtl")
    p.add_argument("--dataset", default="digits", metavar="DATA",
                   help="'digits' (the fixed 360-image test split) or an .npz with x and y")
    p.add_argument("--limit", type=int, metavar="N", help="use the first N inputs only")
    p.add_argument("--jobs", type=int, default=1, metavar="N",
                   help="csim: run the vectors in N processes of the one binary, each on a contiguous "
                        "chunk (0: one per CPU; default 1)")
    p.add_argument("--no-gaps", action="store_true",
                   help="rtl: drive the input without gaps and never stall the output")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--save-outputs", metavar="F.npy", help="write the integer outputs of every input")
    p.set_defaults(func=run)


def run(args) -> int:
    from ..data import channels_last, fit_input, load_dataset
    from ..ir.interp import run_float, run_golden
    if args.jobs < 0:
        raise OptionError(f"--jobs must be 0 (one per CPU) or a number of processes, got {args.jobs}")
    if args.jobs != 1 and args.level != "csim":
        raise OptionError("--jobs applies to --level csim only")
    data = load_dataset(args.dataset).limit(args.limit)
    outdir = _compiled(args) if args.level != "golden" else None
    m = load(args)
    x = channels_last(fit_input(data.x, m.graph.input.shape, data.name))
    result = {"level": args.level, "model": args.model, "dataset": data.name, "n": int(len(x))}
    if args.level == "golden":
        with progress(len(x), "golden model") as advance:
            out = run_golden(m.graph, x, progress=advance)
        ref = _argmax(run_float(m.float_graph, x))
        result.update(mismatches=0, float_accuracy=_acc(ref, data.y),
                      float_agreement=float((ref == _argmax(out)).mean()))
    else:
        out = _run_design(args, outdir, m.graph, x, data.y, result)
    result["accuracy"] = _acc(_argmax(out), data.y)
    if args.save_outputs:
        save_npy(args.save_outputs, out)
    if args.json:
        emit_json(result)
    else:
        _print(result)
    return 0 if result["mismatches"] == 0 else 1


def _compiled(args) -> Path:
    d = Path(args.model)
    sub = BACKEND_DIR[args.level]
    if not (d / "compile.json").is_file():
        raise OptionError(f"--level {args.level} simulates a compiled design: MODEL must be the "
                          f"OUTDIR of `tritium compile ... --backend {sub} -o OUTDIR`")
    if not (d / sub).is_dir():
        raise OptionError(f"'{d}' has no {sub}/ design; compile it with --backend {sub}")
    for flag in ("weights", "calibrate", "input_shape"):
        if getattr(args, flag):
            raise OptionError(f"--{flag.replace('_', '-')} applies when compiling; "
                              f"'{d}' already holds the compiled model")
    return d


def _run_design(args, outdir: Path, graph, x, y, result: dict):
    from tritium.sim.vectors import make_vectors
    from ..errors import ModelError
    meta = json.loads((outdir / "compile.json").read_text())
    if meta.get("fingerprint") != graph.fingerprint():
        raise ModelError(f"'{outdir}' was compiled from a different model or tritium version "
                         "than the one saved in it; compile it again")
    with status(f"golden model on {len(x)} inputs"):
        vectors = make_vectors(graph, x)
    if args.level == "csim":
        from tritium.sim.csim import jobs_count, run_csim
        with status("C-simulation: building with g++ (cached by content) and running every vector"):
            r = run_csim(outdir / "hls", vectors, graph=graph, jobs=args.jobs)
        result.update(mismatches=int(r.mismatches), mismatched_vectors=int(r.mismatched_vectors),
                      first_mismatch=str(r.first_mismatch) if r.first_mismatch else None,
                      build_seconds=round(r.build_seconds, 3), run_seconds=round(r.run_seconds, 3),
                      jobs=jobs_count(args.jobs))
    else:
        from tritium.sim.rtl import run_rtl
        gaps = not args.no_gaps
        with status("RTL simulation: building with Verilator (cached by content) and running"):
            r = run_rtl(outdir / "rtl", vectors, gaps=gaps, backpressure=gaps)
        result.update(mismatches=int(r.mismatches), first_mismatch=r.first_mismatch,
                      tlast_errors=int(r.tlast_errors),
                      cycles_per_frame=float(r.cycles_per_frame),
                      model_cycles_per_frame=int(r.model_cycles_per_frame),
                      schedule_cycles_per_frame=int(r.schedule_cycles_per_frame),
                      gaps=gaps, sim_seconds=round(r.sim_seconds, 3))
        if r.tlast_errors:
            result["mismatches"] += int(r.tlast_errors)
    result["golden_accuracy"] = _acc(_argmax(vectors.y), y)
    return r.outputs


def _argmax(out):
    return out.reshape(len(out), -1).argmax(1)


def _acc(pred, y) -> float:
    return float((pred == y).mean()) if len(pred) else 0.0


def _print(r: dict) -> None:
    line = (f"{r['model']} on {r['dataset']} ({r['n']} inputs), level {r['level']}: "
            f"accuracy {r['accuracy']:.2%}")
    if r["level"] == "golden":
        line += (f"; float model {r['float_accuracy']:.2%}, "
                 f"argmax agreement {r['float_agreement']:.2%}")
    else:
        line += (f" (golden {r['golden_accuracy']:.2%}); "
                 f"{r['mismatches']} output values differ from the golden model")
        if r.get("first_mismatch"):
            line += f" (first: {r['first_mismatch']})"
    if r["level"] == "rtl":
        line += (f"; {r['cycles_per_frame']:.1f} cycles/frame measured, "
                 f"{r['model_cycles_per_frame']} by the RTL model, "
                 f"{r['schedule_cycles_per_frame']} by the schedule")
    print(line)
