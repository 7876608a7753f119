"""`tritium compress`: co-design compression of any importable model (issue 3).

    tritium compress MODEL --dataset DATA --board BOARD \\
        [--method wpc|group-lasso|flipout|magnitude] [--target-compression X | --knee] -o OUT.onnx

MODEL is a trainable zoo model (zoo:cnn-digits, zoo:mlp-digits: trained from
scratch as the float teacher) or anything `load_model` imports (an .onnx float
or QONNX file, zoo:NAME, a compile OUTDIR): its weights are the float teacher
(`--teacher-epochs N` fine-tunes it first) and `compress.from_graph` makes it
trainable. Data (see `split_data`): `--dataset digits` is the fixed digits
train/test split; an .npz is split by `--seed`, 20% test; `--train DATA`
gives the training set explicitly and `--dataset` is then the test set.

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
from dataclasses import dataclass
from pathlib import Path

from ..errors import DatasetError, ModelError, OptionError

JSON_VERSION = 1
TEST_FRACTION = 0.2     # of an .npz given alone with --dataset
MIN_TRAIN, MIN_TEST = 50, 10


def register(sub) -> None:
    from ..compress.pipeline import Method
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


def _zoo_trainable(spec: str) -> str | None:
    """The digits zoo model `spec` names (trained from scratch), or None."""
    from ..zoo.digits import NAMES
    name = spec[4:] if spec.startswith("zoo:") else spec
    return name if name in NAMES and not Path(spec).exists() else None


@dataclass
class Source:
    """What compress trains: a zoo architecture or an imported graph."""

    name: str
    input_shape: tuple[int, ...]     # model layout (C, H, W) or (K,)
    classes: int
    zoo: str | None = None
    graph: object = None             # FLOAT-stage Graph of an imported model


def load_source(args) -> Source:
    from ..frontend import load_model
    from ..zoo.digits import INPUT_SHAPES
    zoo = _zoo_trainable(args.model)
    if zoo is not None:
        return Source(zoo, INPUT_SHAPES[zoo], 10, zoo=zoo)
    g = load_model(args.model, input_shape=args.input_shape)
    if not g.macs():
        raise ModelError(f"'{args.model}' has no Conv or Dense layer: there is nothing to prune or ternarize")
    n_mid = len(g.macs()) - 2
    if args.edge_layers == "int8" and n_mid < 1:
        raise ModelError(
            f"'{args.model}' has {len(g.macs())} Conv/Dense layer(s), all first or last, which stay int8 "
            "and unpruned: nothing to compress; pass --edge-layers ternary to ternarize and prune them")
    s = g.input.shape
    shape = (s[2], s[0], s[1]) if len(s) == 3 else tuple(s)
    return Source(g.name, shape, int(np_prod(g.output_node.shape)), graph=g)


def np_prod(shape) -> int:
    out = 1
    for d in shape:
        out *= int(d)
    return out


def split_data(args, seed: int):
    """(train, test) `Dataset`s. `--dataset digits`: the fixed digits split;
    `--dataset F.npz`: a permutation by `seed`, the first 20% (rounded) is the
    test set; `--train T --dataset D`: T whole for training, D whole for test."""
    import numpy as np

    from ..data import Dataset, digits_split, load_dataset
    if args.train is not None:
        train = digits_split()[0] if args.train == "digits" else load_dataset(args.train)
        return train, load_dataset(args.dataset)
    if args.dataset == "digits":
        return digits_split()
    d = load_dataset(args.dataset)
    perm = np.random.default_rng(seed).permutation(len(d))
    n_test = int(round(TEST_FRACTION * len(d)))
    pick = lambda idx, tag: Dataset(f"{d.name}-{tag}", d.x[idx], d.y[idx])  # noqa: E731
    return pick(perm[n_test:], "train"), pick(perm[:n_test], "test")


def check_data(train, test, src: Source):
    """Fit both splits to the model's input; check sizes and labels."""
    import numpy as np

    from ..data import fit_input
    ir_shape = (src.input_shape[1], src.input_shape[2], src.input_shape[0]) \
        if len(src.input_shape) == 3 else src.input_shape
    for d, need, role in ((train, MIN_TRAIN, "training"), (test, MIN_TEST, "test")):
        if len(d) < need:
            raise DatasetError(f"the {role} set '{d.name}' has {len(d)} samples; compress needs at "
                               f"least {need} (training {MIN_TRAIN}, test {MIN_TEST}); give a larger "
                               "dataset or a separate --train set")
        if not np.all(np.isfinite(d.x)):
            raise DatasetError(f"dataset '{d.name}' has non-finite inputs (NaN or inf)")
        if d.y.min() < 0 or d.y.max() >= src.classes:
            raise DatasetError(f"dataset '{d.name}' has labels in {int(d.y.min())}..{int(d.y.max())}, "
                               f"but '{src.name}' has {src.classes} outputs (classes 0..{src.classes - 1})")
    return fit_input(train.x, ir_shape, train.name), fit_input(test.x, ir_shape, test.name)


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


