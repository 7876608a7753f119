"""Interpreters of the IR: the integer golden model and the float reference.

`run_golden` executes an INTEGER-stage graph exactly as DESIGN §2 defines it,
on a batch of inputs at once. It is normative: C-simulation and RTL are
compared with it bit for bit, and it asserts that no accumulator exceeds its
declared width and no requant product leaves 64 bits.

`run_float` executes a FLOAT-stage graph in float64, fake-quantizing at QUANT
nodes (q = clamp(floor(x/s + 1/2)) * s). It is the L0 view of an imported
model, and the reference the lowering error bounds are checked against.

Both take inputs channels-last, `(N, H, W, C)` or `(N, K)`.
"""
from __future__ import annotations

from typing import Callable

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from .graph import Graph, Node
from .ops import MacAttrs, Op, Stage
from .types import QType, Requant

# float64 represents every integer below 2**53 exactly, so an integer matmul
# whose worst-case partial sums stay below that may run on BLAS.
EXACT_FLOAT_BOUND = 1 << 52


def windows(x: np.ndarray, kernel, stride, padding, pad_value=0) -> np.ndarray:
    """(N, H, W, C) -> (N, Ho, Wo, kh, kw, C) view of every window."""
    pt, pl, pb, pr = padding
    if any(padding):
        x = np.pad(x, ((0, 0), (pt, pb), (pl, pr), (0, 0)), constant_values=pad_value)
    v = sliding_window_view(x, tuple(kernel), axis=(1, 2))  # (N, Ho', Wo', C, kh, kw)
    v = v[:, ::stride[0], ::stride[1]]
    return v.transpose(0, 1, 2, 4, 5, 3)


def quantize(x: np.ndarray, q: QType) -> np.ndarray:
    """Real -> integer code, round half up, saturating (DESIGN §2)."""
    return np.clip(np.floor(x / q.scale + 0.5), q.lo, q.hi).astype(np.int64)


def quantize_input(g: Graph, x: np.ndarray) -> np.ndarray:
    inp = g.input
    a = inp.attrs
    return quantize(np.asarray(x, np.float64) * a.pre_mul + a.pre_add, inp.qtype)


def _matmul(patches: np.ndarray, w: np.ndarray, bound: int, exact: bool) -> np.ndarray:
    if exact and bound >= EXACT_FLOAT_BOUND:
        return patches.astype(np.int64) @ w.astype(np.int64).T
    return patches @ w.T


def mac(x: np.ndarray, a: MacAttrs, w: np.ndarray, exact: bool) -> np.ndarray:
    """Conv2d / Dense over x with weights `w` shaped like `a.weights.values`.

    Integer mode (`exact`) computes in float64 only where provably exact and
    returns int64; float mode returns float64.
    """
    dt = np.float64
    bound = int(np.abs(x).max(initial=0)) * int(np.abs(w).reshape(len(w), -1).sum(1).max(initial=0)) \
        if exact else 0
    if w.ndim == 2:
        acc = _matmul(x.astype(dt), w.astype(dt), bound, exact)
    else:
        m = w.shape[0]
        p = windows(x, w.shape[2:], a.stride, a.padding).astype(dt)
        if a.groups > 1:  # depthwise: channel c meets filter c only
            if exact and bound >= EXACT_FLOAT_BOUND:
                p, w = p.astype(np.int64), w.astype(np.int64)
            acc = np.einsum("nhwijc,cij->nhwc", p, w[:, 0].astype(p.dtype))
        else:
            n, ho, wo = p.shape[:3]
            wm = w.transpose(0, 2, 3, 1).reshape(m, -1)  # rows in (kh, kw, c_in) order
            acc = _matmul(p.reshape(n * ho * wo, -1), wm, bound, exact).reshape(n, ho, wo, m)
    return np.rint(acc).astype(np.int64) if exact else acc


def apply_requant(acc: np.ndarray, r: Requant, where: str = "") -> np.ndarray:
    """y = clamp((acc*M + B) >> shift, lo, hi), per channel on the last axis."""
    big = int(np.abs(acc).max(initial=0)) * int(np.abs(r.mult).max(initial=0)) + \
        int(np.abs(r.bias).max(initial=0))
    assert big < (1 << 62), f"{where}: requant product {big} leaves 64 bits"
    return np.clip((acc * r.mult + r.bias) >> r.shift, r.lo, r.hi)


# --------------------------------------------------------------------------- golden

def _g_mac(n: Node, x: np.ndarray) -> np.ndarray:
    a = n.attrs
    acc = mac(x, a, a.weights.values, exact=True)
    lim = 1 << (a.acc_bits - 1)
    assert acc.size == 0 or (acc.min() >= -lim and acc.max() < lim), \
        f"{n.name}: accumulator overflows its {a.acc_bits} bits"
    return apply_requant(acc, a.requant, n.name)


def _g_maxpool(n: Node, x: np.ndarray) -> np.ndarray:
    a = n.attrs
    return windows(x, a.kernel, a.stride, a.padding, n.qtype.lo).max(axis=(3, 4))


def _g_avgpool(n: Node, x: np.ndarray) -> np.ndarray:
    a = n.attrs
    return apply_requant(windows(x, a.kernel, a.stride, a.padding).sum(axis=(3, 4)), a.requant, n.name)


def _g_gap(n: Node, x: np.ndarray) -> np.ndarray:
    return apply_requant(x.sum(axis=(1, 2)), n.attrs.requant, n.name)


