"""Small synthetic layers for the schedule tests (imported by the test modules)."""
from __future__ import annotations

import numpy as np

from tritium.ir.ops import MacAttrs
from tritium.ir.types import Weights, WeightKind


def group_pruned_ternary(rng, m, c, kh, kw, s, density):
    """Ternary conv weights whose (m, S-channel group) blocks are kept with prob `density`."""
    w = rng.integers(-1, 2, size=(m, c, kh, kw))
    keep = rng.random((m, -(-c // s))) < density
    keep = np.repeat(keep, s, axis=1)[:, :c]
    return w * keep[:, :, None, None]


def mac(values, kind=WeightKind.TERNARY, bits=2, groups=1):
    return MacAttrs(Weights(kind, values, np.ones(values.shape[0]), bits, "w"), groups=groups)


def tiny_net(seed=0, density=0.5, s=16):
    """A small residual CNN in the INTEGER-stage shape: int8 first and last layer,
    group-pruned ternary layers in between."""
    from tritium.ir.graph import GraphBuilder
    from tritium.ir.ops import AddAttrs, GapAttrs, InputAttrs, Op, PoolAttrs
    from tritium.ir.types import QType

    rng = np.random.default_rng(seed)
    u8, i8 = QType(8, False, 0.05), QType(8, True, 0.05)
    b = GraphBuilder("tiny")
    b.add("x", Op.INPUT, [], InputAttrs(), qtype=u8, shape=(16, 16, 3))
    w0 = rng.integers(-127, 128, size=(16, 3, 3, 3))
    b.add("conv0", Op.CONV2D, ["x"], MacAttrs(Weights(WeightKind.INT, w0, np.ones(16), 8, "conv0"),
                                              padding=(1, 1, 1, 1)), qtype=u8)
    w1 = group_pruned_ternary(rng, 32, 16, 3, 3, s, density)
    b.add("conv1", Op.CONV2D, ["conv0"], MacAttrs(Weights(WeightKind.TERNARY, w1, np.ones(32), 2, "conv1"),
                                                  padding=(1, 1, 1, 1)), qtype=u8)
    b.add("pool", Op.MAXPOOL, ["conv1"], PoolAttrs((2, 2), (2, 2)), qtype=u8)
    w2 = group_pruned_ternary(rng, 32, 32, 1, 1, s, density)
    b.add("conv2", Op.CONV2D, ["pool"], MacAttrs(Weights(WeightKind.TERNARY, w2, np.ones(32), 2, "conv2")),
          qtype=u8)
    b.add("add", Op.ADD, ["conv2", "pool"], AddAttrs(), qtype=u8)
    b.add("gap", Op.GLOBALAVGPOOL, ["add"], GapAttrs(), qtype=u8)
    w3 = rng.integers(-127, 128, size=(10, 32))
    b.add("fc", Op.DENSE, ["gap"], MacAttrs(Weights(WeightKind.INT, w3, np.ones(10), 8, "fc")), qtype=i8)
    return b.build()