def _config(args, S: int, src: Source):
    from ..compress.kd import KDConfig
    from ..compress.pipeline import CompressConfig, Method
    teacher = args.teacher_epochs if args.teacher_epochs is not None else (25 if src.zoo else 0)
    for flag, v in (("--teacher-epochs", teacher), ("--reg-epochs", args.reg_epochs),
                    ("--finetune-epochs", args.finetune_epochs)):
        if v < 0:
            raise OptionError(f"{flag} must be at least 0, got {v}")
    if not 2 <= args.act_bits <= 16:
        raise OptionError(f"--act-bits must be within 2..16, got {args.act_bits}")
    extra = {"rates": args.rates} if args.rates else {}
    if args.rates and len(args.rates) < 3 and args.target_compression is None:
        raise OptionError(f"the knee needs at least 3 sweep rates, got --rates {','.join(map(str, args.rates))}; "
                          "give more rates or --target-compression X")
    return CompressConfig(method=Method(args.method), group_size=S, lam=args.lam, rho=args.rho,
                          wpc_variant=args.wpc_variant, target_compression=args.target_compression,
                          kd=KDConfig(args.kd_temperature, args.kd_alpha), seed=args.seed,
                          teacher_epochs=teacher, reg_epochs=args.reg_epochs,
                          finetune_epochs=args.finetune_epochs, **extra)


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
    fig.savefig(path, metadata={"Software": None})  # PNG: no date, no version: byte-stable
    plt.close(fig)


def _build(src: Source, args, train_x):
    """(build, teacher, export) for the pipeline."""
    from ..compress.from_graph import export_graph, from_graph
    from ..data import channels_last
    from ..frontend.torch_import import import_torch
    from ..zoo.digits import build_digits_model
    if src.zoo is not None:
        return (lambda: build_digits_model(src.zoo, args.seed), None,
                lambda m: import_torch(m, src.input_shape, src.name))
    import torch
    torch.manual_seed(args.seed)
    net = from_graph(src.graph, calib=channels_last(train_x[:256]), edge=args.edge_layers,
                     act_bits=args.act_bits)
    return None, net, lambda m: export_graph(m, src.name)


def run(args) -> int:
    import torch

    from ..compress.accounting import compression_summary
    from ..compress.modules import ternary_layers
    from ..compress.pipeline import compress
    from ..compress.train import Split
    from ..frontend.onnx_import import import_onnx
    from ..frontend.qonnx_export import write_qonnx
    from .common import progress

    out = _output(args.output)
    S = _group_size(args)
    src = load_source(args)
    cfg = _config(args, S, src)
    train_d, test_d = split_data(args, args.seed)
    train_x, test_x = check_data(train_d, test_d, src)
    torch.set_num_threads(1)  # tiny models: one thread is fastest, and deterministic
    train, test = Split.of(train_x, train_d.y), Split.of(test_x, test_d.y)
    build, teacher, export = _build(src, args, train_x)
    if teacher is not None and not ternary_layers(teacher):
        raise ModelError(f"'{args.model}': no layer to ternarize and prune")
    log = lambda msg: print(f"compress: {msg}", file=sys.stderr)  # noqa: E731
    res = compress(build, train, test, cfg, log=log, teacher=teacher, progress=progress)
    graph = export(res.model)
    name = src.name
    summary = compression_summary(graph, S)
    report = {"version": JSON_VERSION, "model": args.model, "dataset": args.dataset,
              "train_dataset": args.train or args.dataset, "train_samples": len(train),
              "test_samples": len(test), "seed": args.seed,
              "method": cfg.method.value, "hyper_parameters": {**cfg.to_json(), "edge_layers": args.edge_layers,
                                                               "act_bits": args.act_bits},
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
        for src_p, dst in ((t_png, stem.with_suffix(".png")), (t_json, Path(f"{stem}.compress.json")),
                           (t_onnx, out)):
            os.chmod(src_p, 0o644)
            os.replace(src_p, dst)
    print(f"{args.model}: {cfg.method.value}, PE-wise {summary['pe_compression_rate']:.1f}x "
          f"(group density {summary['group_density']:.3f}), storage {summary['storage_compression_rate']:.1f}x, "
          f"Huffman {summary['huffman_compression_rate']:.1f}x; accuracy float {res.float_accuracy:.2f}% -> "
          f"compressed {res.compressed_accuracy:.2f}% (golden, from {out.name}: {report['golden_accuracy']:.2f}%)")
    return 0