def _g_add(n: Node, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    r = n.attrs.requant
    v = a * int(r.mult[0]) + b * int(r.mult[1]) + int(r.bias[0])
    return np.clip(v >> r.shift, r.lo, r.hi)


GOLDEN: dict[Op, Callable] = {
    Op.CONV2D: _g_mac, Op.DENSE: _g_mac, Op.MAXPOOL: _g_maxpool, Op.AVGPOOL: _g_avgpool,
    Op.GLOBALAVGPOOL: _g_gap, Op.ADD: _g_add,
    Op.FLATTEN: lambda n, x: x.reshape(len(x), -1),
    Op.REQUANT: lambda n, x: apply_requant(x, n.attrs.requant, n.name),
}


BATCH_BYTES = 1 << 30  # what one batch's tensors may take (im2col included)


def auto_batch(g: Graph, limit: int = 256) -> int:
    """Inputs per batch so that one batch's tensors stay near BATCH_BYTES: 8
    bytes per value of every tensor, plus the largest conv's window matrix."""
    per_image = sum(int(np.prod(n.shape)) for n in g.nodes)
    per_image += max((int(np.prod(n.shape[:-1])) * n.attrs.weights.values[0].size
                      for n in g.macs()), default=0)
    return max(1, min(limit, BATCH_BYTES // (8 * per_image)))


def run_golden(g: Graph, x: np.ndarray, batch: int | None = None, keep: bool = False,
               progress: Callable[[int], None] | None = None):
    """Integer outputs of `g` for float inputs `x` (N, ...) channels-last.

    With `keep=True` returns `(outputs, {node name: int array})` holding every
    tensor, which the backends' mismatch reports use to name a layer.
    """
    assert g.stage is Stage.INTEGER, "the golden model runs lowered (integer) graphs"
    batch = batch or auto_batch(g)
    outs, kept = [], []
    for i in range(0, len(x), batch):
        env = _run(g, quantize_input(g, x[i:i + batch]), GOLDEN)
        outs.append(env[g.output])
        if keep:
            kept.append(env)
        if progress:
            progress(min(batch, len(x) - i))
    y = np.concatenate(outs) if outs else np.zeros((0,) + g.output_node.shape, np.int64)
    if not keep:
        return y
    return y, {k: np.concatenate([e[k] for e in kept]) for k in (kept[0] if kept else {})}


def run_golden_codes(g: Graph, codes: np.ndarray) -> dict[str, np.ndarray]:
    """Every node's integer tensor for input *codes* (already quantized), as the
    generated designs receive them; used to find the first layer that differs."""
    assert g.stage is Stage.INTEGER
    return _run(g, np.asarray(codes, np.int64), GOLDEN)


def _run(g: Graph, x0: np.ndarray, table: dict) -> dict[str, np.ndarray]:
    env = {g.input.name: x0}
    for n in g.nodes[1:]:
        env[n.name] = table[n.op](n, *(env[s] for s in n.inputs))
    return env


# --------------------------------------------------------------------------- float

def _f_mac(n: Node, x: np.ndarray) -> np.ndarray:
    a = n.attrs
    y = mac(x, a, a.weights.real(), exact=False)
    return y + a.bias if a.bias is not None else y


def _f_bn(n: Node, x: np.ndarray) -> np.ndarray:
    a = n.attrs
    return (x - a.mean) / np.sqrt(a.var + a.eps) * a.gamma + a.beta


def _f_pool(n: Node, x: np.ndarray) -> np.ndarray:
    a = n.attrs
    if n.op is Op.MAXPOOL:
        return windows(x, a.kernel, a.stride, a.padding, -np.inf).max(axis=(3, 4))
    return windows(x, a.kernel, a.stride, a.padding).sum(axis=(3, 4)) / (a.kernel[0] * a.kernel[1])


FLOAT: dict[Op, Callable] = {
    Op.CONV2D: _f_mac, Op.DENSE: _f_mac, Op.BATCHNORM: _f_bn,
    Op.RELU: lambda n, x: np.maximum(x, 0.0),
    Op.CLIP: lambda n, x: np.clip(x, n.attrs.lo, n.attrs.hi),
    Op.MAXPOOL: _f_pool, Op.AVGPOOL: _f_pool,
    Op.GLOBALAVGPOOL: lambda n, x: x.mean(axis=(1, 2)),
    Op.ADD: lambda n, a, b: a + b,
    Op.FLATTEN: lambda n, x: x.reshape(len(x), -1),
    Op.QUANT: lambda n, x: quantize(x, n.attrs.qtype) * n.attrs.qtype.scale,
    Op.AFFINE: lambda n, x: x * n.attrs.mul + n.attrs.add,
}


def run_float(g: Graph, x: np.ndarray, batch: int | None = None, keep: bool = False):
    """Float (fake-quant) outputs of a FLOAT-stage graph; see module doc."""
    assert g.stage is Stage.FLOAT, "run_float runs float-stage graphs"
    batch = batch or auto_batch(g)
    a = g.input.attrs
    outs, kept = [], []
    for i in range(0, len(x), batch):
        env = _run(g, np.asarray(x[i:i + batch], np.float64) * a.pre_mul + a.pre_add, FLOAT)
        outs.append(env[g.output])
        if keep:
            kept.append(env)
    y = np.concatenate(outs)
    if not keep:
        return y
    return y, {k: np.concatenate([e[k] for e in kept]) for k in kept[0]}
