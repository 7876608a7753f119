"""Drop a Flatten of the graph input that does not reorder it.

`x.view(-1, 64)` on a (1, 8, 8) image is a Flatten of the input. With one
channel (or one pixel) the IR's (h, w, c) order and the exporter's (c, h, w)
order are the same, so the network really takes a vector: the input becomes
that vector (a host passes the image, flattened by `data.fit_input`) and the
machine needs no flatten engine. With several channels the orders differ and
the Flatten stays (see `sink_flatten`).
"""
from __future__ import annotations

from dataclasses import replace

from ..ir.graph import Graph
from ..ir.ops import Op
from ..ir.types import TensorType


def flatten_input(g: Graph) -> Graph:
    inp = g.input
    users = g.consumers(inp.name)
    if len(users) != 1 or users[0].op is not Op.FLATTEN or len(inp.shape) != 3:
        return g
    h, w, c = inp.shape
    if c != 1 and h * w != 1:
        return g
    flat = users[0]
    vec = replace(inp, type=TensorType((h * w * c,), inp.qtype))
    rest = [replace(n, inputs=tuple(inp.name if i == flat.name else i for i in n.inputs))
            for n in g.nodes[1:] if n is not flat]
    out = inp.name if g.output == flat.name else g.output
    return g.with_nodes([vec] + rest, output=out)
