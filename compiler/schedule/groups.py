"""Work items of a MAC layer: how a weight row is cut into S-lane items (DESIGN §3).

Every layer is brought into one uniform layout, `lanes[m, i, t, l]`: row `m`
(output channel), item `i`, tap `t` (one cycle each) and lane `l` (one of `S`
adders or multipliers). Padding lanes hold weight 0.

- Channel lanes: item `(m, j)` is output channel `m` x input channels
  `[j*S, (j+1)*S)` x all `kh*kw` taps in `(ky, kx)` order: `kh*kw` cycles.
  This is the PE group that compression prunes.
- Flat lanes: the row's `K = kh*kw*c_in` weights in `(kh, kw, c_in)` order,
  zero-padded to a multiple of `S`; an item is `S` consecutive elements, one
  cycle. Depthwise convolutions fold their `kh*kw` taps this way.

Lane-axis rule (refines DESIGN §3, "C_in small against S or not pruned"):
channel lanes when the input channels per group are a multiple of `S`, flat
lanes otherwise. When `c_in % S == 0` both axes have the same dense cost, so
the unit compression prunes wins; otherwise channel lanes would pad every tap
(the first conv, `c_in = 3`, would use 3 of 16 lanes) while flat lanes pad
once per row. Depthwise layers have one input channel per group and so always
fold flat. A Dense layer is a 1x1 conv over `K` channels: both axes coincide.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import UnsupportedError
from ..ir.ops import MacAttrs
from ..ir.types import WeightKind
from .options import LaneAxis


def choose_lane_axis(attrs: MacAttrs, simd: int) -> LaneAxis:
    """The lane axis of a layer under the rule in the module docstring."""
    v = attrs.weights.values
    c_in = v.shape[1]
    if attrs.depthwise or c_in % simd:
        return LaneAxis.FLAT
    return LaneAxis.CHANNEL


@dataclass(frozen=True, eq=False)
class LaneLayout:
    """`lanes[m, i, t, l]`: the layer's weights cut into items of `taps` words of `S` lanes."""

    axis: LaneAxis
    lanes: np.ndarray  # int8, (M, items, taps, S)

    @property
    def rows(self) -> int:
        return self.lanes.shape[0]

    @property
    def items_per_row(self) -> int:
        return self.lanes.shape[1]

    @property
    def taps(self) -> int:
        """Words per item = cycles per item."""
        return self.lanes.shape[2]

    @property
    def simd(self) -> int:
        return self.lanes.shape[3]

    def mask(self) -> np.ndarray:
        """`mask[m, i]`: item `i` of row `m` holds a nonzero weight (computed once)."""
        cached = self.__dict__.get("_mask")
        if cached is None:
            flat = np.ascontiguousarray(self.lanes).reshape(self.rows, self.items_per_row, -1)
            if flat.shape[2] % 8 == 0:  # int8 lanes: test 8 at a time
                flat = flat.view(np.uint64)
            cached = flat.any(axis=2)
            cached.flags.writeable = False
            self.__dict__["_mask"] = cached
        return cached


def lane_layout(attrs: MacAttrs, simd: int, axis: LaneAxis | None = None) -> LaneLayout:
    """Cut a layer's integer weights into the uniform lane layout."""
    w = attrs.weights
    if w.kind is WeightKind.FLOAT:
        raise UnsupportedError(f"layer weights '{w.name}' are still float; ternarize or quantize "
                               "them (`tritium compress`, or import a QONNX model) before scheduling")
    axis = choose_lane_axis(attrs, simd) if axis is None else axis
    v = w.values.astype(np.int8)
    if v.ndim == 2:
        v = v[:, :, None, None]
    if axis is LaneAxis.CHANNEL:
        return LaneLayout(axis, _channel_lanes(v, simd))
    return LaneLayout(axis, _flat_lanes(v, simd))


def _channel_lanes(v: np.ndarray, s: int) -> np.ndarray:
    m, c, kh, kw = v.shape
    n = -(-c // s)
    padded = np.zeros((m, n * s, kh, kw), dtype=np.int8)
    padded[:, :c] = v
    # (M, n, S, kh, kw) -> (M, n, kh*kw, S): taps in (ky, kx) order, lanes = channels.
    return np.ascontiguousarray(
        padded.reshape(m, n, s, kh * kw).transpose(0, 1, 3, 2))


def _flat_lanes(v: np.ndarray, s: int) -> np.ndarray:
    m = v.shape[0]
    row = v.transpose(0, 2, 3, 1).reshape(m, -1)  # (kh, kw, c_in) order
    n = -(-row.shape[1] // s)
    padded = np.zeros((m, n * s), dtype=np.int8)
    padded[:, :row.shape[1]] = row
    return padded.reshape(m, n, 1, s)
