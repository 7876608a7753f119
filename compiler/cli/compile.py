"""`tritium compile MODEL --board BOARD -o OUTDIR`: schedule, fold and report.

Writes `schedule.json` (the PE-array schedule both backends consume),
`report.json` and `report.html` into OUTDIR, and prints a summary. Everything
is built in memory first (a plan of relative path -> bytes) and written by
`write_plan`, which fills a temporary directory beside OUTDIR and moves it
into place: a failed or interrupted run leaves nothing half-written, and the
same inputs give byte-identical files.
"""
from __future__ import annotations

import json

from ..codegen.plan import write_plan
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
VECTOR_SEED = 0


def run(args) -> int:
    from .. import __version__
    from ..board import load_board
    from ..errors import OptionError
    from ..frontend import COMPILED_MODEL
    from ..frontend.qonnx_export import qonnx_bytes
    from ..report.terminal import print_summary
    from ..schedule import parse_granularity, schedule_network
    if args.vectors < 1:
        raise OptionError(f"--vectors must be at least 1, got {args.vectors}")
    backends = sorted({b for a in (args.backend or []) for b in (("hls", "rtl") if a == "all" else (a,))})
    board = load_board(args.board)
    with status(f"importing and lowering {args.model}"):
        loaded = load(args)
    graph = loaded.graph
    with status(f"scheduling {len(graph.macs())} layers on {board.name}"):
        net = schedule_network(graph, board, pe=args.pe, simd=args.simd, target_fps=args.target_fps,
                               granularity=parse_granularity(args.granularity))
    options = {"model": args.model, "board": args.board, "pe": args.pe, "simd": net.simd,
               "target_fps": args.target_fps, "granularity": args.granularity}
    plan, report = build_plan(net, board, graph, options)
    if backends:  # the design levels of `simulate` reload the exact model from OUTDIR
        plan[COMPILED_MODEL] = qonnx_bytes(loaded.float_graph)
    plan["compile.json"] = (json.dumps({
        "tritium": __version__, "model": args.model, "fingerprint": graph.fingerprint(),
        "board": board.name, "part": board.part, "clock_mhz": board.clock_mhz,
        "backends": backends, **{k: v for k, v in options.items() if k not in ("model", "board")},
    }, indent=2, sort_keys=True) + "\n").encode()
    with status("generating " + (", ".join(backends) or "reports")):
        plan.update(generate(backends, graph, net, board, args.vectors))
    write_plan(plan, args.output, replace_dirs=tuple(backends) + (("vectors",) if backends else ()))
    if not args.quiet:
        print_summary(report)
        tops = sorted({p.split("/")[0] + ("/" if "/" in p else "") for p in plan})
        print(f"wrote {len(plan)} files to {args.output}: {', '.join(tops)}")
    return 0


def generate(backends, graph, net, board, n_vectors: int) -> dict:
    """The backends' plans plus the golden vectors their testbenches read."""
    if not backends:
        return {}
    from tritium.sim.vectors import make_vectors
    vectors = make_vectors(graph, random_inputs(graph, n_vectors, VECTOR_SEED))
    plan: dict = dict(vectors.files())
    if "hls" in backends:
        from ..codegen.hls import generate_hls
        plan.update(generate_hls(graph, net, part=board.part, clock_mhz=board.clock_mhz,
                                 vectors=vectors))
    if "rtl" in backends:
        from ..codegen.rtl import generate_rtl
        plan.update(generate_rtl(graph, net, vectors=vectors))
    return plan


def random_inputs(graph, n: int, seed: int):
    """Inputs (channels-last, model units) whose quantized codes are uniform over
    the input type: every code path of the first layer gets exercised."""
    import numpy as np
    inp = graph.input
    q, a = inp.qtype, inp.attrs
    codes = np.random.default_rng(seed).integers(q.lo, q.hi + 1, (n,) + inp.shape)
    return (codes * q.scale - a.pre_add) / a.pre_mul


def build_plan(net, board, graph, options) -> tuple[dict[str, bytes], dict]:
    """{relative path: bytes} of a compile, and the report dict."""
    from ..report.data import build_report, dumps
    from ..report.html import render_report
    report = build_report(net, board, graph, options)
    schedule = json.dumps(net.to_json(), indent=1, sort_keys=True) + "\n"
    return {"schedule.json": schedule.encode(), "report.json": dumps(report).encode(),
            "report.html": render_report(report).encode()}, report
