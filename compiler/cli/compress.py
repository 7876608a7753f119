"""`tritium compress`: co-design compression of a trainable zoo model (issue 3).

    tritium compress zoo:cnn-digits --dataset digits --board zcu104 \\
        [--method wpc|group-lasso|flipout|magnitude] [--target-compression X | --knee] -o OUT.onnx

Writes OUT.onnx (QONNX, read back exactly by the importer), OUT.compress.json
(rates, accuracies, per-layer group density, method, hyper-parameters, seed)
and OUT.png (validation accuracy against pruning rate, chosen rate marked).
All three are written into a temporary directory and moved into place at the
end: an interrupted or failed run leaves nothing behind.
"""
from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path

from ..errors import DatasetError, OptionError

JSON_VERSION = 1


def register(sub) -> None:
    from ..compress.pipeline import Method
    p = sub.add_parser("compress", help="prune PE groups, ternarize and retrain a zoo model")
    p.add_argument("model", metavar="MODEL", help="a trainable zoo model: zoo:cnn-digits or zoo:mlp-digits")
    p.add_argument("--dataset", default="digits", help="training/test data (only 'digits')")
    p.add_argument("--board", help="board profile whose 'simd' is the PE group size S")
    p.add_argument("--group-size", type=int, metavar="S", help="PE lanes S (overrides the board's)")
    p.add_argument("--method", choices=[m.value for m in Method], default=Method.WPC.value)
    target = p.add_mutually_exclusive_group()
    target.add_argument("--target-compression", type=float, metavar="X",
                        help="PE-wise compression to reach (16 / group density)")
    target.add_argument("--knee", action="store_true", help="choose the rate with Kneedle (default)")
    p.add_argument("-o", "--output", required=True, metavar="OUT.onnx")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--lam", type=float, help="penalty weight λ (default per method)")
    p.add_argument("--rho", type=float, default=0.7, help="WPC clip factor ρ (default 0.7)")
    p.add_argument("--wpc-variant", choices=["rank", "mean"], default="rank")
    p.add_argument("--kd-temperature", type=float, default=4.0)
    p.add_argument("--kd-alpha", type=float, default=0.7)
    p.set_defaults(func=run)


def _model_name(spec: str) -> str:
    from ..zoo.digits import NAMES
    name = spec[4:] if spec.startswith("zoo:") else spec
    if name not in NAMES:
        raise OptionError(f"compress trains a PyTorch architecture and knows {', '.join('zoo:' + n for n in NAMES)}; "
                          f"got '{spec}' (an .onnx file holds no trainable architecture)")
    return name


def _group_size(args) -> int:
    from ..board import load_board
    from ..compress.groups import check_lanes
    if args.group_size is not None:
        return check_lanes(args.group_size)
    if args.board is None:
        raise OptionError("give --board BOARD (its 'simd' is the group size) or --group-size S")
    return load_board(args.board).simd


def _output(path: str) -> Path:
    out = Path(path)
    if out.suffix != ".onnx":
        raise OptionError(f"-o must name an .onnx file, got '{path}'")
    if not out.parent.is_dir():
        raise OptionError(f"cannot write '{path}': directory '{out.parent}' does not exist")
    return out


def _config(args, S: int):
    from ..compress.kd import KDConfig
    from ..compress.pipeline import CompressConfig, Method
    return CompressConfig(method=Method(args.method), group_size=S, lam=args.lam, rho=args.rho,
                          wpc_variant=args.wpc_variant, target_compression=args.target_compression,
                          kd=KDConfig(args.kd_temperature, args.kd_alpha), seed=args.seed)


def _golden_accuracy(graph, test) -> float:
    import numpy as np

    from ..ir.interp import run_golden
    from ..passes import lower
    x = test.x.numpy()
    x = x.transpose(0, 2, 3, 1) if x.ndim == 4 else x.reshape(len(x), -1)
    out = run_golden(lower(graph), np.ascontiguousarray(x))
    return 100.0 * float((out.reshape(len(out), -1).argmax(1) == test.y.numpy()).mean())


def _plot(path: Path, curve, rate: float, how: str, title: str) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(5, 3.2), dpi=100)
    ax.plot([r for r, _ in curve], [a for _, a in curve], "o-", label="after adaptive BN")
    ax.axvline(rate, color="C3", ls="--", label=f"chosen ({how}) r={rate:.2f}")
    ax.set(xlabel="pruning rate (fraction of PE groups)", ylabel="validation accuracy (%)", title=title)
    ax.legend(loc="lower left", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, metadata={"Software": None})
    plt.close(fig)


def run(args) -> int:
    import torch

    from ..compress.accounting import compression_summary
    from ..compress.pipeline import compress
    from ..frontend.onnx_import import import_onnx
    from ..frontend.qonnx_export import write_qonnx
    from ..frontend.torch_import import import_torch
    from ..zoo.digits import INPUT_SHAPES, build_digits_model, digits_data

    name = _model_name(args.model)
    if args.dataset != "digits":
        raise DatasetError(f"unknown dataset '{args.dataset}' for compress; use digits")
    out = _output(args.output)
    S = _group_size(args)
    cfg = _config(args, S)
    torch.set_num_threads(1)  # tiny models: one thread is fastest, and deterministic
    train, test = digits_data()
    log = lambda msg: print(f"compress: {msg}", file=sys.stderr)  # noqa: E731
    res = compress(lambda: build_digits_model(name, args.seed), train, test, cfg, log=log)
    graph = import_torch(res.model, INPUT_SHAPES[name], name)
    summary = compression_summary(graph, S)
    report = {"version": JSON_VERSION, "model": args.model, "dataset": args.dataset, "seed": args.seed,
              "method": cfg.method.value, "hyper_parameters": cfg.to_json(),
              "float_accuracy": res.float_accuracy, "compressed_accuracy": res.compressed_accuracy,
              "accuracy_drop": res.float_accuracy - res.compressed_accuracy,
              "pruning_rate": res.rate, "rate_choice": res.how,
              "sweep": [{"rate": r, "validation_accuracy": a} for r, a in res.curve], **summary}
    with tempfile.TemporaryDirectory(dir=out.parent, prefix=f".{out.stem}.") as tmp:
        t_onnx, t_json, t_png = (Path(tmp) / p for p in ("m.onnx", "m.json", "m.png"))
        write_qonnx(graph, t_onnx)
        report["golden_accuracy"] = _golden_accuracy(import_onnx(t_onnx, name=name), test)
        t_json.write_text(json.dumps(report, indent=2, sort_keys=True) + "\n")
        _plot(t_png, res.curve, res.rate, res.how, f"{name}, {cfg.method.value}, S={S}")
        stem = out.with_suffix("")
        for src, dst in ((t_png, stem.with_suffix(".png")), (t_json, Path(f"{stem}.compress.json")),
                         (t_onnx, out)):
            os.chmod(src, 0o644)
            os.replace(src, dst)
    print(f"{args.model}: {cfg.method.value}, PE-wise {summary['pe_compression_rate']:.1f}x "
          f"(group density {summary['group_density']:.3f}), storage {summary['storage_compression_rate']:.1f}x, "
          f"Huffman {summary['huffman_compression_rate']:.1f}x; accuracy float {res.float_accuracy:.2f}% -> "
          f"compressed {res.compressed_accuracy:.2f}% (golden, from {out.name}: {report['golden_accuracy']:.2f}%)")
    return 0
