"""`tritium compress`: co-design compression of any importable model (issue 3).

    tritium compress MODEL --dataset DATA --board BOARD \\
        [--method wpc|group-lasso|flipout|magnitude] [--target-compression X | --knee] -o OUT.onnx

MODEL is a trainable zoo model (zoo:cnn-digits, zoo:mlp-digits: trained from
scratch as the float teacher) or anything `load_model` imports (an .onnx float
or QONNX file, zoo:NAME, a compile OUTDIR): its weights are the float teacher
(`--teacher-epochs N` fine-tunes it first). The work is
`tritium.compression.run` (also behind `tritium.compress(...)`), which documents
the data splits.

Writes OUT.onnx (QONNX, read back exactly by the importer), OUT.compress.json
(rates, accuracies as fractions 0..1, per-layer group density, method,
hyper-parameters, seed, schema_version) and OUT.png (validation accuracy
against pruning rate, chosen rate marked), all moved into place at the end:
an interrupted or failed run leaves nothing behind.
"""
from __future__ import annotations

import sys
from pathlib import Path


def register(sub) -> None:
    from ..compression.methods import Method
    p = sub.add_parser("compress", help="prune PE groups, ternarize and retrain a model")
    p.add_argument("model", metavar="MODEL",
                   help="zoo:cnn-digits or zoo:mlp-digits (trained from scratch), or any importable "
                        "model: an .onnx float or QONNX file, zoo:NAME, a compile OUTDIR (its weights "
                        "are the float teacher)")
    p.add_argument("--dataset", default="digits", metavar="DATA",
                   help="'digits' (its fixed train/test split) or an .npz with x (channels first) and "
                        "integer labels y, split by --seed into 80%% training and 20%% test; with "
                        "--train, the test set. 20%% of the training set is held out for validation")
    p.add_argument("--train", metavar="DATA",
                   help="training set ('digits' or an .npz); --dataset is then used whole as the test set")
    p.add_argument("--input-shape", metavar="C,H,W", type=_shape,
                   help="input shape when an .onnx model's is dynamic (channels first, no batch)")
    p.add_argument("--edge-layers", choices=["int8", "ternary"], default="int8",
                   help="first and last Conv/Dense of an imported model: int8 and not pruned "
                        "(default, as in the paper) or ternary and pruned like the others")
    p.add_argument("--act-bits", type=int, default=8, metavar="B",
                   help="width of the activation quantizers added to a model that has none (default 8)")
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
    p.add_argument("--teacher-epochs", type=int, metavar="N",
                   help="float teacher epochs (default 25 for a zoo digits model; 0 for an imported "
                        "model, whose weights are used as they are)")
    p.add_argument("--reg-epochs", type=int, default=20, metavar="N", help="group regularization epochs")
    p.add_argument("--finetune-epochs", type=int, default=30, metavar="N",
                   help="fine-tuning epochs (with KD) after pruning")
    p.add_argument("--rates", type=_rates, metavar="R,R,...",
                   help="pruning rates to sweep (default 0,0.2,0.4,0.5,0.6,0.7,0.8,0.85,0.9,0.95)")
    p.set_defaults(func=run)


def _shape(text: str):
    from .common import _shape as parse
    return parse(text)


def _rates(text: str) -> tuple[float, ...]:
    import argparse
    try:
        rates = tuple(float(t) for t in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a comma-separated list of numbers")
    if not rates or any(not 0 <= r < 1 for r in rates):
        raise argparse.ArgumentTypeError(f"'{text}': every pruning rate must be within [0, 1)")
    return tuple(sorted(set(rates)))


def run(args) -> int:
    from ..compression.run import Request, run as compress
    from .common import progress
    fields = set(Request.__dataclass_fields__) - {"graph", "output"}
    req = Request(output=args.output, **{k: v for k, v in vars(args).items() if k in fields})
    log = lambda msg: print(f"compress: {msg}", file=sys.stderr)  # noqa: E731
    done = compress(req, log=log, progress=progress)
    d = done.summary
    print(f"{args.model}: {d['method']}, PE-wise {d['pe_compression_rate']:.1f}x "
          f"(group density {d['group_density']:.3f}), storage {d['storage_compression_rate']:.1f}x, "
          f"Huffman {d['huffman_compression_rate']:.1f}x; accuracy float {d['float_accuracy']:.2%} -> "
          f"compressed {d['compressed_accuracy']:.2%} (golden, from {Path(args.output).name}: "
          f"{d['golden_accuracy']:.2%})")
    return 0
