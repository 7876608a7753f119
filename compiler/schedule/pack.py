"""Packed weight memory and item masks, as hex text for the JSON schedule.

A weight word holds the `S` lanes of one (item, tap): lane `l` at bits
`[l*b + b-1 : l*b]`, `b` = weight bits, two's complement. For ternary weights
(`b = 2`) that is exactly the code of DESIGN §2: `00` = 0, `01` = +1, `11` = -1.
A PE's memory is its words in program order, written as one hex string of
fixed-width big-endian words (`word_hex_digits` digits each, most significant
first), so that a 2 MB ROM stays a 2 MB string instead of a list of objects.

An item mask is a row's set of scheduled items: bit `i` = item `i`, written as
a big-endian hex number of `mask_hex_digits(items)` digits.
"""
from __future__ import annotations

import numpy as np


def word_hex_digits(simd: int, bits: int) -> int:
    """Hex digits per word: the word rounded up to whole bytes."""
    return 2 * (-(-simd * bits // 8))


def pack_words(lanes: np.ndarray, bits: int) -> str:
    """`lanes[w, l]` (signed codes) -> concatenated hex words."""
    lanes = np.asarray(lanes)
    n, s = lanes.shape
    nbytes = -(-s * bits // 8)
    if lanes.dtype.kind in "iu" and lanes.dtype.itemsize == 1 and bits <= 8:
        # int8/uint8 codes (the IR may store them so): two's-complement bits as uint8
        codes = lanes.view(np.uint8) & np.uint8((1 << bits) - 1)
    else:
        codes = (lanes.astype(np.int64) & ((1 << bits) - 1)).astype(np.uint64)
    if s * bits <= 64:
        return _pack_u64(codes, bits, nbytes)
    return _pack_bits(codes, bits, nbytes)


def _pack_u64(codes: np.ndarray, bits: int, nbytes: int) -> str:
    words = np.zeros(codes.shape[0], dtype=np.uint64)
    for lane in range(codes.shape[1]):
        words |= codes[:, lane].astype(np.uint64) << np.uint64(lane * bits)
    be = words.astype(">u8").view(np.uint8).reshape(-1, 8)[:, 8 - nbytes:]
    return be.tobytes().hex()


def _pack_bits(codes: np.ndarray, bits: int, nbytes: int) -> str:
    out = []
    block = max(1, (1 << 22) // (codes.shape[1] * bits))
    shifts = np.arange(bits, dtype=np.uint64)
    for start in range(0, codes.shape[0], block):
        c = codes[start:start + block].astype(np.uint64)
        bitarr = ((c[:, :, None] >> shifts) & np.uint64(1)).astype(np.uint8).reshape(len(c), -1)
        le = np.packbits(bitarr, axis=1, bitorder="little")
        le = np.pad(le, ((0, 0), (0, nbytes - le.shape[1])))
        out.append(np.ascontiguousarray(le[:, ::-1]).tobytes().hex())
    return "".join(out)


def unpack_words(text: str, simd: int, bits: int) -> list[int]:
    """Hex memory -> words as Python ints (unsigned)."""
    d = word_hex_digits(simd, bits)
    return [int(text[i:i + d], 16) for i in range(0, len(text), d)]


def word_lanes(word: int, simd: int, bits: int) -> list[int]:
    """Signed lane values of one word."""
    mask, half = (1 << bits) - 1, 1 << (bits - 1)
    vals = [(word >> (l * bits)) & mask for l in range(simd)]
    return [v - (1 << bits) if v >= half else v for v in vals]


def mask_hex_digits(items: int) -> int:
    return max(2, 2 * (-(-items // 8)))


def pack_masks(mask: np.ndarray) -> list[str]:
    """`mask[r, i]` (bool) -> one hex string per row, bit i = item i."""
    mask = np.asarray(mask, dtype=bool)
    nbytes = mask_hex_digits(mask.shape[1]) // 2
    le = np.packbits(mask, axis=1, bitorder="little")
    le = np.pad(le, ((0, 0), (0, nbytes - le.shape[1])))
    be = np.ascontiguousarray(le[:, ::-1])
    return [row.tobytes().hex() for row in be]


def mask_items(text: str) -> list[int]:
    """Hex mask -> ascending item indices."""
    v = int(text, 16)
    return [i for i in range(v.bit_length()) if v >> i & 1]
