"""The IR verifier. Runs after every pass (see `tritium.passes.pipeline`).

A failure here is a compiler bug, not a user error, so it raises
`VerifyError` (an AssertionError) naming the node and the broken rule.
"""
from __future__ import annotations

from .graph import Graph, Node
from .ops import ATTRS_OF, FLOAT_ONLY, INTEGER_ONLY, Op, Stage
from .shapes import out_shape
from .types import WeightKind, signed_width

N_INPUTS = {Op.INPUT: 0, Op.ADD: 2}


class VerifyError(AssertionError):
    pass


def verify(g: Graph) -> Graph:
    """Check `g`; return it unchanged so passes can `return verify(g)`."""
    seen: set[str] = set()
    for i, n in enumerate(g.nodes):
        _check(n.name not in seen, n, "duplicate node name")
        _check((n.op is Op.INPUT) == (i == 0), n, "exactly one INPUT, and it comes first")
        for src in n.inputs:
            _check(src in seen, n, f"input '{src}' is not defined before its use")
        _check(len(n.inputs) == N_INPUTS.get(n.op, 1), n, f"{n.op.value} takes "
               f"{N_INPUTS.get(n.op, 1)} inputs, has {len(n.inputs)}")
        _check(isinstance(n.attrs, ATTRS_OF[n.op]), n,
               f"attrs {type(n.attrs).__name__} do not belong to {n.op.value}")
        if n.op is not Op.INPUT:
            expect = out_shape(n.op, n.attrs, [g.node(s).shape for s in n.inputs], n.name)
            _check(expect == n.shape, n, f"shape {n.shape} but its op gives {expect}")
        if n.op.is_mac:
            _check_mac(g, n)
        (_check_integer if g.stage is Stage.INTEGER else _check_float)(g, n)
        seen.add(n.name)
    _check(g.output in seen, g.nodes[-1], f"graph output '{g.output}' is not a node")
    return g


def _check(cond: bool, n: Node, rule: str) -> None:
    if not cond:
        raise VerifyError(f"IR verifier: node '{n.name}' ({n.op.value}): {rule}")


def _check_mac(g: Graph, n: Node) -> None:
    w = n.attrs.weights
    _check(w.values.ndim == (4 if n.op is Op.CONV2D else 2), n, "weight rank")
    if n.attrs.bias is not None:
        _check(n.attrs.bias.shape == (w.out_channels,), n, "bias has one entry per output channel")


def _check_float(g: Graph, n: Node) -> None:
    _check(n.op not in INTEGER_ONLY, n, "integer-only op in a float graph")


def _check_integer(g: Graph, n: Node) -> None:
    _check(n.op not in FLOAT_ONLY, n, "float-only op left in an integer graph")
    q = n.qtype
    _check(q is not None, n, "every tensor of an integer graph has a quantized type")
    if n.op.is_mac:
        a = n.attrs
        _check(a.weights.kind is not WeightKind.FLOAT, n, "float weights in an integer graph")
        _check(a.requant is not None and a.acc_bits is not None, n, "MAC without requant/acc width")
        _check(a.bias is None, n, "bias must be folded into the requant")
        need = required_acc_bits(a.weights, g.node(n.inputs[0]).qtype.max_abs)
        _check(a.acc_bits >= need, n, f"accumulator {a.acc_bits} bits < required {need}")
        _check(a.requant.mult.shape == (n.shape[-1],), n, "one requant multiplier per channel")
    if n.op in (Op.AVGPOOL, Op.GLOBALAVGPOOL, Op.ADD, Op.REQUANT) or n.op.is_mac:
        r = n.attrs.requant
        _check(r is not None, n, "missing requant")
        _check(r.lo >= q.lo and r.hi <= q.hi, n, f"clamp [{r.lo},{r.hi}] outside type {q}")
    if n.op in (Op.MAXPOOL, Op.FLATTEN):
        _check(q == g.node(n.inputs[0]).qtype, n, "type-preserving op changed the type")


def required_acc_bits(weights, max_abs_x: int) -> int:
    """DESIGN §2: smallest signed width holding +-sum_k |w[m,k]| * max|x| for every row m."""
    v = abs(weights.values.reshape(weights.values.shape[0], -1))
    bound = int(v.sum(axis=1).max(initial=0)) * int(max_abs_x)
    return signed_width(bound)
