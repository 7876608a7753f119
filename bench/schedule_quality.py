"""Schedule quality on the zoo (issue 4): per model, the sparse/dense cycle ratio, the worst
cycles/lower-bound, PE utilisation and compile seconds per million weights.

    .venv/bin/python bench/schedule_quality.py [--board zcu102] [--models ...]

Models are folded by the search (maximum fps). Weights that on-chip memory cannot hold stream
from the board's DRAM (VGG-16 holds ~100 Mbit of weights even at density 0.25, ZCU102 has 32
Mbit of BRAM and no URAM: its Dense layers and last convs stream); the line names them. A model
that still does not fit is scheduled at a fixed P (`--pe`, default 16) with the fit check off,
and marked as not fitting.
"""
from __future__ import annotations

import argparse
import time

import tritium
from tritium.board import load_board
from tritium.errors import BoardError
from tritium.ir.types import WeightKind
from tritium.schedule import schedule_network
from tritium.schedule.options import WeightMemory

MODELS = ["zoo:resnet18:density=0.25", "zoo:vgg16:density=0.25"]


def measure(spec: str, board, pe: int) -> dict:
    t0 = time.perf_counter()
    graph = tritium.load(spec).graph
    try:
        net, fits = schedule_network(graph, board), "yes"
    except BoardError as e:
        net, fits = schedule_network(graph, board, pe=pe, check_fit=False), f"no ({e})"
    seconds = time.perf_counter() - t0
    weights = sum(n.attrs.weights.values.size for n in graph.macs())
    tern = [l for l in net.layers if l.weight_kind is WeightKind.TERNARY]
    sparse, dense = sum(l.cycles for l in tern), sum(l.dense_cycles for l in tern)
    busy = sum(l.groups_nonzero * l.taps * l.out_pixels for l in net.layers)
    slots = sum(l.pe * l.max_load * l.taps * l.out_pixels for l in net.layers)
    dram = [l.name for l in net.layers if l.weight_memory is WeightMemory.DRAM]
    return {"model": spec, "fits": fits, "fps": net.fps, "dram": dram,
            "dense/sparse": dense / sparse if sparse else float("nan"),
            "max cycles/LB": max(l.cycles / max(l.lower_bound, 1) for l in net.layers),
            "utilisation": busy / slots, "s/Mweights": seconds / (weights / 1e6),
            "seconds": seconds}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--board", default="zcu102")
    p.add_argument("--models", nargs="+", default=MODELS)
    p.add_argument("--pe", type=int, default=16, help="fixed P for models that do not fit")
    args = p.parse_args()
    board = load_board(args.board)
    for spec in args.models:
        r = measure(spec, board, args.pe)
        print(f"{r['model']} on {board.name}: dense/sparse {r['dense/sparse']:.3f}x, "
              f"max cycles/LB {r['max cycles/LB']:.4f}, utilisation {r['utilisation']:.4f}, "
              f"{r['s/Mweights']:.3f} s per M weights ({r['seconds']:.2f} s), "
              f"{r['fps']:,.1f} fps, weights from DRAM: {', '.join(r['dram']) or 'none'}, "
              f"fits: {r['fits']}")


if __name__ == "__main__":
    main()
