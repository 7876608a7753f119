"""Networks of real size with generated weights (no data, no torch).

`resnet8` (CIFAR, 32x32x3, 10 classes), `resnet18` and `vgg16` (ImageNet,
224x224x3, 1000 classes) are built as FLOAT-stage graphs that lower with no
calibration: every tensor a layer reads carries a QUANT (8-bit, fixed
power-of-two scales), BatchNorm is folded into the per-channel weight scales
and biases, and the last dense layer emits logits.

Weights come from `seed` (each layer draws from its own stream, so a layer's
weights do not depend on the others). The first conv and the last dense layer
are int8 and unpruned; every other layer is ternary and PE-group pruned
(DESIGN §3): of its `M * ceil(C_in / simd)` groups exactly
`round(density * groups)` hold nonzero weights, chosen at random, and every
kept group holds at least one nonzero. Scales follow He initialisation over
the nonzero fan-in, so activations stay within their 8-bit ranges.
"""
from __future__ import annotations

import numpy as np

from ..compression.groups import check_lanes, groups_per_row
from ..errors import OptionError
from ..ir.graph import Graph, GraphBuilder
from ..ir.ops import AddAttrs, GapAttrs, InputAttrs, MacAttrs, Op, PoolAttrs, QuantAttrs
from ..ir.types import QType, WeightKind, Weights

INPUT_Q = QType(8, True, 2.0 ** -5)    # normalised images, [-4, 4)
ACT_Q = QType(8, False, 2.0 ** -4)     # after ReLU, [0, 16)
SIGNED_Q = QType(8, True, 2.0 ** -4)   # residual branches before the add, [-8, 8)
INT8_STD = 32.0                        # spread of generated int8 codes


def kept_groups(density: float, m: int, c_in: int, simd: int) -> int:
    """Number of nonzero PE groups a pruned layer gets: round(density * groups)."""
    return int(np.floor(density * m * groups_per_row(c_in, simd) + 0.5))


def _f32(x) -> np.ndarray:
    """Round to float32 so the values survive an ONNX export bit for bit."""
    return np.asarray(x, np.float32).astype(np.float64)


def ternary_weights(rng: np.random.Generator, shape, density: float, simd: int, name: str) -> Weights:
    m, c = shape[0], shape[1]
    j = groups_per_row(c, simd)
    gmask = np.zeros(m * j, bool)
    gmask[rng.permutation(m * j)[:kept_groups(density, m, c, simd)]] = True
    per_channel = np.repeat(gmask.reshape(m, j), simd, axis=1)[:, :c]
    codes = rng.integers(-1, 2, size=shape, dtype=np.int8)
    first = (slice(None), slice(None, None, simd)) + (0,) * (len(shape) - 2)
    codes[first] = np.where(rng.random(codes[first].shape) < 0.5, -1, 1)  # a nonzero per group
    codes *= per_channel.reshape(per_channel.shape + (1,) * (len(shape) - 2))
    nnz = np.count_nonzero(codes.reshape(m, -1), axis=1)
    alpha = np.sqrt(2.0 / np.maximum(nnz, 1)) * rng.uniform(0.75, 1.25, m)
    return Weights(WeightKind.TERNARY, codes, _f32(alpha), 2, name)


def int8_weights(rng: np.random.Generator, shape, name: str) -> Weights:
    codes = np.clip(np.rint(rng.normal(0.0, INT8_STD, shape)), -127, 127).astype(np.int8)
    fan_in = int(np.prod(shape[1:]))
    scale = np.sqrt(2.0 / fan_in) / INT8_STD * rng.uniform(0.75, 1.25, shape[0])
    return Weights(WeightKind.INT, codes, _f32(scale), 8, name)


