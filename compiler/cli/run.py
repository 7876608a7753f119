"""`tritium run OUTDIR --port PORT --dataset DATA`: a dataset through the board.

Sends each input of DATA as a request frame to the board wrapper of OUTDIR
(compiled with --backend rtl for a board with a wrapper, built and loaded as
a bitstream) on the serial port PORT, and prints the accuracy, the frames per
second and how many inputs came back exactly as the golden model computes
them. PORT is any pyserial URL: a device, `socket://host:port`, `loop://`.
Exit status 0 when every output equals the golden model's, 1 when some
differ, 2 on a user error (one line). The work is `tritium.api.run`.
"""
from __future__ import annotations

from .common import finish, progress, status


def register(sub) -> None:
    p = sub.add_parser("run", help="send a dataset through the design on a board (UART) and check it")
    p.add_argument("outdir", metavar="OUTDIR", help="a `tritium compile --backend rtl` OUTDIR")
    p.add_argument("--port", required=True, metavar="PORT",
                   help="serial port or pyserial URL (/dev/ttyUSB0, COM3, socket://host:port)")
    p.add_argument("--dataset", default="digits", metavar="DATA",
                   help="'digits' (the fixed 360-image test split) or an .npz with x and y")
    p.add_argument("--limit", type=int, metavar="N", help="use the first N inputs only")
    p.add_argument("--window", type=int, default=2, metavar="W",
                   help="frames unanswered at a time (default 2, what the wrapper buffers)")
    p.add_argument("--timeout", type=float, metavar="S",
                   help="seconds before an unanswered frame is sent again (default: from the baud rate)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--save-outputs", metavar="F.npy", help="write the board's integer outputs")
    p.set_defaults(func=run)


def run(args) -> int:
    from ..api import run as run_board
    from ..errors import OptionError
    if args.timeout is not None and args.timeout <= 0:
        raise OptionError(f"--timeout must be positive, got {args.timeout}")
    r = run_board(args.outdir, args.port, dataset=args.dataset, limit=args.limit, window=args.window,
                  timeout=args.timeout, progress=progress, step=status)
    return finish(args, r, _print)


def _print(r: dict) -> None:
    line = (f"{r['model']} on {r['dataset']} ({r['n']} inputs) through {r['port']}: "
            f"accuracy {r['accuracy']:.2%} (golden {r['golden_accuracy']:.2%}); "
            f"{r['exact']} of {r['n']} inputs exactly as the golden model, "
            f"{r['mismatches']} output values differ")
    if r["first_mismatch"]:
        line += f" (first: {r['first_mismatch']})"
    line += f"; {r['fps']:.1f} frames/s over the link ({r['seconds']:.2f} s)"
    if r["resent"] or r["board_drops"] or r["rejected"]:
        line += (f"; {r['resent']} frames sent again, {r['board_drops']} dropped by the board, "
                 f"{r['rejected']} damaged replies")
    print(line)
