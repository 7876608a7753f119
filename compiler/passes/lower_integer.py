"""Lower a FLOAT-stage graph to the integer contract of DESIGN §2.

Every MAC, average and add absorbs the ReLU/Clip chain and the QUANT that
follow it into one `Requant` (`M`, `B`, shift, clamp); max-pool and flatten
keep their input's type; a QUANT or ReLU left on an already-integer tensor
becomes a standalone REQUANT, and so does a per-channel AFFINE there (with the
ReLU/Clip/Quant after it: `fold_affine` keeps only those). The graph output, when nothing quantizes it,
gets a signed "logit" type with `LOGIT_FRAC_BITS` bits below the largest
per-channel step, so its argmax follows the float model's. An average pool
that nothing quantizes keeps its exact sum (`average_type`).

Each Requant records its worst-case conversion error (`error_lsb`) and each
MAC its accumulator width from the actual nonzero weights per row.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from ..errors import QuantizationError, UnsupportedError
from ..ir.graph import Graph, GraphBuilder, Node
from ..ir.ops import AddAttrs, GapAttrs, Op, RequantAttrs, Stage
from ..ir.types import QType, Requant, WeightKind, signed_width
from ..ir.verify import required_acc_bits
from .place_quantizers import TAIL_OPS
from .requant_math import choose_requant

LOGIT_FRAC_BITS = 8
MAX_LOGIT_BITS = 32


@dataclass
class _Tail:
    end: str                  # last float tensor absorbed (ReLU/Clip chain end, or the QUANT)
    names: list[str]          # every float node absorbed
    lo: float = -np.inf       # real-valued clamp from ReLU/Clip
    hi: float = np.inf
    qtype: QType | None = None


class _Lowering:
    def __init__(self, g: Graph):
        self.g = g
        self.b = GraphBuilder(g.name)
        self.int_of: dict[str, str] = {}   # float tensor -> integer node
        self.absorbed: set[str] = set()

    def run(self) -> Graph:
        for n in self.g.nodes:
            if n.name not in self.absorbed:
                getattr(self, f"_{n.op.value}", self._unsupported)(n)
        out = self.int_of.get(self.g.output)
        assert out is not None, f"output '{self.g.output}' was not lowered"
        return self.b.build(out, Stage.INTEGER)

    # -- helpers ---------------------------------------------------------------
    def _x(self, name: str) -> Node:
        if name not in self.int_of:
            raise QuantizationError(
                f"'{name}' reaches a layer while still float: no activation quantizer precedes it; "
                "add a Quant node, or compile with a calibration dataset "
                "(--calibrate DATA; in Python, calibrate=DATA)")
        return self.b[self.int_of[name]]

    def _tail(self, name: str) -> _Tail:
        t = _Tail(name, [])
        users = self.g.consumers(name)
        while len(users) == 1 and users[0].op in TAIL_OPS:
            u = users[0]
            lo, hi = (0.0, np.inf) if u.op is Op.RELU else (u.attrs.lo, u.attrs.hi)
            t.lo, t.hi = max(t.lo, lo), min(t.hi, hi)
            t.end = u.name
            t.names.append(u.name)
            users = self.g.consumers(u.name)
        qs = {u.attrs.qtype for u in users if u.op is Op.QUANT}
        if users and len(qs) == 1 and all(u.op is Op.QUANT for u in users):
            t.qtype = qs.pop()
            t.names += [u.name for u in users]
        return t

    def _emit(self, n: Node, op: Op, inputs, attrs, qtype: QType, tail: _Tail) -> Node:
        shape = n.shape if op is Op.INPUT else None
        node = self.b.add(n.name, op, inputs, attrs, qtype, shape)
        for name in [n.name, tail.end, *tail.names]:
            self.int_of[name] = node.name
        self.absorbed.update(tail.names)
        return node

    def _out_type(self, n: Node, tail: _Tail, default: QType | None, r_real, b_real, bound) -> QType:
        if tail.qtype is not None:
            return tail.qtype
        if default is not None:
            return default
        if tail.end != self.g.output:
            raise QuantizationError(
                f"the output of '{n.name}' has no activation quantizer; add a Quant node after it, "
                "or compile with a calibration dataset (--calibrate DATA; in Python, calibrate=DATA)")
        return logit_type(np.abs(r_real), np.abs(b_real), bound)

    @staticmethod
    def _clamp(q: QType, tail: _Tail) -> tuple[int, int]:
        lo = q.lo if tail.lo == -np.inf else max(q.lo, int(np.floor(tail.lo / q.scale + 0.5)))
        hi = q.hi if tail.hi == np.inf else min(q.hi, int(np.floor(tail.hi / q.scale + 0.5)))
        return lo, max(lo, hi)

    def _requant(self, n, r_real, b_real, bound, tail, default=None) -> tuple[Requant, QType]:
        q = self._out_type(n, tail, default, r_real, b_real, bound)
        lo, hi = self._clamp(q, tail)
        rq = choose_requant(np.asarray(r_real) / q.scale, np.asarray(b_real) / q.scale, bound, lo, hi,
                            where=f"layer '{n.name}'")
        return rq, q

    # -- ops -------------------------------------------------------------------
    def _input(self, n: Node) -> None:
        tail = self._tail(n.name)
        kinds = {u.attrs.qtype for u in self.g.consumers(n.name) if u.op is Op.QUANT}
        if len(kinds) > 1:
            raise UnsupportedError(f"the network input is quantized {len(kinds)} different ways; "
                                   "quantize it once and requantize from there")
        if tail.qtype is None or tail.lo != -np.inf or tail.hi != np.inf:
            raise QuantizationError(
                "the network input has no activation quantizer; add a Quant node on the input, "
                "or compile with a calibration dataset (--calibrate DATA; in Python, calibrate=DATA)")
        self._emit(n, Op.INPUT, [], n.attrs, tail.qtype, tail)

    def _mac(self, n: Node) -> None:
        x = self._x(n.inputs[0])
        a = n.attrs
        w = a.weights
        if w.kind is WeightKind.FLOAT:
            raise QuantizationError(
                f"layer '{n.name}' has float weights; quantize them first: `tritium compress`, "
                "or --weights twn|int8 (in Python, weights='twn'|'int8') for post-training quantization")
        sx = x.qtype.scale
        bound = np.abs(w.values.reshape(len(w.values), -1)).sum(1) * x.qtype.max_abs
        bias = a.bias if a.bias is not None else np.zeros(w.out_channels)
        tail = self._tail(n.name)
        rq, q = self._requant(n, w.scale * sx, bias, bound, tail)
        attrs = replace(a, bias=None, requant=rq, acc_bits=required_acc_bits(w, x.qtype.max_abs))
        self._emit(n, n.op, [x.name], attrs, q, tail)

    _conv2d = _dense = _mac

    def _maxpool(self, n: Node) -> None:
        x = self._x(n.inputs[0])
        self._emit(n, n.op, [x.name], n.attrs, x.qtype, _Tail(n.name, []))

    _flatten = _maxpool

    def _average(self, n: Node, k: int, make_attrs) -> None:
        x = self._x(n.inputs[0])
        tail = self._tail(n.name)
        rq, q = self._requant(n, x.qtype.scale / k, 0.0, k * x.qtype.max_abs, tail,
                              default=average_type(x.qtype, k))
        self._emit(n, n.op, [x.name], make_attrs(rq), q, tail)

    def _avgpool(self, n: Node) -> None:
        k = n.attrs.kernel[0] * n.attrs.kernel[1]
        self._average(n, k, lambda rq: replace(n.attrs, requant=rq))

    def _globalavgpool(self, n: Node) -> None:
        h, w, _ = self.g.node(n.inputs[0]).shape
        self._average(n, h * w, lambda rq: GapAttrs(rq))

    def _add(self, n: Node) -> None:
        a, b = (self._x(i) for i in n.inputs)
        qa, qb = a.qtype, b.qtype
        default = add_type(qa, qb)
        tail = self._tail(n.name)
        rq, q = self._requant(n, [qa.scale, qb.scale], 0.0, [qa.max_abs, qb.max_abs], tail, default)
        merged = Requant(rq.mult, rq.bias[:1], rq.shift, rq.lo, rq.hi, 2 * rq.error_lsb)
        self._emit(n, Op.ADD, [a.name, b.name], AddAttrs(merged), q, tail)

    def _relu(self, n: Node) -> None:
        self._standalone(n)

    _clip = _quant = _relu

    def _standalone(self, n: Node) -> None:
        """ReLU/Clip/Quant on a tensor that is already integer: one REQUANT
        node absorbing the ReLU/Clip/Quant chain that follows it."""
        x = self._x(n.inputs[0])
        if n.op is Op.QUANT:
            tail = _Tail(n.name, [], qtype=n.attrs.qtype)
            if tail.qtype == x.qtype:
                self.int_of[n.name] = x.name
                return
        else:
            tail = self._tail(n.name)
            lo, hi = (0.0, np.inf) if n.op is Op.RELU else (n.attrs.lo, n.attrs.hi)
            tail.lo, tail.hi = max(tail.lo, lo), min(tail.hi, hi)
            tail.qtype = tail.qtype or x.qtype
        rq, q = self._requant(n, x.qtype.scale, 0.0, x.qtype.max_abs, tail)
        self._emit(n, Op.REQUANT, [x.name], RequantAttrs(rq), q, tail)

    def _affine(self, n: Node) -> None:
        """`x * mul[c] + add[c]` on an integer tensor, and the quantizer after it:
        one per-channel REQUANT (`passes.fold_affine` leaves only these)."""
        x = self._x(n.inputs[0])
        tail = self._tail(n.name)
        a = n.attrs
        rq, q = self._requant(n, x.qtype.scale * a.mul, a.add, x.qtype.max_abs, tail)
        self._emit(n, Op.REQUANT, [x.name], RequantAttrs(rq), q, tail)

    def _unsupported(self, n: Node) -> None:
        raise UnsupportedError(
            f"'{n.name}' ({n.op.value}) cannot be lowered here; BatchNorm must directly follow a "
            "Conv2d/Linear so it can be folded")


def logit_type(r_abs: np.ndarray, b_abs: np.ndarray, bound: np.ndarray) -> QType:
    """Signed output type for an unquantized graph output: LOGIT_FRAC_BITS
    below the coarsest channel's step, fewer if the values would pass 32 bits."""
    peak = float(np.max(r_abs)) or 1.0
    for frac in range(LOGIT_FRAC_BITS, -16, -1):
        scale = peak / 2.0 ** frac
        top = float(np.max(np.asarray(bound) * r_abs / scale + b_abs / scale)) + 1
        bits = signed_width(int(np.ceil(top)))
        if bits <= MAX_LOGIT_BITS:
            return QType(bits, True, scale)
    raise QuantizationError("graph output range exceeds 32 bits; quantize the last layer's output")


def average_type(q: QType, k: int) -> QType:
    """Type of an unquantized average of `k` values of type `q`: the sum itself (step
    `q.scale / k`, exact, as the float model's average), or, past 16 bits, the step
    doubled until it fits."""
    scale = q.scale / k
    while True:
        top = int(np.ceil(q.max_abs * q.scale / scale))
        bits = signed_width(top) if q.signed else max(top.bit_length(), 1)
        if bits <= 16:
            return QType(bits, q.signed, scale)
        scale *= 2


def add_type(qa: QType, qb: QType) -> QType:
    """Type of an unquantized residual sum: the coarser step, wide enough for
    every sum (at most 16 bits; the step doubles until it fits)."""
    signed = qa.signed or qb.signed
    scale = max(qa.scale, qb.scale)
    while True:
        top = int(np.ceil((qa.max_abs * qa.scale + qb.max_abs * qb.scale) / scale))
        bits = signed_width(top) if signed else max(top.bit_length(), 1)
        if bits <= 16:
            return QType(bits, signed, scale)
        scale *= 2


def lower_integer(g: Graph) -> Graph:
    return _Lowering(g).run()
