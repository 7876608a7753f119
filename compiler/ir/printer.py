"""Deterministic text form of a graph, one line per node.

    %conv2 = conv2d(%q1) k3x3 s1 p1,1,1,1 w=ternary[32x16x3x3] acc=i14 requant(...) : u8*0.05[8x8x32]

With `weights=True` each weight/requant array is summarised by a content
hash, so two graphs print the same text only if their numbers agree.
"""
from __future__ import annotations

import hashlib

import numpy as np

from .graph import Graph, Node
from .ops import AffineAttrs, BatchNormAttrs, ClipAttrs, InputAttrs, MacAttrs, PoolAttrs, QuantAttrs


def _digest(*arrays) -> str:
    h = hashlib.sha256()
    for a in arrays:
        if a is not None:
            a = np.ascontiguousarray(a)
            h.update(str((a.shape, a.dtype.str)).encode())
            h.update(a.tobytes())
    return h.hexdigest()[:10]


def _hw(t) -> str:
    return f"{t[0]}x{t[1]}"


def _attrs(n: Node, weights: bool) -> str:
    a = n.attrs
    parts: list[str] = []
    if isinstance(a, InputAttrs) and (a.pre_mul != 1.0 or a.pre_add != 0.0):
        parts.append(f"pre=x*{a.pre_mul:.9g}+{a.pre_add:.9g}")
    elif isinstance(a, MacAttrs):
        if n.op.value == "conv2d":
            parts.append(f"k{_hw(a.kernel)} s{_hw(a.stride)} p{','.join(map(str, a.padding))}")
            if a.groups > 1:
                parts.append(f"groups={a.groups}")
        parts.append(f"w={a.weights}")
        if weights:
            parts.append(f"#{_digest(a.weights.values, a.weights.scale, a.bias)}")
        elif a.bias is not None:
            parts.append("bias")
        if a.acc_bits:
            parts.append(f"acc=i{a.acc_bits}")
    elif isinstance(a, PoolAttrs):
        parts.append(f"k{_hw(a.kernel)} s{_hw(a.stride)} p{','.join(map(str, a.padding))}")
    elif isinstance(a, BatchNormAttrs) and weights:
        parts.append(f"#{_digest(a.mean, a.var, a.gamma, a.beta)} eps={a.eps:g}")
    elif isinstance(a, AffineAttrs):
        parts.append(f"from {a.source}" + (f" #{_digest(a.mul, a.add)}" if weights else ""))
    elif isinstance(a, ClipAttrs):
        parts.append(f"[{a.lo:.9g}, {a.hi:.9g}]")
    elif isinstance(a, QuantAttrs):
        parts.append(f"to {a.qtype}")
    r = getattr(a, "requant", None)
    if r is not None:
        parts.append(str(r) + (f"#{_digest(r.mult, r.bias)}" if weights else ""))
    return " ".join(parts)


def format_node(n: Node, weights: bool = False) -> str:
    args = ", ".join(f"%{i}" for i in n.inputs)
    attrs = _attrs(n, weights)
    return f"  %{n.name} = {n.op.value}({args}){' ' + attrs if attrs else ''} : {n.type}"


def format_graph(g: Graph, weights: bool = False) -> str:
    lines = [f"graph {g.name} ({g.stage.value}) -> %{g.output}"]
    lines += [format_node(n, weights) for n in g.nodes]
    return "\n".join(lines) + "\n"
