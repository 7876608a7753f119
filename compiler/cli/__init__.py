"""The `tritium` command line.

One module per sub-command; each exposes `register(subparsers)` which adds its
parser and sets `func` to a callable taking the parsed `args` and returning
an exit status. User errors (`TritiumError`) print one line and exit with 2.
"""
from __future__ import annotations

import argparse
import importlib
import sys

from ..errors import TritiumError

# Sub-command modules, in the order `tritium --help` lists them.
COMMANDS = ["inspect", "compress", "compile", "simulate", "synth", "build", "run", "compare",
            "boards", "demo"]


def build_parser() -> argparse.ArgumentParser:
    from .. import __version__
    p = argparse.ArgumentParser(prog="tritium", description=(
        "Compile pruned, ternarized neural networks into FPGA accelerators."))
    p.add_argument("--version", action="version", version=f"tritium {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for name in COMMANDS:
        importlib.import_module(f".{name}", __name__).register(sub)
    return p


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except TritiumError as e:
        print(f"tritium {args.command}: error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"tritium {args.command}: interrupted; no partial output was left", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
