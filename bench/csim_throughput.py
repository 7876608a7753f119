"""C-simulation throughput next to the golden model's, from one run.

    python bench/csim_throughput.py [--n 256] [--board zcu104] [--hls-include DIR] [MODEL ...]

For each model (default: zoo:cnn-digits and zoo:resnet8): `tritium.compile`
with the HLS backend (in memory), then time the golden model on N random
inputs, the g++ build (into a fresh cache, so it is a real build) and the
C-simulation of the same N inputs (`Design.simulate`), once with Tritium's
stand-in types and once against AMD's ap_int.h/hls_stream.h (DIR, or the
open-source ones `tritium.sim.hls_headers.fetch_ap_types` downloads), with
the stand-in's advantage in run and build time. Prints one line per model;
checks the outputs agree with the golden model both ways.
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


def bench(spec: str, n: int, board, hls_include=None) -> str:
    """One line; `hls_include`: a folder of AMD's headers to measure as well (None: the stand-in only)."""
    design = tritium.compile(spec, board=board, backend="hls")
    g = design.model.graph
    x = np.random.default_rng(0).uniform(0, 1, (n,) + g.input.shape)
    t0 = time.perf_counter()
    run_golden(g, x)
    golden_s = time.perf_counter() - t0
    nchw = x.transpose(0, 3, 1, 2) if x.ndim == 4 else x     # datasets are in the model's layout
    data = Dataset("random", nchw, np.zeros(n, np.int64))
    runs = [design.simulate("csim", dataset=data)]
    line = (f"{spec:<16} n={n:<5} golden {n / golden_s:9.1f} img/s | C-sim {n / runs[0].run_seconds:9.1f} img/s, "
            f"build {runs[0].build_seconds:5.1f} s")
    if hls_include is not None:
        runs.append(amd := design.simulate("csim", dataset=data, hls_include=hls_include))
        line += (f" | AMD headers: C-sim {n / amd.run_seconds:8.1f} img/s, build {amd.build_seconds:5.1f} s "
                 f"(stand-in {amd.run_seconds / runs[0].run_seconds:.1f}x faster to run, "
                 f"{amd.build_seconds / runs[0].build_seconds:.1f}x to build)")
    bad = [f"{r.mismatches} MISMATCHES ({r.first_mismatch})" for r in runs if r.mismatches]
    return f"{line} | {'; '.join(bad) or 'exact'}"


def amd_headers(folder: str | None):
    """`folder`, or the open-source headers fetched from PyPI; None (said so) if there are none."""
    from tritium.sim.hls_headers import fetch_ap_types
    try:
        return folder or fetch_ap_types()
    except TritiumError as e:
        print(f"AMD headers skipped: {e}", flush=True)
        return None


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("models", nargs="*", default=["zoo:cnn-digits", "zoo:resnet8"])
    ap.add_argument("--n", type=int, default=256)
    ap.add_argument("--board", default="zcu104")
    ap.add_argument("--hls-include", metavar="DIR",
                    help="AMD's headers to measure against (default: fetch the open-source ones)")
    args = ap.parse_args()
    board = load_board(args.board)
    with tempfile.TemporaryDirectory() as cache:
        os.environ["TRITIUM_CACHE"] = cache          # measure a real build, not a cache hit
        headers = amd_headers(args.hls_include)
        for spec in args.models:
            try:
                print(bench(spec, args.n, board, headers), flush=True)
            except TritiumError as e:
                print(f"{spec:<16} skipped: {e}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
