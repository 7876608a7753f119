"""Golden model vs PyTorch float inference, side by side in one run.

For each model: images/s of the integer golden model (numpy, batched) and of
PyTorch float32 inference of the same network (its FLOAT-stage graph as a
torch module, fake-quant included), and their ratio. Both run on the same
inputs in the same process, one after the other, so the ratio holds on a
shared, noisy machine where the absolute numbers do not.

    .venv/bin/python bench/golden_throughput.py [--json]
"""
from __future__ import annotations

import argparse
import json
import sys
import time

import numpy as np

MODELS = [("zoo:cnn-digits", 360, 120), ("zoo:resnet18:density=0.25", 4, 2)]


def _timed(fn, *args) -> float:
    t = time.perf_counter()
    fn(*args)
    return time.perf_counter() - t


def measure(spec: str, n: int, batch: int, seed: int = 0) -> dict:
    import torch

    import tritium
    from tritium.ir.interp import run_golden
    from tritium.ir.torch_interp import GraphModule
    torch.set_num_threads(1)
    model = tritium.load(spec)
    g, gi = model.float_graph, model.graph
    x = np.random.default_rng(seed).normal(0, 1, (n,) + g.input.shape)
    module = GraphModule(g).eval()
    xt = torch.tensor(x.transpose(0, 3, 1, 2) if x.ndim == 4 else x, dtype=torch.float32)
    with torch.no_grad():
        module(xt[:1])  # warm-up
        t_torch = _timed(lambda: [module(xt[i:i + batch]) for i in range(0, n, batch)])
    run_golden(gi, x[:1])
    t_golden = _timed(run_golden, gi, x, batch)
    return {"model": spec, "n": n, "golden_img_s": n / t_golden, "torch_img_s": n / t_torch,
            "golden_vs_torch": (n / t_golden) / (n / t_torch)}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--json", action="store_true")
    args = p.parse_args(argv)
    rows = [measure(*m) for m in MODELS]
    if args.json:
        json.dump(rows, sys.stdout, indent=2)
        print()
        return 0
    print(f"{'model':32} {'n':>5} {'golden img/s':>13} {'torch img/s':>12} {'golden/torch':>13}")
    for r in rows:
        print(f"{r['model']:32} {r['n']:5d} {r['golden_img_s']:13.1f} {r['torch_img_s']:12.1f} "
              f"{r['golden_vs_torch']:13.3f}")
    print("(torch: float32, one thread; golden: exact integers, numpy/BLAS where provably exact)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