class _Gen:
    """Adds layers to a graph; layer `i` draws from the stream (seed, i)."""

    def __init__(self, name: str, shape, density: float, seed: int, simd: int):
        if not 0.0 <= density <= 1.0:
            raise OptionError(f"density must be in [0, 1], got {density}")
        if not isinstance(seed, (int, np.integer)) or seed < 0:
            raise OptionError(f"seed must be a non-negative integer, got {seed!r}")
        self.density, self.seed, self.simd = float(density), int(seed), check_lanes(simd)
        self.b = GraphBuilder(name)
        self.layers = 0
        self.b.add("input", Op.INPUT, [], InputAttrs(), shape=shape)
        self.x = self.quant("input.quant", "input", INPUT_Q)

    def rng(self) -> np.random.Generator:
        self.layers += 1
        return np.random.default_rng([self.seed, self.layers])

    def quant(self, name: str, src: str, q: QType) -> str:
        return self.b.add(name, Op.QUANT, [src], QuantAttrs(q)).name

    def mac(self, name: str, src: str, m: int, k: int = 1, stride: int = 1, pad: int = 0,
            pruned: bool = True) -> str:
        shape_in = self.b[src].shape
        rng = self.rng()
        wshape = (m, shape_in[-1], k, k) if len(shape_in) == 3 else (m, shape_in[0])
        w = ternary_weights(rng, wshape, self.density, self.simd, name) if pruned \
            else int8_weights(rng, wshape, name)
        bias = _f32(rng.normal(0.0, 0.05, m))
        op = Op.CONV2D if len(shape_in) == 3 else Op.DENSE
        attrs = MacAttrs(w, bias, (stride, stride), (pad,) * 4) if op is Op.CONV2D else MacAttrs(w, bias)
        return self.b.add(name, op, [src], attrs).name

    def relu_quant(self, name: str, src: str) -> str:
        r = self.b.add(f"{name}.relu", Op.RELU, [src]).name
        return self.quant(f"{name}.quant", r, ACT_Q)

    def conv_relu(self, name: str, src: str, m: int, k: int, stride: int = 1, pruned: bool = True) -> str:
        return self.relu_quant(name, self.mac(name, src, m, k, stride, k // 2, pruned))

    def basic_block(self, name: str, src: str, m: int, stride: int) -> str:
        y = self.conv_relu(f"{name}.conv1", src, m, 3, stride)
        y = self.quant(f"{name}.conv2.quant", self.mac(f"{name}.conv2", y, m, 3, 1, 1), SIGNED_Q)
        if stride != 1 or self.b[src].shape[-1] != m:
            d = self.mac(f"{name}.downsample", src, m, 1, stride)
            src = self.quant(f"{name}.downsample.quant", d, SIGNED_Q)
        s = self.b.add(f"{name}.add", Op.ADD, [y, src], AddAttrs()).name
        return self.relu_quant(name, s)

    def head(self, src: str, classes: int) -> Graph:
        g = self.b.add("avgpool", Op.GLOBALAVGPOOL, [src], GapAttrs()).name
        self.mac("fc", g, classes, pruned=False)
        return self.b.build()


def resnet8(density: float = 0.25, seed: int = 0, simd: int = 16) -> Graph:
    """CIFAR ResNet-8: conv3x3 16, three one-block stages 16/32/64, GAP, dense 10."""
    n = _Gen("resnet8", (32, 32, 3), density, seed, simd)
    x = n.conv_relu("conv1", n.x, 16, 3, pruned=False)
    for i, (m, stride) in enumerate(((16, 1), (32, 2), (64, 2))):
        x = n.basic_block(f"layer{i + 1}.0", x, m, stride)
    return n.head(x, 10)


def probe_a(density: float = 0.5, seed: int = 1, simd: int = 16) -> Graph:
    """A small residual net the cost-model calibration never saw (bench/synth_vs_estimate.py):
    16x16x3, conv3x3 8, one basic block of 16 channels at stride 2 (conv3x3/2, conv3x3,
    1x1/2 downsample, residual add), GAP, dense 10."""
    n = _Gen("probe_a", (16, 16, 3), density, seed, simd)
    x = n.conv_relu("conv1", n.x, 8, 3, pruned=False)
    x = n.basic_block("layer1.0", x, 16, 2)
    return n.head(x, 10)


def probe_b(density: float = 0.5, seed: int = 2, simd: int = 16) -> Graph:
    """A small 5x5-kernel net the cost-model calibration never saw (bench/synth_vs_estimate.py):
    16x16x3, conv5x5 8, maxpool 2x2, conv5x5/2 16, flatten, dense 10."""
    n = _Gen("probe_b", (16, 16, 3), density, seed, simd)
    x = n.conv_relu("conv1", n.x, 8, 5, pruned=False)
    x = n.b.add("pool1", Op.MAXPOOL, [x], PoolAttrs((2, 2), (2, 2))).name
    x = n.conv_relu("conv2", x, 16, 5, stride=2)
    x = n.b.add("flatten", Op.FLATTEN, [x]).name
    n.mac("fc", x, 10, pruned=False)
    return n.b.build()


def resnet18(density: float = 0.25, seed: int = 0, simd: int = 16) -> Graph:
    """ImageNet ResNet-18: conv7x7/2 64, maxpool, four stages of two blocks, GAP, dense 1000."""
    n = _Gen("resnet18", (224, 224, 3), density, seed, simd)
    x = n.conv_relu("conv1", n.x, 64, 7, stride=2, pruned=False)
    x = n.b.add("maxpool", Op.MAXPOOL, [x], PoolAttrs((3, 3), (2, 2), (1, 1, 1, 1))).name
    for i, m in enumerate((64, 128, 256, 512)):
        for j in range(2):
            x = n.basic_block(f"layer{i + 1}.{j}", x, m, 2 if (i > 0 and j == 0) else 1)
    return n.head(x, 1000)


VGG16 = (64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M")


def vgg16(density: float = 0.25, seed: int = 0, simd: int = 16, hidden: int = 4096) -> Graph:
    """VGG-16 (configuration D): 13 conv3x3, 5 maxpools, dense hidden/hidden/1000.

    `hidden` narrows the two middle dense layers (4096 in the original, whose
    first one alone holds 103M weights)."""
    if not isinstance(hidden, (int, np.integer)) or hidden < 1:
        raise OptionError(f"hidden must be a positive integer, got {hidden!r}")
    n = _Gen("vgg16", (224, 224, 3), density, seed, simd)
    x, conv, pool = n.x, 0, 0
    for v in VGG16:
        if v == "M":
            pool += 1
            x = n.b.add(f"pool{pool}", Op.MAXPOOL, [x], PoolAttrs((2, 2), (2, 2))).name
        else:
            conv += 1
            x = n.conv_relu(f"conv{conv}", x, v, 3, pruned=conv > 1)
    x = n.b.add("flatten", Op.FLATTEN, [x]).name
    x = n.relu_quant("fc1", n.mac("fc1", x, hidden))
    x = n.relu_quant("fc2", n.mac("fc2", x, hidden))
    n.mac("fc3", x, 1000, pruned=False)
    return n.b.build()


GENERATORS = {"resnet8": resnet8, "resnet18": resnet18, "vgg16": vgg16}
