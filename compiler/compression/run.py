"""One compress run, from a model and a dataset to a compressed model and its summary.

`tritium.compress` (the API) and `tritium compress` (the CLI) both call
`run(Request(...))`. The model is a trainable zoo model (zoo:cnn-digits,
zoo:mlp-digits: trained from scratch as the float teacher) or any FLOAT-stage
graph (an imported .onnx, zoo:NAME, a compile OUTDIR): its weights are the
float teacher (`teacher_epochs` fine-tunes it first) and `from_graph` makes
it trainable. Data (see `split_data`): `dataset="digits"` is the fixed digits
train/test split; an .npz is split by `seed`, 20% test; `train=DATA` gives
the training set explicitly and `dataset` is then the test set.

The summary (OUT.compress.json, schema `tritium.schema` "compress") gives
every accuracy as a fraction in 0..1, as `simulate --json` does. With an
output path, OUT.onnx (QONNX), OUT.compress.json and OUT.png (validation
accuracy against pruning rate) are written into a temporary directory and
moved into place at the end: a failed run leaves nothing behind.
"""
from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from .. import schema
from ..errors import DatasetError, ModelError, OptionError
from ..ir.graph import Graph

TEST_FRACTION = 0.2     # of an .npz given alone as the dataset
MIN_TRAIN, MIN_TEST = 50, 10


@dataclass(frozen=True)
class Request:
    """What to compress and how (the CLI's options, one field each)."""
    model: str                           # the model's name: a spec (zoo:..., a path) or a label
    graph: Graph | None = None           # the FLOAT graph, when the model is not a trainable zoo spec
    dataset: str = "digits"
    train: str | None = None
    board: str | None = None
    group_size: int | None = None
    method: str = "wpc"
    target_compression: float | None = None
    output: str | None = None
    seed: int = 0
    edge_layers: str = "int8"
    act_bits: int = 8
    lam: float | None = None
    rho: float = 0.7
    wpc_variant: str = "rank"
    kd_temperature: float = 4.0
    kd_alpha: float = 0.7
    teacher_epochs: int | None = None
    reg_epochs: int = 20
    finetune_epochs: int = 30
    rates: tuple[float, ...] | None = None
    input_shape: tuple[int, ...] | None = None


@dataclass(frozen=True)
class Outcome:
    """The compressed model: its FLOAT graph, QONNX bytes and the summary document."""
    graph: Graph
    onnx: bytes
    summary: dict


def zoo_trainable(spec: str) -> str | None:
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


def load_source(req: Request) -> Source:
    """The trainable zoo architecture `req.model` names, or its imported graph (checked
    to have something to prune)."""
    from ..frontend import load_model
    from ..zoo.digits import INPUT_SHAPES
    zoo = zoo_trainable(req.model) if req.graph is None or req.model.startswith("zoo:") else None
    if zoo is not None:
        return Source(zoo, INPUT_SHAPES[zoo], 10, zoo=zoo)
    g = req.graph if req.graph is not None else load_model(req.model, input_shape=req.input_shape)
    if not g.macs():
        raise ModelError(f"'{req.model}' has no Conv or Dense layer: there is nothing to prune or ternarize")
    n_mid = len(g.macs()) - 2
    if req.edge_layers == "int8" and n_mid < 1:
        raise ModelError(
            f"'{req.model}' has {len(g.macs())} Conv/Dense layer(s), all first or last, which stay int8 "
            "and unpruned: nothing to compress; pass --edge-layers ternary to ternarize and prune them")
    s = g.input.shape
    shape = (s[2], s[0], s[1]) if len(s) == 3 else tuple(s)
    classes = 1
    for d in g.output_node.shape:
        classes *= int(d)
    return Source(g.name, shape, classes, graph=g)


def split_data(req: Request):
    """(train, test) `Dataset`s. `digits`: the fixed digits split; `F.npz`: a
    permutation by `seed`, the first 20% (rounded) is the test set; with
    `train=T`: T whole for training, the dataset whole for test."""
    import numpy as np

    from ..data import Dataset, digits_split, load_dataset
    if req.train is not None:
        train = digits_split()[0] if req.train == "digits" else load_dataset(req.train)
        return train, load_dataset(req.dataset)
    if req.dataset == "digits":
        return digits_split()
    d = load_dataset(req.dataset)
    perm = np.random.default_rng(req.seed).permutation(len(d))
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


