"""A small heap-based Huffman coder, for Deep Compression's last stage (sizes only).

Tritium only needs the coded size, never the bitstream: `code_lengths` builds
the tree with a min-heap (ties broken by insertion order, so the result is
deterministic) and `coded_bits` adds a table cost of one symbol value plus
one length byte per distinct symbol.
"""
from __future__ import annotations

import heapq
from collections import Counter
from typing import Hashable, Iterable


def code_lengths(freqs: dict[Hashable, int]) -> dict[Hashable, int]:
    """Bits per symbol of an optimal prefix code. A lone symbol costs 1 bit."""
    items = [(f, i, (s,)) for i, (s, f) in enumerate(sorted(freqs.items(), key=lambda kv: repr(kv[0])))
             if f > 0]
    if not items:
        return {}
    if len(items) == 1:
        return {items[0][2][0]: 1}
    depth = {s: 0 for _, _, (s,) in items}
    heapq.heapify(items)
    order = len(items)
    while len(items) > 1:
        fa, _, a = heapq.heappop(items)
        fb, _, b = heapq.heappop(items)
        for s in a + b:  # every symbol under the merged node moves one level down
            depth[s] += 1
        heapq.heappush(items, (fa + fb, order, a + b))
        order += 1
    return depth


def code_table(freqs: dict[Hashable, int]) -> dict[Hashable, str]:
    """Canonical prefix codes with the lengths of `code_lengths` (for tests and inspection)."""
    lengths = code_lengths(freqs)
    code, prev, out = 0, 0, {}
    for s, n in sorted(lengths.items(), key=lambda kv: (kv[1], repr(kv[0]))):
        code <<= n - prev
        out[s] = format(code, f"0{n}b")
        code, prev = code + 1, n
    return out


def coded_bits(symbols: Iterable[Hashable], value_bits: int = 32) -> int:
    """Payload bits plus table bits (`value_bits` + 8 per distinct symbol)."""
    freqs = Counter(symbols)
    lengths = code_lengths(freqs)
    payload = sum(freqs[s] * n for s, n in lengths.items())
    return payload + len(lengths) * (value_bits + 8)
