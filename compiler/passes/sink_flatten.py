"""Move a Flatten below the elementwise ops that follow it.

Exporters flatten a feature map and then quantize or clamp the vector
(`torch.flatten(x, 1)` before a QuantIdentity). Quant, ReLU and Clip act on
each element alike, so they commute with any reordering: moved above the
Flatten they act on the feature map, where the machine's engines quantize,
and the Flatten reaches the Dense layer it feeds. Exact by construction.
"""
from __future__ import annotations

from dataclasses import replace

from ..ir.graph import Graph
from ..ir.ops import Op

ELEMENTWISE = (Op.QUANT, Op.RELU, Op.CLIP)


def sink_flatten(g: Graph) -> Graph:
    while True:
        pair = next(((f, u[0]) for f in g.nodes if f.op is Op.FLATTEN
                     for u in [g.consumers(f.name)] if len(u) == 1 and u[0].op in ELEMENTWISE), None)
        if pair is None:
            return g
        g = _swap(g, *pair)


def _swap(g: Graph, flat, op):
    """x -> flat -> op -> users  becomes  x -> op -> flat -> users (names kept)."""
    src = g.node(flat.inputs[0])
    moved = replace(op, inputs=(src.name,), type=replace(op.type, shape=src.shape))
    below = replace(flat, inputs=(op.name,), type=replace(flat.type, qtype=op.qtype))
    nodes = []
    for n in g.nodes:
        if n is flat:
            nodes += [moved, below]
        elif n is not op:
            nodes.append(replace(n, inputs=tuple(flat.name if i == op.name else i for i in n.inputs)))
    return g.with_nodes(nodes, output=flat.name if g.output == op.name else g.output)