def group_size(req: Request) -> int:
    """The PE group size S: `group_size`, else the board's 'simd'."""
    from ..board import load_board
    from .groups import check_lanes
    if req.group_size is not None:
        return check_lanes(req.group_size)
    if req.board is None:
        raise OptionError("give --board BOARD (its 'simd' is the group size) or --group-size S")
    return load_board(req.board).simd


def output_path(path: str) -> Path:
    """OUT.onnx, checked before any training so a bad path fails in a second."""
    out = Path(path)
    if out.suffix != ".onnx":
        raise OptionError(f"-o must name an .onnx file, got '{path}'")
    if not out.parent.is_dir():
        raise OptionError(f"cannot write '{path}': directory '{out.parent}' does not exist")
    return out


def config(req: Request, S: int, src: Source):
    """The pipeline's `CompressConfig` from the request, every option checked."""
    from .kd import KDConfig
    from .pipeline import CompressConfig, Method
    teacher = req.teacher_epochs if req.teacher_epochs is not None else (25 if src.zoo else 0)
    for flag, v in (("--teacher-epochs", teacher), ("--reg-epochs", req.reg_epochs),
                    ("--finetune-epochs", req.finetune_epochs)):
        if v < 0:
            raise OptionError(f"{flag} must be at least 0, got {v}")
    if not 2 <= req.act_bits <= 16:
        raise OptionError(f"--act-bits must be within 2..16, got {req.act_bits}")
    extra = {"rates": tuple(req.rates)} if req.rates else {}
    if req.rates and len(req.rates) < 3 and req.target_compression is None:
        raise OptionError(f"the knee needs at least 3 sweep rates, got --rates {','.join(map(str, req.rates))}; "
                          "give more rates or --target-compression X")
    try:
        method = Method(req.method)
    except ValueError:
        raise OptionError(f"unknown compress method '{req.method}'; use one of "
                          f"{', '.join(m.value for m in Method)}") from None
    return CompressConfig(method=method, group_size=S, lam=req.lam, rho=req.rho,
                          wpc_variant=req.wpc_variant, target_compression=req.target_compression,
                          kd=KDConfig(req.kd_temperature, req.kd_alpha), seed=req.seed,
                          teacher_epochs=teacher, reg_epochs=req.reg_epochs,
                          finetune_epochs=req.finetune_epochs, **extra)


def golden_accuracy(graph: Graph, test) -> float:
    """Accuracy (0..1) of the golden model of `graph` on the test split."""
    import numpy as np

    from ..ir.interp import run_golden
    from ..passes import lower
    x = test.x.numpy()
    x = x.transpose(0, 2, 3, 1) if x.ndim == 4 else x.reshape(len(x), -1)
    out = run_golden(lower(graph), np.ascontiguousarray(x))
    return float((out.reshape(len(out), -1).argmax(1) == test.y.numpy()).mean())


def plot_png(curve, rate: float, how: str, title: str) -> bytes:
    """Validation accuracy (%) against pruning rate, the chosen rate marked; byte-stable PNG."""
    import io

    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(5, 3.2), dpi=100)
    ax.plot([r for r, _ in curve], [a for _, a in curve], "o-", label="after adaptive BN")
    ax.axvline(rate, color="C3", ls="--", label=f"chosen ({how}) r={rate:.2f}")
    ax.set(xlabel="pruning rate (fraction of PE groups)", ylabel="validation accuracy (%)", title=title)
    ax.legend(loc="lower left", fontsize=8)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", metadata={"Software": None})  # no date, no version
    plt.close(fig)
    return buf.getvalue()


