"""Random small FLOAT-stage networks for property tests and backend fuzzing.

`random_graph(seed)` draws a network of the ops every backend must handle:
odd channel counts, 1x1 and 3x3 convs with stride 1 or 2 and padding,
depthwise convs, max and average pooling, residual adds, BatchNorm, ReLU,
a global average pool or a flatten, and an int8 dense classifier. Every
activation is quantized, so `lower()` needs no calibration.
"""
from __future__ import annotations

import numpy as np

from ..ir.graph import Graph, GraphBuilder
from ..ir.ops import (BatchNormAttrs, InputAttrs, MacAttrs, Op, PoolAttrs, QuantAttrs)
from ..ir.types import QType, Weights, WeightKind


class _Net:
    def __init__(self, rng: np.random.Generator, name: str):
        self.rng = rng
        self.b = GraphBuilder(name)

    def quant(self, src: str, signed: bool) -> str:
        bits = int(self.rng.choice([4, 6, 8]))
        scale = float(self.rng.uniform(0.02, 0.2))
        return self.b.add(f"{src}_q", Op.QUANT, [src], QuantAttrs(QType(bits, signed, scale))).name

    def weights(self, shape, ternary: bool) -> Weights:
        m = shape[0]
        if ternary:
            codes = self.rng.choice([-1, 0, 1], size=shape, p=[0.3, 0.4, 0.3])
            return Weights(WeightKind.TERNARY, codes, self.rng.uniform(0.02, 0.3, m))
        codes = self.rng.integers(-127, 128, size=shape)
        return Weights(WeightKind.INT, codes, self.rng.uniform(0.0005, 0.004, m), 8)

    def conv(self, src: str, m: int, k: int, stride: int, depthwise: bool = False,
             relu: bool = True, same: bool = False) -> str:
        h, w, c = self.b[src].shape
        k = min(k, h, w)
        if same and k % 2 == 0:
            k = 1
        pad = k // 2 if same or self.rng.random() < 0.7 else 0
        if depthwise:
            m = c
        shape = (m, 1 if depthwise else c, k, k)
        attrs = MacAttrs(self.weights(shape, ternary=self.rng.random() < 0.8),
                         self.rng.normal(0, 0.5, m) if self.rng.random() < 0.5 else None,
                         (stride, stride), (pad, pad, pad, pad), c if depthwise else 1)
        x = self.b.add("conv", Op.CONV2D, [src], attrs).name
        if self.rng.random() < 0.5:
            x = self.b.add("bn", Op.BATCHNORM, [x], BatchNormAttrs(
                self.rng.normal(0, 0.3, m), self.rng.uniform(0.5, 2, m),
                self.rng.uniform(0.5, 1.5, m), self.rng.normal(0, 0.3, m))).name
        if relu:
            x = self.b.add("relu", Op.RELU, [x]).name
        return self.quant(x, signed=not relu)

    def block(self, x: str) -> str:
        h, w, c = self.b[x].shape
        kind = self.rng.choice(["conv", "conv", "residual", "maxpool", "avgpool", "depthwise"])
        if kind == "maxpool" and min(h, w) >= 2:
            return self.b.add("maxpool", Op.MAXPOOL, [x], PoolAttrs((2, 2), (2, 2))).name
        if kind == "avgpool" and min(h, w) >= 2:
            y = self.b.add("avgpool", Op.AVGPOOL, [x], PoolAttrs((2, 2), (2, 2))).name
            return self.quant(y, signed=True)
        if kind == "residual":
            y = self.conv(x, c, 3, 1, relu=False, same=True)
            s = self.b.add("add", Op.ADD, [y, x]).name
            s = self.b.add("relu", Op.RELU, [s]).name
            return self.quant(s, signed=False)
        if kind == "depthwise":
            return self.conv(x, c, 3, 1, depthwise=True)
        stride = 2 if min(h, w) >= 4 and self.rng.random() < 0.3 else 1
        return self.conv(x, int(self.rng.integers(1, 10)), int(self.rng.choice([1, 3])), stride)


def random_graph(seed: int, max_blocks: int = 4) -> Graph:
    rng = np.random.default_rng(seed)
    net = _Net(rng, f"random{seed}")
    h, w, c = int(rng.integers(4, 10)), int(rng.integers(4, 10)), int(rng.integers(1, 6))
    net.b.add("input", Op.INPUT, [], InputAttrs(), shape=(h, w, c))
    x = net.quant("input", signed=True)
    for _ in range(int(rng.integers(1, max_blocks + 1))):
        x = net.block(x)
    if rng.random() < 0.5:
        x = net.b.add("gap", Op.GLOBALAVGPOOL, [x]).name
        x = net.quant(x, signed=False)
    x = net.b.add("flatten", Op.FLATTEN, [x]).name
    k = net.b[x].shape[0]
    m = int(rng.integers(2, 11))
    net.b.add("fc", Op.DENSE, [x], MacAttrs(net.weights((m, k), False), rng.normal(0, 0.5, m)))
    return net.b.build()
