"""C-simulation throughput next to the golden model's, from one run.

    python bench/csim_throughput.py [--n 256] [--board zcu104] [MODEL ...]

For each model (default: zoo:cnn-digits and zoo:resnet8): `tritium.compile`
with the HLS backend (in memory), then time the golden model on N random
inputs, the g++ build (into a fresh cache, so it is a real build) and the
C-simulation of the same N inputs (`Design.simulate`). Prints one line per
model; checks the outputs agree.
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import tritium  # noqa: E402
from tritium.board import load_board  # noqa: E402
from tritium.data import Dataset  # noqa: E402
from tritium.errors import TritiumError  # noqa: E402
from tritium.ir.interp import run_golden  # noqa: E402


def bench(spec: str, n: int, board) -> str:
    design = tritium.compile(spec, board=board, backend="hls")
    g = design.model.graph
    x = np.random.default_rng(0).uniform(0, 1, (n,) + g.input.shape)
    t0 = time.perf_counter()
    run_golden(g, x)
    golden_s = time.perf_counter() - t0
    nchw = x.transpose(0, 3, 1, 2) if x.ndim == 4 else x     # datasets are in the model's layout
    r = design.simulate("csim", dataset=Dataset("random", nchw, np.zeros(n, np.int64)))
    status = "exact" if r.mismatches == 0 else f"{r.mismatches} MISMATCHES ({r.first_mismatch})"
    return (f"{spec:<16} n={n:<5} golden {n / golden_s:9.1f} img/s | C-sim {n / r.run_seconds:9.1f} img/s, "
            f"build {r.build_seconds:5.1f} s | {status}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("models", nargs="*", default=["zoo:cnn-digits", "zoo:resnet8"])
    ap.add_argument("--n", type=int, default=256)
    ap.add_argument("--board", default="zcu104")
    args = ap.parse_args()
    board = load_board(args.board)
    with tempfile.TemporaryDirectory() as cache:
        os.environ["TRITIUM_CACHE"] = cache          # measure a real build, not a cache hit
        for spec in args.models:
            try:
                print(bench(spec, args.n, board), flush=True)
            except TritiumError as e:
                print(f"{spec:<16} skipped: {e}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
