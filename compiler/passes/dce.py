"""Dead-code elimination: drop nodes that do not reach the output."""
from __future__ import annotations

from ..ir.graph import Graph


def dce(g: Graph) -> Graph:
    live = {g.output}
    for n in reversed(g.nodes):
        if n.name in live:
            live.update(n.inputs)
    return g.with_nodes([n for i, n in enumerate(g.nodes) if i == 0 or n.name in live])
