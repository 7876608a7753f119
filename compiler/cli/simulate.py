"""`tritium simulate`: run a verification level over a dataset (DESIGN §5).

- `golden` (L1): the integer golden model of MODEL, with the float
  fake-quant view (L0) beside it for argmax agreement.
- `csim` (L2): the generated HLS C++ of a compile OUTDIR, built with g++
  against Tritium's stand-in types, or with `--hls-include DIR` against AMD's
  `ap_int.h`/`hls_stream.h` in DIR; `--jobs N` runs the vectors in N
  processes of the one binary.
- `rtl` (L3): the generated SystemVerilog of a compile OUTDIR in Verilator,
  with random input gaps and output backpressure, and cycles per frame
  measured against the schedule model.

Every level reports `level`, `n`, `accuracy` (a fraction, 0..1) and
`mismatches` (output values that differ from the golden model; 0 by
definition at the golden level). The work is `tritium.api.simulate`; `--json`
prints its `SimResult.to_json()`, which carries `schema_version`.
"""
from __future__ import annotations

from pathlib import Path

from ..api import BACKEND_DIR, LEVELS
from ..errors import OptionError
from .common import add_model_args, finish, load, progress, status


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
    p.add_argument("--hls-include", metavar="DIR",
                   help="csim: build against AMD's ap_int.h and hls_stream.h in DIR (a Vitis include/, "
                        "or the folder `python -m tritium.sim.hls_headers` prints) instead of "
                        "Tritium's stand-in types")
    p.add_argument("--no-gaps", action="store_true",
                   help="rtl: drive the input without gaps and never stall the output")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--save-outputs", metavar="F.npy", help="write the integer outputs of every input")
    p.set_defaults(func=run)


def run(args) -> int:
    from ..api import simulate
    if args.level == "golden":
        target = load(args)
    else:
        _compiled(args)
        target = args.model
    r = simulate(target, args.level, dataset=args.dataset, limit=args.limit, jobs=args.jobs,
                 gaps=not args.no_gaps, hls_include=args.hls_include, progress=progress, step=status)
    return finish(args, r, _print)


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
    if r["level"] == "csim" and r["hls_include"]:
        axi = "its own" if r["ap_axi_sdata"] == "DIR" else "Tritium's UG1399 model"
        line += f"; built against AMD's headers in {r['hls_include']} (ap_axi_sdata.h: {axi})"
    if r["level"] == "rtl":
        line += (f"; {r['cycles_per_frame']:.1f} cycles/frame measured, "
                 f"{r['model_cycles_per_frame']} by the RTL model, "
                 f"{r['schedule_cycles_per_frame']} by the schedule")
    if r["clamped_inputs"]:
        line += (f"; {r['clamped_inputs']} of {r['n']} inputs hold values outside the input "
                 "quantizer's range and were clamped")
    print(line)
