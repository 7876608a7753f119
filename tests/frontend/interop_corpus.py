"""The interop corpus: small digits models as real exporters write them.

Every model is built, trained for a few epochs on the digits training split
and exported at test time (no binaries are shipped), by one of:

- `brevitas`: Brevitas 0.13.4 quantized modules, `export_qonnx` (QONNX);
- `qonnx-clean`: the same QONNX file after qonnx 1.0.0's `cleanup_model`, what
  FINN users feed in;
- `dynamo` / `legacy`: a float PyTorch model through `torch.onnx.export` with
  the `torch.export`-based exporter (the default since 2.9) or the TorchScript
  one, compiled with post-training `--weights twn|int8 --calibrate`.

A case names its builder, its exporter and, for float models, the weights
option. `tests/frontend/test_interop.py` checks each against an executor
nobody here wrote (qonnx's `execute_onnx`, onnxruntime) and Tritium's golden
model. Add a model by adding a builder and a `Case`.
"""
from __future__ import annotations

import functools
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
import torch
from torch import nn

from tritium.data import digits_split

QONNX_SOURCES = ("brevitas", "qonnx-clean")
FLOAT_SOURCES = ("dynamo", "legacy")


@dataclass(frozen=True)
class Case:
    name: str                      # the builder's name
    source: str                    # one of QONNX_SOURCES + FLOAT_SOURCES
    build: Callable[[], nn.Module]
    weights: str | None = None     # float models: "twn" or "int8"
    default_tier: bool = False     # at most 5 cases run outside `-m slow`

    @property
    def id(self) -> str:
        return f"{self.source}-{self.name}" + (f"-{self.weights}" if self.weights else "")


# ------------------------------------------------------------------ Brevitas models

def _brevitas():
    import brevitas.nn as qnn
    from brevitas.quant import Int8WeightPerTensorFloat, Int32Bias
    return qnn, Int8WeightPerTensorFloat, Int32Bias


def _ternary_quant():
    _, base, _ = _brevitas()

    class TernaryWeight(base):   # 2-bit signed narrow range: codes {-1, 0, +1}
        bit_width = 2
        narrow_range = True
    return TernaryWeight


class MlpViewDiv(nn.Module):
    """Issue 16's MLP: `x.view(-1, 64) / 16.0` before the first quantizer."""

    def __init__(self):
        super().__init__()
        qnn, _, _ = _brevitas()
        self.qin = qnn.QuantIdentity(bit_width=8, return_quant_tensor=True)
        self.fc1 = qnn.QuantLinear(64, 32, bias=True, weight_bit_width=4)
        self.act = qnn.QuantReLU(bit_width=4, return_quant_tensor=True)
        self.fc2 = qnn.QuantLinear(32, 10, bias=True, weight_bit_width=8)

    def forward(self, x):
        x = x.view(-1, 64) / 16.0
        return self.fc2(self.act(self.fc1(self.qin(x))))


class BrevitasCnn(nn.Module):
    """conv(int8) | BatchNorm | QuantReLU | conv(`weight_quant`) | QuantReLU | pool | flatten | linear."""

    def __init__(self, weight_quant=None, per_channel=False, bias_quant=None, pool="max",
                 out_quant=False):
        super().__init__()
        qnn, int8, _ = _brevitas()
        self.qin = qnn.QuantIdentity(bit_width=8, return_quant_tensor=True)
        self.c1 = qnn.QuantConv2d(1, 8, 3, padding=1, weight_bit_width=8, bias=False)
        self.bn1 = nn.BatchNorm2d(8)
        self.r1 = qnn.QuantReLU(bit_width=4, return_quant_tensor=True)
        self.c2 = qnn.QuantConv2d(8, 16, 3, padding=1, weight_quant=weight_quant or int8,
                                  weight_scaling_per_output_channel=per_channel,
                                  bias=bias_quant is not None, bias_quant=bias_quant)
        self.r2 = qnn.QuantReLU(bit_width=4, return_quant_tensor=True)
        self.pool = nn.MaxPool2d(2) if pool == "max" else nn.AvgPool2d(2)
        extra = {"output_quant": qnn.QuantIdentity(bit_width=8).act_quant} if out_quant else {}
        self.fc = qnn.QuantLinear(16 * 4 * 4, 10, bias=True, weight_bit_width=8, **extra)

    def forward(self, x):
        x = self.r1(self.bn1(self.c1(self.qin(x))))
        x = self.pool(self.r2(self.c2(x)))
        return self.fc(torch.flatten(x, 1))


