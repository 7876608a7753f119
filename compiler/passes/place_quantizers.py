"""Calibration: put an activation quantizer wherever a float model has none.

The input, and the output of every Conv2d/Dense/Add (after its ReLU/Clip
chain), gets a QUANT node of `bits` whose scale covers the largest magnitude
seen on the calibration inputs (unsigned when no negative value was seen).
The graph output stays unquantized: lowering gives it a logit type. Pools,
max and flatten keep their input's type and need no quantizer.
"""
from __future__ import annotations

import numpy as np

from ..ir.graph import Graph, GraphBuilder
from ..ir.interp import run_float
from ..ir.ops import Op, QuantAttrs
from ..ir.types import QType

TAIL_OPS = (Op.RELU, Op.CLIP)               # what lowering absorbs into a Requant
CHAIN_OPS = (Op.BATCHNORM,) + TAIL_OPS
NEEDS_QUANT = (Op.INPUT, Op.CONV2D, Op.DENSE, Op.ADD)


def chain_end(g: Graph, name: str) -> str:
    """Follow single-consumer BatchNorm/ReLU/Clip nodes after `name`; return the
    last (BatchNorm folds into the MAC before it, so the quantizer belongs after
    the whole chain, whether or not BatchNorm has been folded yet)."""
    while True:
        users = g.consumers(name)
        if len(users) == 1 and users[0].op in CHAIN_OPS:
            name = users[0].name
        else:
            return name


def missing_quantizers(g: Graph) -> list[str]:
    """Names of tensors that need a QUANT consumer and have none."""
    todo = []
    for n in g.nodes:
        if n.op not in NEEDS_QUANT:
            continue
        end = chain_end(g, n.name)
        users = g.consumers(end)
        if end != g.output and not (users and all(u.op is Op.QUANT for u in users)) \
                and end not in todo:
            todo.append(end)
    return todo


def qtype_for(values: np.ndarray, bits: int) -> QType:
    signed = bool(values.size and values.min() < 0)
    peak = float(np.abs(values).max(initial=0.0)) or 1.0
    hi = (1 << (bits - 1)) - 1 if signed else (1 << bits) - 1
    return QType(bits, signed, peak / hi)


def place_quantizers(g: Graph, calib: np.ndarray, bits: int = 8) -> Graph:
    todo = set(missing_quantizers(g))
    if not todo:
        return g
    _, env = run_float(g, calib, keep=True)
    b = GraphBuilder(g.name)
    rename: dict[str, str] = {}
    for n in g.nodes:
        b.add(n.name, n.op, [rename.get(i, i) for i in n.inputs], n.attrs, n.qtype, n.shape)
        if n.name in todo:
            q = b.add(f"{n.name}_quant", Op.QUANT, [n.name], QuantAttrs(qtype_for(env[n.name], bits)))
            rename[n.name] = q.name
    return b.build(g.output)
