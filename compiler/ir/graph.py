"""Nodes and graphs.

Each node produces exactly one tensor, named after the node. A graph is a
tuple of nodes in topological order with one INPUT node first and one output.
Graphs are immutable: passes build new ones (`Graph.with_nodes`), and
`GraphBuilder` types new nodes with the shape rules as they are added.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace

from ..errors import ModelError
from .ops import ATTRS_OF, Attrs, Op, Stage
from .shapes import out_shape
from .types import QType, TensorType


@dataclass(frozen=True)
class Node:
    name: str
    op: Op
    inputs: tuple[str, ...]
    type: TensorType
    attrs: Attrs

    @property
    def shape(self) -> tuple[int, ...]:
        return self.type.shape

    @property
    def qtype(self) -> QType | None:
        return self.type.qtype


@dataclass(frozen=True)
class Graph:
    name: str
    nodes: tuple[Node, ...]
    output: str
    stage: Stage = Stage.FLOAT

    def __post_init__(self) -> None:
        object.__setattr__(self, "_index", {n.name: n for n in self.nodes})

    def node(self, name: str) -> Node:
        return self._index[name]  # type: ignore[attr-defined]

    def __contains__(self, name: str) -> bool:
        return name in self._index  # type: ignore[attr-defined]

    @property
    def input(self) -> Node:
        return self.nodes[0]

    @property
    def output_node(self) -> Node:
        return self.node(self.output)

    def consumers(self, name: str) -> list[Node]:
        return [n for n in self.nodes if name in n.inputs]

    def producers(self, node: Node) -> list[Node]:
        return [self.node(i) for i in node.inputs]

    def macs(self) -> list[Node]:
        return [n for n in self.nodes if n.op.is_mac]

    def with_nodes(self, nodes, output: str | None = None, stage: Stage | None = None) -> "Graph":
        return replace(self, nodes=tuple(nodes), output=output or self.output,
                       stage=stage or self.stage)

    def fingerprint(self) -> str:
        """Content hash of the printed graph (weights included)."""
        from .printer import format_graph
        h = hashlib.sha256(format_graph(self, weights=True).encode())
        return h.hexdigest()[:16]


class GraphBuilder:
    """Adds nodes in order, infers their shapes, keeps names unique."""

    def __init__(self, name: str):
        self.name = name
        self.nodes: list[Node] = []
        self._index: dict[str, Node] = {}

    def unique(self, base: str) -> str:
        base = base or "node"
        name, i = base, 1
        while name in self._index:
            i += 1
            name = f"{base}_{i}"
        return name

    def add(self, name: str, op: Op, inputs: tuple[str, ...] | list[str], attrs: Attrs | None = None,
            qtype: QType | None = None, shape: tuple[int, ...] | None = None) -> Node:
        attrs = ATTRS_OF[op]() if attrs is None else attrs  # ops whose attrs all default
        name = self.unique(name)
        if shape is None:
            shape = out_shape(op, attrs, [self._index[i].shape for i in inputs], where=name)
        node = Node(name, op, tuple(inputs), TensorType(tuple(shape), qtype), attrs)
        self.nodes.append(node)
        self._index[name] = node
        return node

    def __getitem__(self, name: str) -> Node:
        return self._index[name]

    def build(self, output: str | None = None, stage: Stage = Stage.FLOAT) -> Graph:
        if not self.nodes:
            raise ModelError(f"model '{self.name}' has no nodes")
        return Graph(self.name, tuple(self.nodes), output or self.nodes[-1].name, stage)