class BrevitasResidual(nn.Module):
    """Two branches re-quantized by one shared QuantIdentity, added, global-average pooled."""

    def __init__(self):
        super().__init__()
        qnn, _, _ = _brevitas()
        self.qin = qnn.QuantIdentity(bit_width=8, return_quant_tensor=True)
        self.c1 = qnn.QuantConv2d(1, 8, 3, padding=1, weight_bit_width=8, bias=True)
        self.r1 = qnn.QuantReLU(bit_width=8, return_quant_tensor=True)
        self.c2 = qnn.QuantConv2d(8, 8, 3, padding=1, weight_quant=_ternary_quant(), bias=True)
        self.shared = qnn.QuantIdentity(bit_width=8, return_quant_tensor=True)
        self.r2 = qnn.QuantReLU(bit_width=8, return_quant_tensor=True)
        self.gap = nn.AdaptiveAvgPool2d(1)
        self.fc = qnn.QuantLinear(8, 10, bias=True, weight_bit_width=8)

    def forward(self, x):
        a = self.r1(self.c1(self.qin(x)))
        y = self.shared(self.c2(a)) + self.shared(a)
        return self.fc(torch.flatten(self.gap(self.r2(y)), 1))


class TruncAvgPoolCnn(BrevitasCnn):
    """Brevitas's own quantized average pool, which exports a QONNX Trunc."""

    def __init__(self):
        super().__init__()
        qnn, _, _ = _brevitas()
        self.pool = qnn.TruncAvgPool2d(2, bit_width=8)


BREVITAS = {
    "mlp-view-div": MlpViewDiv,
    "cnn-ternary-perchannel": lambda: BrevitasCnn(_ternary_quant(), per_channel=True),
    "cnn-int4-bias-quant": lambda: BrevitasCnn(_int4(), bias_quant=_brevitas()[2]),
    "cnn-int8-avgpool-outquant": lambda: BrevitasCnn(pool="avg", out_quant=True),
    "residual-shared-quant": BrevitasResidual,
}


# Patterns Tritium refuses: (name, source) -> (builder, the words its one-line error must
# hold). The file is exported untrained: what is refused is its structure.
REFUSED = {
    ("cnn-trunc-avgpool", "brevitas"): (TruncAvgPoolCnn, ["Trunc", "use nn.AvgPool2d"]),
}


def _int4():
    _, base, _ = _brevitas()

    class Int4Weight(base):
        bit_width = 4
    return Int4Weight


# ------------------------------------------------------------------ float PyTorch models

class FloatCnn(nn.Module):
    def __init__(self, head="flatten", prescale=False, same=False):
        super().__init__()
        self.prescale = prescale
        k, pad = (4, "same") if same else (3, 1)
        self.body = nn.Sequential(nn.Conv2d(1, 8, k, padding=pad), nn.BatchNorm2d(8), nn.ReLU(),
                                  nn.Conv2d(8, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                                  nn.Dropout(0.1))
        if head == "gap":
            self.head = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(16, 10))
        else:
            self.head = nn.Sequential(nn.Flatten(), nn.Linear(16 * 4 * 4, 10))

    def forward(self, x):
        if self.prescale:
            x = x / 16.0
        return self.head(self.body(x))


FLOAT = {
    "mlp": lambda: nn.Sequential(nn.Flatten(), nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 10)),
    "cnn-bn-maxpool": FloatCnn,
    "cnn-gap": lambda: FloatCnn(head="gap"),
    "cnn-prescale-dropout": lambda: FloatCnn(prescale=True),
    "cnn-same-even-kernel": lambda: FloatCnn(same=True),
}

# One case of each exporter, pairs sharing a trained model (`trained` caches it).
DEFAULT_TIER = {("brevitas", "mlp-view-div", None), ("qonnx-clean", "mlp-view-div", None),
                ("brevitas", "cnn-ternary-perchannel", None), ("dynamo", "cnn-bn-maxpool", "int8"),
                ("legacy", "cnn-bn-maxpool", "twn")}


def cases() -> list[Case]:
    out = []
    for source in QONNX_SOURCES:
        out += [Case(n, source, b, None, (source, n, None) in DEFAULT_TIER) for n, b in BREVITAS.items()]
    for source in FLOAT_SOURCES:
        for n, b in FLOAT.items():
            out += [Case(n, source, b, w, (source, n, w) in DEFAULT_TIER) for w in ("int8", "twn")]
    return out


# ------------------------------------------------------------------ train and export

@functools.lru_cache(maxsize=None)
def digits():
    """(train x, train y, test x) with images (N, 1, 8, 8) of pixel values 0..16."""
    train, test = digits_split()
    shape = (-1, 1, 8, 8)
    return (np.asarray(train.x, np.float32).reshape(shape), np.asarray(train.y),
            np.asarray(test.x, np.float32).reshape(shape))


@functools.lru_cache(maxsize=None)
def trained(name: str, quantized: bool) -> nn.Module:
    """Model `name` trained on the digits training split; one training serves every
    exporter and weights option of the model (the exporters do not change it)."""
    x, y, _ = digits()
    # float models train fast; a few more epochs give them the margins int8 inference keeps
    return _train((BREVITAS if quantized else FLOAT)[name], x, y, epochs=3 if quantized else 6)


