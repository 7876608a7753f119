"""`tritium compile MODEL --board BOARD -o OUTDIR`: schedule, fold and report.

Writes `schedule.json` (the PE-array schedule both backends consume),
`report.json` and `report.html` into OUTDIR, and prints a summary. The work
is `tritium.api.compile`: everything is built in memory first (a plan of
relative path -> bytes) and written by `write_plan`, which fills a temporary
directory beside OUTDIR and moves it into place: a failed or interrupted run
leaves nothing half-written, and the same inputs give byte-identical files.
"""
from __future__ import annotations

from .common import add_model_args, load, status


def register(sub) -> None:
    p = sub.add_parser("compile", help="PE-array schedule, folding and reports for a board")
    add_model_args(p)
    p.add_argument("--board", required=True, metavar="BOARD",
                   help="board name (see `tritium boards`) or path to a board YAML file")
    p.add_argument("-o", "--output", required=True, metavar="OUTDIR", help="output directory")
    p.add_argument("--pe", type=int, metavar="P", help="PEs per layer (capped at its output "
                   "channels); default: the folding search chooses P per layer")
    p.add_argument("--simd", type=int, metavar="S", help="PE lane width (default: the board's)")
    p.add_argument("--target-fps", type=float, metavar="F",
                   help="reach F frames/s with the least resources (default: maximum fps)")
    p.add_argument("--granularity", default="pe", choices=["pe", "tile"],
                   help="skip zero groups per PE (default) or only all-zero P x S tiles")
    p.add_argument("--backend", choices=BACKENDS, action="append", default=None,
                   help="also generate a design: the Vitis HLS project (hls/), the SystemVerilog "
                        "twin (rtl/), or both (repeat the option or say 'all')")
    p.add_argument("--vectors", type=int, default=DEFAULT_VECTORS, metavar="N",
                   help=f"golden vectors for the generated testbenches (default {DEFAULT_VECTORS}; "
                        "`tritium simulate` makes its own from a dataset)")
    p.add_argument("--quiet", action="store_true", help="no terminal summary")
    p.set_defaults(func=run)


BACKENDS = ("hls", "rtl", "all")
DEFAULT_VECTORS = 32


def run(args) -> int:
    from pathlib import Path

    from ..api import compile as compile_design
    from ..errors import OptionError
    from ..report.terminal import print_summary
    if args.vectors < 1:
        raise OptionError(f"--vectors must be at least 1, got {args.vectors}")
    if not Path(args.output).resolve().parent.is_dir():
        raise OptionError(f"cannot create '{args.output}': its parent directory does not exist")
    with status(f"importing and lowering {args.model}"):
        model = load(args)
    design = compile_design(model, args.board, backend=args.backend, outdir=args.output, pe=args.pe,
                            simd=args.simd, target_fps=args.target_fps, granularity=args.granularity,
                            vectors=args.vectors, step=status)
    if not args.quiet:
        print_summary(design.report.to_json())
        tops = sorted({p.split("/")[0] + ("/" if "/" in p else "") for p in design.plan})
        print(f"wrote {len(design.plan)} files to {args.output}: {', '.join(tops)}")
    return 0