def _build(src: Source, req: Request, train_x):
    """(build, teacher, export) for the pipeline."""
    from ..data import channels_last
    from ..frontend.torch_import import import_torch
    from ..zoo.digits import build_digits_model
    from .from_graph import export_graph, from_graph
    if src.zoo is not None:
        return (lambda: build_digits_model(src.zoo, req.seed), None,
                lambda m: import_torch(m, src.input_shape, src.name))
    import torch
    torch.manual_seed(req.seed)
    net = from_graph(src.graph, calib=channels_last(train_x[:256]), edge=req.edge_layers,
                     act_bits=req.act_bits)
    return None, net, lambda m: export_graph(m, src.name)


def _fraction(percent: float) -> float:
    """The training side measures in percent; every JSON document says fractions."""
    return round(percent / 100.0, 6)


def run(req: Request, log=None, progress=None) -> Outcome:
    """Compress `req.model`; write OUT.onnx, OUT.compress.json and OUT.png when
    `req.output` is set. `log(msg)` gets progress lines, `progress` is a
    `pipeline.Progress` (the CLI's rich bars)."""
    import torch

    from ..frontend.onnx_import import import_onnx
    from ..frontend.qonnx_export import qonnx_bytes
    from .accounting import compression_summary
    from .modules import ternary_layers
    from .pipeline import compress, no_progress
    from .train import Split

    out = output_path(req.output) if req.output is not None else None
    S = group_size(req)
    src = load_source(req)
    cfg = config(req, S, src)
    train_d, test_d = split_data(req)
    train_x, test_x = check_data(train_d, test_d, src)
    torch.set_num_threads(1)  # tiny models: one thread is fastest, and deterministic
    train, test = Split.of(train_x, train_d.y), Split.of(test_x, test_d.y)
    build, teacher, export = _build(src, req, train_x)
    if teacher is not None and not ternary_layers(teacher):
        raise ModelError(f"'{req.model}': no layer to ternarize and prune")
    res = compress(build, train, test, cfg, log=log or (lambda _m: None), teacher=teacher,
                   progress=progress or no_progress)
    onnx = qonnx_bytes(export(res.model))
    graph = import_onnx(onnx, name=src.name)   # exactly what OUT.onnx reads back as
    summary = compression_summary(graph, S)
    doc = schema.stamp("compress", {
        "model": req.model, "dataset": req.dataset, "train_dataset": req.train or req.dataset,
        "train_samples": len(train), "test_samples": len(test), "seed": req.seed,
        "method": cfg.method.value,
        "hyper_parameters": {**cfg.to_json(), "edge_layers": req.edge_layers, "act_bits": req.act_bits},
        "float_accuracy": _fraction(res.float_accuracy),
        "compressed_accuracy": _fraction(res.compressed_accuracy),
        "accuracy_drop": _fraction(res.float_accuracy - res.compressed_accuracy),
        "golden_accuracy": golden_accuracy(graph, test),
        "pruning_rate": res.rate, "rate_choice": res.how,
        "sweep": [{"rate": r, "validation_accuracy": _fraction(a)} for r, a in res.curve], **summary})
    if out is not None:
        png = plot_png(res.curve, res.rate, res.how, f"{src.name}, {cfg.method.value}, S={S}")
        _write(out, onnx, doc, png)
    return Outcome(graph, onnx, doc)


def dumps(doc: dict) -> str:
    """OUT.compress.json's text (sorted keys: same run, same bytes)."""
    return json.dumps(doc, indent=2, sort_keys=True) + "\n"


def _write(out: Path, onnx: bytes, doc: dict, png: bytes) -> None:
    """OUT.png, OUT.compress.json, OUT.onnx: written beside, moved into place last."""
    stem = out.with_suffix("")
    files = ((png, stem.with_suffix(".png")), (dumps(doc).encode(), Path(f"{stem}.compress.json")),
             (onnx, out))
    with tempfile.TemporaryDirectory(dir=out.parent, prefix=f".{out.stem}.") as tmp:
        staged = []
        for k, (data, dst) in enumerate(files):
            p = Path(tmp) / str(k)
            p.write_bytes(data)
            os.chmod(p, 0o644)
            staged.append((p, dst))
        for p, dst in staged:
            os.replace(p, dst)