def _train(build, x: np.ndarray, y: np.ndarray, epochs: int, seed: int = 0) -> nn.Module:
    torch.manual_seed(seed)
    model = build()
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    xt, yt = torch.tensor(x), torch.tensor(y)
    model.train()
    for _ in range(epochs):
        for idx in torch.randperm(len(xt)).split(64):
            opt.zero_grad()
            nn.functional.cross_entropy(model(xt[idx]), yt[idx]).backward()
            opt.step()
    return model.eval()


def export(case: Case, model: nn.Module, path: Path) -> Path:
    example = torch.zeros(1, 1, 8, 8)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")      # exporters' chatter (and the legacy one's deprecation)
        if case.source in QONNX_SOURCES:
            from brevitas.export import export_qonnx
            export_qonnx(model, example, export_path=str(path))
        else:
            torch.onnx.export(model, (example,), str(path), dynamo=case.source == "dynamo",
                              verbose=False)
    if case.source == "qonnx-clean":
        from qonnx.core.modelwrapper import ModelWrapper
        from qonnx.util.cleanup import cleanup_model
        cleanup_model(ModelWrapper(str(path))).save(str(path))
    return path


def reference(case: Case, path: Path, x: np.ndarray) -> np.ndarray:
    """Outputs of the exported file, image by image (the exports have batch 1), by
    qonnx's executor (QONNX) or onnxruntime (float ONNX)."""
    if case.source in QONNX_SOURCES:
        from qonnx.core.modelwrapper import ModelWrapper
        from qonnx.core.onnx_exec import execute_onnx
        w = ModelWrapper(str(path))
        i, o = w.graph.input[0].name, w.graph.output[0].name
        return np.concatenate([execute_onnx(w, {i: x[k:k + 1]})[o] for k in range(len(x))])
    import onnxruntime as ort
    s = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    i = s.get_inputs()[0].name
    return np.concatenate([s.run(None, {i: x[k:k + 1]})[0] for k in range(len(x))])


def output_is_quantized(path: Path) -> bool:
    """Whether the exported graph's output comes straight from a QONNX Quant node."""
    import onnx
    g = onnx.load(str(path)).graph
    return any(n.op_type == "Quant" and g.output[0].name in n.output for n in g.node)


# ------------------------------------------------------------------ the support matrix

def matrix_row(case: Case, path: Path) -> str:
    """One markdown row: what the exporter wrote, what Tritium built, and the agreement."""
    import onnx

    import tritium
    from tritium.data import channels_last, fit_input
    from tritium.errors import TritiumError
    from tritium.ir.interp import run_float, run_golden
    onnx_ops = sorted({n.op_type for n in onnx.load(str(path)).graph.node})
    x_train, _, x_test = digits()
    try:
        m = tritium.load(str(path), weights=case.weights,
                         calibrate=x_train[:256] if case.weights else None)
    except TritiumError as e:
        return f"| {case.id} | {', '.join(onnx_ops)} | refused | {e} |"
    ir_ops = sorted({n.op.value for n in m.graph.nodes})
    x = channels_last(fit_input(x_test, m.graph.input.shape, "digits"))
    codes = run_golden(m.graph, x)
    ref = run_float(m.float_graph, x) if case.weights == "twn" else reference(case, path, x_test)
    what = "L0 fake-quant view" if case.weights == "twn" else (
        "qonnx execute_onnx" if case.source in QONNX_SOURCES else "onnxruntime")
    agree = np.mean(codes.argmax(1) == ref.reshape(codes.shape).argmax(1))
    return f"| {case.id} | {', '.join(onnx_ops)} | {', '.join(ir_ops)} | {agree:.1%} vs {what} |"


def main(out_dir: Path) -> str:
    """The support matrix of docs/interop.md, from a run of the whole corpus."""
    rows = ["| model | ONNX ops in the file | IR ops (integer) | golden argmax agreement |",
            "|---|---|---|---|"]
    for case in cases():
        path = export(case, trained(case.name, case.source in QONNX_SOURCES), out_dir / f"{case.id}.onnx")
        rows.append(matrix_row(case, path))
    refused = ["| pattern | exporter | Tritium's error (exit 2) |", "|---|---|---|"]
    for (name, source), (build, _) in sorted(REFUSED.items()):
        path = export(Case(name, source, build), build().eval(), out_dir / f"{name}.onnx")
        refused.append("| " + " | ".join([name, source, matrix_row(Case(name, source, build), path)
                                         .split(" | ")[-1].rstrip(" |")]) + " |")
    return "\n".join(rows) + "\n\n" + "\n".join(refused) + "\n"


if __name__ == "__main__":   # regenerates the tables of docs/interop.md
    import contextlib
    import io
    import sys
    import tempfile
    with tempfile.TemporaryDirectory() as tmp, contextlib.redirect_stdout(io.StringIO()):
        table = main(Path(tmp))          # the exporters print their progress on stdout
    sys.stdout.write(table)
