"""Arguments and helpers shared by the sub-commands."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from ..fileio import atomic_write


def add_model_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("model", metavar="MODEL",
                   help="an .onnx file, or zoo:NAME[:key=value,...] (e.g. zoo:resnet18:density=0.25,seed=1)")
    p.add_argument("--input-shape", metavar="C,H,W", type=_shape,
                   help="input shape when the model's is dynamic (channels first, no batch)")
    p.add_argument("--weights", choices=["twn", "int8"],
                   help="post-training quantization of float weights: TWN ternary "
                        "(first/last layer int8) or int8 everywhere")
    p.add_argument("--calibrate", metavar="DATA",
                   help="dataset used to place activation quantizers a float model lacks")
    p.add_argument("--act-bits", type=int, default=8, metavar="B",
                   help="activation width for quantizers placed by --calibrate (default 8)")


def _shape(text: str) -> tuple[int, ...]:
    try:
        dims = tuple(int(t) for t in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a comma-separated list of integers")
    if not dims or min(dims) < 1:
        raise argparse.ArgumentTypeError(f"'{text}': every dimension must be a positive integer")
    return dims


def load(args):
    """MODEL with the import options of `add_model_args`, lowered: a `tritium.api.Model`."""
    from ..api import load as load_model
    return load_model(args.model, input_shape=args.input_shape, weights=args.weights,
                      calibrate=args.calibrate, act_bits=args.act_bits)


# Columns of a console that is not a terminal: rich fits its tables to the width, and at
# its default of 80 columns it cuts every cell of a wide table to "co…".
UNCUT_WIDTH = 10_000


def console():
    """A rich console on stdout: the window's width on a terminal; anywhere else (a pipe,
    a file, CI logs) wide enough that tables keep every cell whole and lines do not wrap."""
    from rich.console import Console
    c = Console()
    return c if c.is_terminal else Console(width=UNCUT_WIDTH)


def emit_json(obj) -> None:
    """Print one JSON document (each carries its `schema_version`, `tritium.schema`)."""
    json.dump(obj, sys.stdout, indent=2, sort_keys=True)
    sys.stdout.write("\n")


def finish(args, result, print_line) -> int:
    """The end of a command that checks outputs against the golden model (`simulate`,
    `run`): `--save-outputs`, then `--json` or the summary line; exit status 0 when
    every output equals the golden model's, else 1."""
    if args.save_outputs:
        save_npy(args.save_outputs, result.outputs)
    if args.json:
        emit_json(result.to_json())
    else:
        print_line(result.to_json())
    return 0 if result.mismatches == 0 else 1


def save_npy(path: str | Path, array: np.ndarray) -> None:
    import io
    buf = io.BytesIO()
    np.save(buf, array, allow_pickle=False)
    atomic_write(path, buf.getvalue())


class progress:
    """A rich progress bar on stderr (silent when stderr is not a terminal).

        with progress(n, "golden model") as advance:
            advance(k)
    """

    def __init__(self, total: int, description: str):
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn
        console = Console(stderr=True)
        self._p = Progress("[progress.description]{task.description}", BarColumn(),
                           MofNCompleteColumn(), TimeRemainingColumn(), console=console,
                           transient=True, disable=not console.is_terminal)
        self._total, self._description = total, description

    def __enter__(self):
        self._p.__enter__()
        task = self._p.add_task(self._description, total=self._total)
        return lambda k=1: self._p.advance(task, k)

    def __exit__(self, *exc):
        return self._p.__exit__(*exc)


class status:
    """A rich spinner with a message on stderr while a long step runs (silent when
    stderr is not a terminal): `with status("building C-sim"): ...`."""

    def __init__(self, message: str):
        from rich.console import Console
        console = Console(stderr=True)
        self._s = console.status(message) if console.is_terminal else None

    def __enter__(self):
        if self._s is not None:
            self._s.__enter__()
        return self

    def __exit__(self, *exc):
        return self._s.__exit__(*exc) if self._s is not None else False
