"""The two trained zoo models on 8x8 digits: `mlp-digits` and `cnn-digits`.

Both quantize their input with a fixed scale of 1 (the pixels are the integers
0..16, so input quantization is exact), use 8-bit unsigned activations after
every ReLU, int8 weights in the first and last layer and ternary weights in
between (DESIGN §2). They are trained with quantization-aware training (float
warm-up, then fake quantization with calibrated, then frozen, activation
scales), so the integer golden model agrees with the PyTorch model.

`train_digits_model(name, seed)` returns the trained module and its imported
FLOAT-stage graph; the QONNX writer turns that graph into the shipped files.
"""
from __future__ import annotations

from torch import nn

from ..errors import ModelError

NAMES = ("mlp-digits", "cnn-digits")
# Model input shapes, batch excluded: the MLP takes the 64 pixels as a vector
# (row-major, the same order as the flattened (8, 8, 1) image).
INPUT_SHAPES = {"mlp-digits": (64,), "cnn-digits": (1, 8, 8)}


def _act() -> list[nn.Module]:
    from ..compression.modules import QuantAct
    return [nn.ReLU(), QuantAct(bits=8, signed=False)]


class CnnDigits(nn.Module):
    """conv 1->16 (int8) | conv 16->32 (ternary) | pool | conv 32->32 (ternary) | pool | dense 128->10 (int8)."""

    def __init__(self, width: tuple[int, int, int] = (16, 32, 32), threshold: str = "he"):
        super().__init__()
        from ..compression.modules import IntConv2d, IntLinear, QuantAct, TernaryConv2d
        c1, c2, c3 = width
        self.quant_in = QuantAct(bits=8, signed=False, scale=1.0)
        self.conv1 = IntConv2d(1, c1, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(c1)
        self.act1 = nn.Sequential(*_act())
        self.conv2 = TernaryConv2d(c1, c2, 3, padding=1, bias=False, threshold=threshold)
        self.bn2 = nn.BatchNorm2d(c2)
        self.act2 = nn.Sequential(*_act())
        self.pool2 = nn.MaxPool2d(2)
        self.conv3 = TernaryConv2d(c2, c3, 3, padding=1, bias=False, threshold=threshold)
        self.bn3 = nn.BatchNorm2d(c3)
        self.act3 = nn.Sequential(*_act())
        self.pool3 = nn.MaxPool2d(2)
        self.flatten = nn.Flatten()
        self.fc = IntLinear(c3 * 4, 10)

    def forward(self, x):
        x = self.act1(self.bn1(self.conv1(self.quant_in(x))))
        x = self.pool2(self.act2(self.bn2(self.conv2(x))))
        x = self.pool3(self.act3(self.bn3(self.conv3(x))))
        return self.fc(self.flatten(x))


class MlpDigits(nn.Module):
    """dense 64->64 (int8) | dense 64->64 (ternary) | dense 64->10 (int8)."""

    def __init__(self, hidden: int = 64, threshold: str = "he"):
        super().__init__()
        from ..compression.modules import IntLinear, QuantAct, TernaryLinear
        self.quant_in = QuantAct(bits=8, signed=False, scale=1.0)
        self.flatten = nn.Flatten()
        self.fc1 = IntLinear(64, hidden, bias=False)
        self.bn1 = nn.BatchNorm1d(hidden)
        self.act1 = nn.Sequential(*_act())
        self.fc2 = TernaryLinear(hidden, hidden, bias=False, threshold=threshold)
        self.bn2 = nn.BatchNorm1d(hidden)
        self.act2 = nn.Sequential(*_act())
        self.fc3 = IntLinear(hidden, 10)

    def forward(self, x):
        x = self.act1(self.bn1(self.fc1(self.flatten(self.quant_in(x)))))
        x = self.act2(self.bn2(self.fc2(x)))
        return self.fc3(x)


def build_digits_model(name: str, seed: int = 0) -> nn.Module:
    """The untrained architecture, initialised from `seed`."""
    import torch
    if name not in NAMES:
        raise ModelError(f"unknown digits model '{name}'; use one of {', '.join(NAMES)}")
    torch.manual_seed(seed)
    return CnnDigits() if name == "cnn-digits" else MlpDigits()


def digits_data():
    """(train, test) as torch `Split`s in NCHW."""
    from ..compression.train import Split
    from ..data import digits_split
    train, test = digits_split()
    return Split.of(train.x, train.y), Split.of(test.x, test.y)


def qat(model: nn.Module, data, seed: int = 0, float_epochs: int = 15, qat_epochs: int = 10,
        frozen_epochs: int = 5, lr: float = 3e-3, **fit) -> nn.Module:
    """Float warm-up, then fake quantization with calibrating, then frozen, activation scales."""
    from ..compression.modules import freeze_act_scales, set_quant_enabled
    from ..compression.train import Fit
    set_quant_enabled(model, False)
    Fit(float_epochs, lr=lr, seed=seed, **fit).run(model, data)
    set_quant_enabled(model, True)
    Fit(qat_epochs, lr=lr / 3, seed=seed + 1, **fit).run(model, data)
    freeze_act_scales(model)
    Fit(frozen_epochs, lr=lr / 10, seed=seed + 2, **fit).run(model, data)
    return model


def train_digits_model(name: str, seed: int = 0):
    """Train `name` on the digits training split; returns (module in eval mode, FLOAT graph)."""
    import torch
    from ..frontend.torch_import import import_torch
    torch.set_num_threads(1)  # tiny models: one thread is fastest, and deterministic
    model = build_digits_model(name, seed)
    train, _ = digits_data()
    qat(model, train, seed=seed).eval()
    return model, import_torch(model, INPUT_SHAPES[name], name)
