"""`tritium demo`: every stage, end to end, on the built-in default.

It runs the very commands a user would type (printed before each step) on
`zoo:cnn-digits` and the digits test split: inspect, compress for the
board's PE lane width, golden model, compile with both backends, C-simulation
and RTL simulation, each checked bit-exact against the golden model.
"""
from __future__ import annotations

import shlex
from pathlib import Path

from ..errors import TritiumError


def register(sub) -> None:
    p = sub.add_parser("demo", help="run every stage end to end on the built-in digits CNN")
    p.add_argument("--model", default="zoo:cnn-digits")
    p.add_argument("--board", default="pynq-z2")
    p.add_argument("-o", "--output", default="out/demo", metavar="DIR",
                   help="where the demo writes its files (default out/demo)")
    p.add_argument("--fast", action="store_true",
                   help="skip compression training and RTL simulation (a quick smoke run)")
    p.set_defaults(func=run)


def steps(args) -> list[tuple[str, list[str]]]:
    out = Path(args.output)
    model = str(out / "compressed.onnx")
    design = str(out / "design")
    s = [("inspect the model", ["inspect", args.model])]
    if args.fast:
        model = args.model
    else:
        s.append(("compress: PE-wise pruning + ternarization for the board's PE lanes (WPC)",
                  ["compress", args.model, "--dataset", "digits", "--board", args.board,
                   "--method", "wpc", "--target-compression", "32", "-o", model]))
    s += [
        ("golden model (L1) against the float fake-quant model (L0)",
         ["simulate", model, "--level", "golden", "--dataset", "digits"]),
        ("schedule on the PE array, generate the HLS project and the SystemVerilog twin",
         ["compile", model, "--board", args.board, "--backend", "all", "-o", design]),
        ("C-simulation (L2): generated HLS C++ built with g++",
         ["simulate", design, "--level", "csim", "--dataset", "digits"]),
    ]
    if not args.fast:
        s.append(("RTL simulation (L3): generated SystemVerilog in Verilator, random gaps and backpressure",
                  ["simulate", design, "--level", "rtl", "--dataset", "digits"]))
    return s


def run(args) -> int:
    from . import main
    Path(args.output).mkdir(parents=True, exist_ok=True)
    plan = steps(args)
    for i, (what, argv) in enumerate(plan, 1):
        print(f"\n== {i}/{len(plan)}. {what}\n$ tritium {' '.join(shlex.quote(a) for a in argv)}",
              flush=True)
        status = main(argv)
        if status:
            raise TritiumError(f"demo step {i} (`tritium {argv[0]}`) failed with status {status}")
    print(f"\ndemo finished: every level matched the golden model; files are in {args.output}/ "
          f"(open {args.output}/design/report.html)")
    return 0
