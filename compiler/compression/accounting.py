"""Size accounting of a compressed model, on IR weights (no torch needed).

Three rates, all against fp32 storage of the same layers:

- PE-wise rate (Yang/He/Fan's metric): `16 / group density` over the pruned
  and ternarized layers (TERNARY weights). Only whole zero groups count.
- Storage-exact rate, whole model: fp32 bits over what a deployment stores:
  2-bit codes of the surviving groups + a 1-bit-per-group bitmap + one fp32
  scale per output channel for ternary layers; `bits` per weight + scales for
  integer layers; 32 bits for float weights and for every bias.
- Huffman rate: as storage-exact, but the codes (ternary codes of surviving
  groups; integer values) are Huffman-coded per layer, table included
  (Deep Compression's last stage); a layer keeps its plain codes where the
  table costs more than the coding saves (small int8 layers).
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from ..ir.graph import Graph
from ..ir.types import WeightKind, Weights
from .groups import expand_group_mask_np, group_grid, group_nonzero_np
from .huffman import code_lengths

FP32 = 32
SCALE_BITS = 32


@dataclass(frozen=True)
class LayerSize:
    name: str
    kind: str
    shape: tuple[int, ...]
    groups: int
    nonzero_groups: int
    fp32_bits: int
    storage_bits: int
    huffman_bits: int

    @property
    def density(self) -> float:
        return self.nonzero_groups / self.groups if self.groups else 1.0

    def to_json(self) -> dict:
        d = asdict(self)
        d["shape"] = list(self.shape)
        d["group_density"] = self.density
        return d


def array_huffman_bits(values: np.ndarray, value_bits: int) -> int:
    """Huffman payload + table bits of an integer array."""
    syms, counts = np.unique(np.asarray(values).reshape(-1), return_counts=True)
    lengths = code_lengths({int(s): int(c) for s, c in zip(syms, counts)})
    payload = sum(int(c) * lengths[int(s)] for s, c in zip(syms, counts))
    return payload + len(lengths) * (value_bits + 8)


def _surviving_codes(w: Weights, S: int) -> tuple[np.ndarray, np.ndarray]:
    nz = group_nonzero_np(w.values, S)
    keep = expand_group_mask_np(nz, w.values.shape, S)
    return nz, w.values[keep]


def layer_size(name: str, w: Weights, bias: np.ndarray | None, S: int) -> LayerSize:
    m = w.out_channels
    n_bias = 0 if bias is None else int(np.size(bias))
    m_, j = group_grid(w.values.shape, S)
    nz = group_nonzero_np(w.values, S)
    fp32 = FP32 * (w.values.size + n_bias)
    if w.kind is WeightKind.TERNARY:
        _, codes = _surviving_codes(w, S)
        fixed = m * j + SCALE_BITS * m + FP32 * n_bias  # bitmap + scales + biases
        storage = 2 * codes.size + fixed
        huff = min(array_huffman_bits(codes, 2), 2 * codes.size) + fixed
    elif w.kind is WeightKind.INT:
        fixed = SCALE_BITS * m + FP32 * n_bias
        storage = w.bits * w.values.size + fixed
        huff = min(array_huffman_bits(w.values, w.bits), w.bits * w.values.size) + fixed
    else:
        storage = huff = fp32
    return LayerSize(name, w.kind.value, tuple(w.values.shape), m_ * j, int(nz.sum()), fp32,
                     storage, huff)


def model_sizes(g: Graph, S: int) -> list[LayerSize]:
    return [layer_size(n.name, n.attrs.weights, n.attrs.bias, S) for n in g.macs()]


def pe_compression_rate(layers: list[LayerSize]) -> tuple[float, float]:
    """(rate, density) over the ternary layers: 16 / (Σ nonzero groups / Σ groups)."""
    t = [l for l in layers if l.kind == WeightKind.TERNARY.value]
    total = sum(l.groups for l in t)
    if not total:
        return float("nan"), float("nan")
    density = sum(l.nonzero_groups for l in t) / total
    return (16.0 / density if density else float("inf")), density


def compression_summary(g: Graph, S: int) -> dict:
    """The rates of a model, JSON-ready (keys of issue 3's `.compress.json`)."""
    layers = model_sizes(g, S)
    pe, density = pe_compression_rate(layers)
    fp32 = sum(l.fp32_bits for l in layers)
    storage = sum(l.storage_bits for l in layers)
    huff = sum(l.huffman_bits for l in layers)
    return {
        "group_size": S,
        "pe_compression_rate": pe,
        "group_density": density,
        "storage_compression_rate": fp32 / storage,
        "huffman_compression_rate": fp32 / huff,
        "fp32_bits": fp32, "storage_bits": storage, "huffman_bits": huff,
        "layers": [l.to_json() for l in layers],
    }
