"""Compression rates and the Huffman coder."""
import numpy as np
import pytest

from tritium.compression.accounting import compression_summary, layer_size, pe_compression_rate
from tritium.compression.huffman import code_lengths, code_table, coded_bits
from tritium.ir.graph import GraphBuilder
from tritium.ir.ops import InputAttrs, MacAttrs, Op
from tritium.ir.types import WeightKind, Weights


def test_huffman_lengths_textbook_example():
    # frequencies 45, 13, 12, 16, 9, 5 (CLRS): lengths 1, 3, 3, 3, 4, 4
    f = {"a": 45, "b": 13, "c": 12, "d": 16, "e": 9, "f": 5}
    assert code_lengths(f) == {"a": 1, "b": 3, "c": 3, "d": 3, "e": 4, "f": 4}
    codes = code_table(f)
    assert all(not b.startswith(a) for a in codes.values() for b in codes.values() if a != b)


def test_huffman_degenerate_cases():
    assert code_lengths({}) == {}
    assert code_lengths({7: 10}) == {7: 1}
    assert coded_bits([1, 1, 1], value_bits=2) == 3 + 10


def _ternary(m, c, k, density_rows):
    v = np.zeros((m, c, k, k), np.int64)
    for r in range(density_rows):
        v[r] = 1
    return Weights(WeightKind.TERNARY, v, np.full(m, 0.5))


def test_layer_size_ternary_counts_surviving_groups_bitmap_and_scales():
    w = _ternary(4, 20, 3, 1)          # S=16: groups of 16 and 4 channels; row 0 survives
    s = layer_size("t", w, None, 16)
    assert (s.groups, s.nonzero_groups) == (8, 2)
    assert s.fp32_bits == 32 * 4 * 20 * 9
    assert s.storage_bits == 2 * 20 * 9 + 4 * 2 + 32 * 4


def test_layer_size_int_and_bias():
    v = np.arange(-6, 6).reshape(3, 4)
    s = layer_size("d", Weights(WeightKind.INT, v, np.ones(3), bits=8), np.zeros(3), 4)
    assert s.storage_bits == 8 * 12 + 32 * 3 + 32 * 3
    assert s.huffman_bits <= s.storage_bits


def test_pe_rate_is_16_over_density_of_ternary_layers_only():
    b = GraphBuilder("g")
    b.add("in", Op.INPUT, [], InputAttrs(), shape=(4, 4, 32))
    b.add("c1", Op.CONV2D, ["in"], MacAttrs(_ternary(8, 32, 3, 2)))     # 4 of 16 groups
    b.add("c2", Op.CONV2D, ["c1"], MacAttrs(Weights(WeightKind.INT, np.ones((8, 8, 1, 1)), 1.0, bits=8)))
    summary = compression_summary(b.build(), 16)
    assert summary["group_density"] == pytest.approx(4 / 16)
    assert summary["pe_compression_rate"] == pytest.approx(64.0)
    assert summary["storage_compression_rate"] > 1
    assert pe_compression_rate([])[0] != pe_compression_rate([])[0]   # nan without ternary layers
