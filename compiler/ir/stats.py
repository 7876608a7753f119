"""Weight and compute statistics of a graph (what `tritium inspect` shows).

Counts are per inference. A MAC of a ternary layer with a nonzero weight is
an addition or subtraction; one with a zero weight is no work at all. PE-group
density follows DESIGN §3 at lane width S (groups over input channels).
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from ..compression.groups import group_nonzero_np as group_nonzero
from .graph import Graph, Node
from .types import WeightKind

FLOAT_BITS = 32


@dataclass(frozen=True)
class LayerStats:
    name: str
    op: str
    in_shape: tuple[int, ...]
    out_shape: tuple[int, ...]
    weights: str           # kind and bits, e.g. "ternary", "int8", "float32"
    params: int
    zero_fraction: float
    groups: int
    groups_nonzero: int
    macs: int              # dense multiply-accumulates per inference
    adds: int              # of which add/sub only (nonzero ternary weights)
    weight_bits: int

    @property
    def group_density(self) -> float:
        return self.groups_nonzero / self.groups if self.groups else 1.0


def layer_stats(g: Graph, n: Node, S: int) -> LayerStats:
    a = n.attrs
    w = a.weights
    v = w.values
    pixels = int(np.prod(n.shape[:-1])) if len(n.shape) == 3 else 1
    per_row = v[0].size
    macs = v.shape[0] * per_row * pixels
    nonzero = int(np.count_nonzero(v))
    gnz = group_nonzero(v, S) if not a.depthwise else (v != 0).reshape(len(v), -1).any(1)[:, None]
    kind = {WeightKind.TERNARY: "ternary", WeightKind.INT: f"int{w.bits}",
            WeightKind.FLOAT: "float32"}[w.kind]
    bits = {WeightKind.TERNARY: 2, WeightKind.INT: w.bits, WeightKind.FLOAT: FLOAT_BITS}[w.kind]
    return LayerStats(
        name=n.name, op=n.op.value, in_shape=g.node(n.inputs[0]).shape, out_shape=n.shape,
        weights=kind, params=int(v.size), zero_fraction=1.0 - nonzero / max(v.size, 1),
        groups=int(gnz.size), groups_nonzero=int(gnz.sum()), macs=macs,
        adds=nonzero * pixels if w.kind is WeightKind.TERNARY else 0,
        weight_bits=int(v.size) * bits)


@dataclass(frozen=True)
class ModelStats:
    layers: list[LayerStats]
    params: int
    macs: int
    adds: int
    weight_bits: int
    fp32_bits: int
    ternary_fraction: float   # share of parameters that are ternary
    group_density: float      # over ternary layers

    def to_dict(self) -> dict:
        d = asdict(self)
        for ld, layer in zip(d["layers"], self.layers):
            ld["group_density"] = layer.group_density
        return d


def model_stats(g: Graph, S: int = 16) -> ModelStats:
    layers = [layer_stats(g, n, S) for n in g.nodes if n.op.is_mac]
    params = sum(s.params for s in layers)
    tern = [s for s in layers if s.weights == "ternary"]
    groups = sum(s.groups for s in tern)
    return ModelStats(
        layers=layers, params=params, macs=sum(s.macs for s in layers),
        adds=sum(s.adds for s in layers), weight_bits=sum(s.weight_bits for s in layers),
        fp32_bits=params * FLOAT_BITS,
        ternary_fraction=sum(s.params for s in tern) / max(params, 1),
        group_density=sum(s.groups_nonzero for s in tern) / groups if groups else 1.0)
