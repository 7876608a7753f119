"""Ablation at equal PE-wise compression: magnitude, group lasso, WPC, FlipOut (grouped).

    python bench/compress_ablation.py [--targets 32 64] [--group-size 16] [--seed 0]

One float teacher is trained once and shared; each method then regularizes,
prunes at the same rate (the target's), ternarizes and fine-tunes with the same
distillation schedule. The table gives test accuracy straight after pruning
(adaptive BN only) and after fine-tuning, so the coexistence claim of WPC is
measured rather than assumed.
"""
from __future__ import annotations

import argparse
import time

import torch

from tritium.compression.accounting import compression_summary
from tritium.compression.pipeline import (CompressConfig, Method, candidate, finetune, rate_for_target,
                                        regularize, train_teacher)
from tritium.compression.train import accuracy, holdout
from tritium.frontend.torch_import import import_torch
from tritium.zoo.digits import INPUT_SHAPES, build_digits_model, digits_data

METHODS = (Method.MAGNITUDE, Method.GROUP_LASSO, Method.WPC, Method.FLIPOUT)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default="cnn-digits")
    ap.add_argument("--targets", type=float, nargs="+", default=[32.0, 64.0])
    ap.add_argument("--group-size", type=int, default=16)
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    torch.set_num_threads(1)
    train, test = digits_data()
    fit, _ = holdout(train, 0.2, a.seed)
    base = CompressConfig(group_size=a.group_size, seed=a.seed)
    teacher = train_teacher(build_digits_model(a.model, a.seed), train, base)
    float_acc = accuracy(teacher, test)
    print(f"{a.model}, S={a.group_size}, seed {a.seed}: float test accuracy {float_acc:.2f}%\n")
    print(f"{'target':>7} {'method':<12} {'PE rate':>8} {'pruned':>8} {'tuned':>8} {'drop':>6} {'time':>6}")
    for target in a.targets:
        for method in METHODS:
            t0 = time.time()
            cfg = CompressConfig(method=method, group_size=a.group_size, seed=a.seed,
                                 target_compression=target)
            rate = rate_for_target(target, cfg)
            student, scores = regularize(teacher, fit, cfg)
            pruned = accuracy(candidate(student, scores, rate, fit, cfg), test)
            model = finetune(student, teacher, scores, rate, train, cfg)
            acc = accuracy(model, test)
            pe = compression_summary(import_torch(model, INPUT_SHAPES[a.model], a.model),
                                     a.group_size)["pe_compression_rate"]
            print(f"{target:>6.0f}x {method.value:<12} {pe:>7.1f}x {pruned:>7.2f}% {acc:>7.2f}% "
                  f"{float_acc - acc:>6.2f} {time.time() - t0:>5.0f}s", flush=True)


if __name__ == "__main__":
    main()
