"""Fold elementwise constants (`AFFINE`: Mul/Div/Add/Sub by a constant) exactly.

Exporters put `x * a + b` anywhere on the float path: input scaling after a
reshape (`x.view(-1, 64) / 16.0`), a MatMul's bias as a separate Add, a
temperature on the logits, a BatchNorm that no Conv precedes. The machine has
no elementwise float unit, so every such node must disappear into a
neighbour, exactly in real arithmetic:

- **backward**, to the Conv/Dense that produced the tensor (per output
  channel: weight scale times `a`, bias `bias * a + b`, the BatchNorm rule) or
  to the graph input when `a` and `b` are one number each (the host's
  `pre_mul`/`pre_add`);
- **forward**, to the Conv/Dense that consumes it: `W (a x + b) = (W a) x + W b`,
  so `a` goes into the weight scale (one number, or per channel of a depthwise
  conv, or into float weight values) and `W b` into the bias (not across
  zero padding, which would also need the `b`).

On the way an AFFINE crosses single-consumer Flatten, ReLU and max pooling
(for `a > 0`), average and global average pooling (an offset only without
padding) and Clip (one `a > 0`, bounds moved). Two adjacent AFFINEs compose.
Nothing crosses a quantizer: `q(a x)` with output scale `s` would need a
threshold scale `s / a` and an output scale `s` at once.

Where neither direction reaches a target, an AFFINE that reads a quantized
tensor (a QUANT, through max pooling or Flatten) and feeds a quantizer (through
ReLU/Clip) or the graph output stays: `lower_integer` turns it and that
quantizer into one per-channel requantizer, `(q * M[c] + B[c]) >> shift`,
the same rounding as any other (BatchNorm after an activation quantizer and
before the next one). Anything else is refused, naming both obstacles and the
fix.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from ..errors import UnsupportedError
from ..ir.graph import Graph, Node
from ..ir.ops import AffineAttrs, ClipAttrs, InputAttrs, Op
from ..ir.types import WeightKind


@dataclass(frozen=True)
class _Walk:
    """Where a walk stopped: `target` (a node that absorbs the constants) with
    the constants in its coordinates and the nodes crossed on the way (some
    changed, e.g. Clip bounds), or `why` it stopped."""

    target: Node | None = None
    mul: np.ndarray | None = None
    add: np.ndarray | None = None
    crossed: tuple[Node, ...] = ()
    why: str = ""


KEEP_TYPE = (Op.MAXPOOL, Op.FLATTEN)       # an integer tensor stays integer through these
TAIL = (Op.RELU, Op.CLIP)                   # what a requantizer's clamp absorbs


def fold_affine(g: Graph) -> Graph:
    kept: set[str] = set()
    while True:
        n = next((m for m in g.nodes if m.op is Op.AFFINE and m.name not in kept), None)
        if n is None:
            return g
        folded = _fold(g, n)
        if folded is g:
            kept.add(n.name)
        g = folded


def requantizes(g: Graph, n: Node) -> bool:
    """Whether AFFINE `n` reads a quantized tensor and feeds a quantizer or the output."""
    p = g.node(n.inputs[0])
    while p.op in KEEP_TYPE:
        p = g.node(p.inputs[0])
    cur = n
    while cur.name != g.output:
        users = g.consumers(cur.name)
        if len(users) != 1 or users[0].op not in TAIL + (Op.QUANT,):
            return False
        if users[0].op is Op.QUANT:
            break
        cur = users[0]
    return p.op is Op.QUANT


def _fold(g: Graph, n: Node) -> Graph:
    a = n.attrs
    back = _walk(g, n, a.mul, a.add, forward=False)
    if back.target is not None and _absorb(g, back, forward=False) is not None:
        return _rewrite(g, n, back, forward=False)
    fwd = _walk(g, n, a.mul, a.add, forward=True)
    if fwd.target is not None and _absorb(g, fwd, forward=True) is not None:
        return _rewrite(g, n, fwd, forward=True)
    if requantizes(g, n):
        return g
    why_back = back.why or _absorb_why(g, back, False)
    why_fwd = fwd.why or _absorb_why(g, fwd, True)
    what = f"{a.source} '{n.name}'" + ("" if a.source == "BatchNormalization" else " by a constant")
    raise UnsupportedError(
        f"{what} has no exact fold: before it, {why_back}; after it, "
        f"{why_fwd}. Such a constant folds into the Conv/Gemm/MatMul or the graph input next to it, "
        "across ReLU, pooling and Flatten only, or between two quantizers into a requantizer; move "
        "it there (e.g. before the quantizer) or into the layer's weights and bias")


# ------------------------------------------------------------------ walking

def _walk(g: Graph, n: Node, mul, add, forward: bool) -> _Walk:
    """Move the constants across commuting nodes until a node that may absorb them."""
    crossed: list[Node] = []
    cur = n
    while True:
        nxt = _neighbour(g, cur, forward)
        if isinstance(nxt, str):
            return _Walk(why=nxt)
        if nxt.op.is_mac or nxt.op in (Op.INPUT, Op.AFFINE):
            return _Walk(nxt, mul, add, tuple(crossed))
        step = _cross(g, nxt, mul, add, forward)
        if isinstance(step, str):
            return _Walk(why=step)
        mul, add, changed = step
        crossed.append(changed)
        cur = nxt


def _neighbour(g: Graph, cur: Node, forward: bool) -> Node | str:
    if forward:
        users = g.consumers(cur.name)
        if cur.name == g.output or len(users) != 1:
            return "it is the graph output" if cur.name == g.output else \
                f"'{cur.name}' feeds {len(users)} layers"
        return users[0]
    p = g.node(cur.inputs[0])
    if len(g.consumers(p.name)) != 1:
        return f"{p.op.value} '{p.name}' also feeds other layers"
    return p


def _cross(g: Graph, m: Node, mul, add, forward: bool):
    """(mul, add, m with adjusted attrs) on the far side of `m`, or why not."""
    what = f"{m.op.value} '{m.name}'"
    positive = bool(np.all(mul > 0))
    if m.op is Op.FLATTEN:
        src = g.node(m.inputs[0]).shape
        c = src[-1]
        if forward:
            reps = int(np.prod(src)) // c
            return np.tile(mul, reps), np.tile(add, reps), m
        per = (mul.reshape(-1, c), add.reshape(-1, c))
        if not all(np.all(v == v[:1]) for v in per):
            return f"{what} (the constant varies within a channel of the feature map)"
        return per[0][0], per[1][0], m
    if m.op in (Op.RELU, Op.MAXPOOL):
        if not positive or (m.op is Op.RELU and np.any(add != 0)):
            return f"{what} (only a positive scale{'' if m.op is Op.MAXPOOL else ' without offset'} " \
                   "commutes with it)"
        return mul, add, m
    if m.op is Op.AVGPOOL and any(m.attrs.padding) and np.any(add != 0):
        return f"{what} (its zero padding does not take the offset)"
    if m.op in (Op.AVGPOOL, Op.GLOBALAVGPOOL):
        return mul, add, m
    if m.op is Op.CLIP:
        return _cross_clip(m, mul, add, forward, positive)
    if m.op is Op.QUANT:
        return f"{what} (a quantizer's threshold and output scale are one number)"
    return what


def _cross_clip(m: Node, mul, add, forward: bool, positive: bool):
    if not (positive and np.all(mul == mul[0]) and np.all(add == add[0])):
        return f"clip '{m.name}' (only one positive scale and one offset commute with it)"
    k, b = float(mul[0]), float(add[0])
    lo, hi = m.attrs.lo, m.attrs.hi
    # backward: clip(x, lo, hi)*k + b = clip(x*k + b, lo*k + b, hi*k + b); forward the inverse
    bounds = ((lo - b) / k, (hi - b) / k) if forward else (lo * k + b, hi * k + b)
    return mul, add, replace(m, attrs=ClipAttrs(*bounds))


# ------------------------------------------------------------------ absorbing

def _absorb(g: Graph, w: _Walk, forward: bool) -> Node | None:
    """The target with the constants folded in, or None if it cannot take them."""
    t, mul, add = w.target, w.mul, w.add
    if t.op is Op.AFFINE:
        a = t.attrs
        if forward:  # t(x*mul + add) = x*(mul*a.mul) + (add*a.mul + a.add)
            return replace(t, attrs=AffineAttrs(mul * a.mul, add * a.mul + a.add, a.source))
        return replace(t, attrs=AffineAttrs(a.mul * mul, a.add * mul + add, a.source))
    if t.op is Op.INPUT:
        if forward or not (np.all(mul == mul[0]) and np.all(add == add[0])):
            return None
        a = t.attrs
        return replace(t, attrs=InputAttrs(a.pre_mul * mul[0], a.pre_add * mul[0] + add[0]))
    return _into_mac_input(t, mul, add) if forward else _into_mac_output(t, mul, add)


def _absorb_why(g: Graph, w: _Walk, forward: bool) -> str:
    t = w.target
    if t.op is Op.INPUT:
        return "the graph input (only one number for every channel folds into the input)"
    if forward and t.op is Op.CONV2D and any(t.attrs.padding) and np.any(w.add != 0):
        return f"conv2d '{t.name}' (its zero padding does not take the offset)"
    return f"{t.op.value} '{t.name}' (a per-channel scale cannot enter its {t.attrs.weights.kind.value} " \
           "weights, whose scale is per output channel)"


def _into_mac_output(t: Node, mul, add) -> Node:
    a = t.attrs
    bias = a.bias if a.bias is not None else np.zeros(len(mul))
    return replace(t, attrs=replace(a, weights=a.weights.with_scale(a.weights.scale * mul),
                                    bias=bias * mul + add))


def _into_mac_input(t: Node, mul, add) -> Node | None:
    """W (x*mul + add) = (W mul) x + W add, over the input channels of `t`."""
    a, w = t.attrs, t.attrs.weights
    conv = t.op is Op.CONV2D
    if conv and any(a.padding) and np.any(add != 0):
        return None
    real = w.real()
    if not conv:
        extra = real @ add
    elif a.depthwise:
        extra = real.sum(axis=(1, 2, 3)) * add
    else:
        extra = np.einsum("mckl,c->m", real, add)
    if np.all(mul == mul[0]):
        weights = w.with_scale(w.scale * mul[0])
    elif conv and a.depthwise:
        weights = w.with_scale(w.scale * mul)
    elif w.kind is WeightKind.FLOAT:
        cols = mul[None, :, None, None] if conv else mul[None, :]
        weights = replace(w, values=w.values * cols)
    else:
        return None
    bias = (a.bias if a.bias is not None else np.zeros(w.out_channels)) + extra
    return replace(t, attrs=replace(a, weights=weights, bias=bias))


# ------------------------------------------------------------------ rewriting

def _rewrite(g: Graph, n: Node, w: _Walk, forward: bool) -> Graph:
    """Replace the target and the crossed nodes, drop `n`, rewire its users to its input."""
    new = {m.name: m for m in w.crossed}
    new[w.target.name] = _absorb(g, w, forward)
    src = n.inputs[0]
    out = []
    for m in g.nodes:
        if m.name == n.name:
            continue
        m = new.get(m.name, m)
        out.append(replace(m, inputs=tuple(src if i == n.name else i for i in m.inputs)))
    return g.with_nodes(out, output=src if g.output == n.name else g.output)
