"""RTL simulation throughput: simulated cycles/s and images/s, and exactness.

    python bench/rtl_sim.py [--n 64] [--board pynq-z2] [--gaps] [MODEL ...]

For each model (default: zoo:cnn-digits and zoo:resnet8): `tritium.compile`
with the RTL backend (in memory), build it with plain Verilator around the HDL
testbench (into a fresh cache, so the build time is a real one) and stream N
vectors (the digits test split for the digits models, else random inputs).
Prints build time, simulated cycles/s, images/s, measured and modelled
cycles per frame, and the mismatch count against the golden model.
"""
from __future__ import annotations

import argparse
import os
import tempfile
import time

import numpy as np

import tritium
from tritium.sim.vectors import make_vectors


def inputs(spec: str, graph, n: int):
    if "digits" in spec:
        from tritium.data import channels_last, load_dataset
        d = load_dataset("digits").limit(n)
        x = channels_last(d.x)
        if x.shape[1:] != graph.input.shape:  # a vector model fed the 8x8 images
            x = x.reshape((len(x),) + graph.input.shape)
        return x, d.y
    return np.random.default_rng(0).normal(0, 1, (n,) + graph.input.shape), None


def bench(spec: str, board: str, n: int, gaps: bool) -> None:
    from tritium.sim.rtl import build_binary, run_rtl
    design = tritium.compile(spec, board=board, backend="rtl")
    g, plan = design.model.graph, design.plan
    x, labels = inputs(spec, g, n)
    v = make_vectors(g, x, labels)  # the simulator's own result: total cycles for cycles/s
    t0 = time.perf_counter()
    build_binary(plan)
    build = time.perf_counter() - t0
    r = run_rtl(plan, v, gaps=gaps, backpressure=gaps)
    acc = ""
    if labels is not None:
        pred = r.outputs.reshape(len(x), -1).argmax(1)
        acc = f", accuracy {float((pred == labels).mean()):.2%}"
    print(f"{spec}: {v.n} images, build {build:.1f} s, sim {r.sim_seconds:.2f} s, "
          f"{r.total_cycles / r.sim_seconds:,.0f} cycles/s, {v.n / r.sim_seconds:,.1f} images/s; "
          f"cycles/frame measured {r.cycles_per_frame:,.1f}, RTL model {r.model_cycles_per_frame:,}, "
          f"schedule model {r.schedule_cycles_per_frame:,}; mismatches {r.mismatches}{acc}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("models", nargs="*", default=["zoo:cnn-digits", "zoo:resnet8"])
    ap.add_argument("--n", type=int, default=64)
    ap.add_argument("--board", default="pynq-z2")
    ap.add_argument("--gaps", action="store_true", help="random input gaps and output backpressure")
    args = ap.parse_args()
    os.environ.setdefault("TRITIUM_CACHE", tempfile.mkdtemp(prefix="tritium_bench_rtl_"))
    for spec in args.models:
        bench(spec, args.board, args.n, args.gaps)


if __name__ == "__main__":
    main()
