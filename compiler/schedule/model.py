"""The engines of a graph as cost-model inputs (DESIGN §4).

`MacLayer` is one Conv/Dense engine before its P is chosen: its lane layout
and everything its cost depends on. `FixedEngine` is any other engine (pool,
add, global average pool, requantize): its cycles and resources depend on `S`
only. Activations without a `QType` (a FLOAT-stage graph) count as
`DEFAULT_ACT_BITS` wide.

Cycles per frame: the machine both backends build (DESIGN §4) moves one pixel
(all its channels) per beat between engines, so
- a Conv/Dense engine takes `max(in_pixels, out_pixels * max(1, taps * max_load),
  dram_cycles)` (`cost.mac_cycles`; `dram_cycles` only if its weights stream from
  external memory), and no less than its window unit needs (`cost.window_cycles`:
  the unit steps over `(WO-1)*SX + KW` columns per output row, one per cycle),
- every other engine (pool, add, global average pool, requantize, flatten)
  `max(in_pixels, out_pixels)` (`cost.stream_cycles`), a pool no less than its
  window unit (`stream_engine_cycles`),
- the input port `H*W` beats, the output port one beat per value,
and frames stream back to back, so the design's cycles per frame is the largest
of these (`frame_cycles`, which the RTL backend reports as its cycle model).

Skip FIFOs (`skip_fifos`, the one owner of their depth: both backends build
it and the cost model prices it): an Add's two operands leave a common
ancestor and travel paths that hold different numbers of pixels; the operand
on the path that holds fewer arrives early and waits in its input FIFO, which
must hold the difference or the dataflow deadlocks. Every engine holds, as
built (`held_pixels`), at most
- 2 pixels (its input and output registers),
- plus `R * W_in` if it has a window unit (`needs_window`): the RTL twin's
  window keeps `R = window_rows(...)` input rows, more
  than the `(kh//2)*W_in + kw//2 + 1` pixels a line buffer fills before its
  first output,
- plus `cost.collector_banks(...) + 2` for a Conv/Dense engine (its collector's
  banks and the PEs' two-slot input buffer),
- plus the whole input frame for a global average pool or a flatten,
- plus its input edge FIFO (`EDGE_FIFO_DEPTH`).
A node's arrival is the largest arrival of its inputs plus what it holds;
the early operand's FIFO is `|arrival(a) - arrival(b)| + SKIP_MARGIN` pixels
deep (`ceil(C/S)` words each in the cost model). The HLS engines (line
buffers of `kh-1` rows) hold fewer pixels than the RTL twin's, so the depth
sized for the RTL is enough for both.
"""
from __future__ import annotations

import math

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from ..board import Family
from ..ir.graph import Graph, Node
from ..ir.ops import MacAttrs, Op
from ..ir.types import WeightKind, signed_width
from ..ir.verify import required_acc_bits
from . import cost
from .assign import load_lower_bound, pigeonhole_bound
from .groups import LaneLayout, lane_layout
from .layer import PIXEL_OVERHEAD_CYCLES, tile_masks
from .options import Granularity, WeightMemory

DEFAULT_ACT_BITS = 8


@dataclass(frozen=True)
class FixedEngine:
    name: str
    op: str
    inputs: tuple[str, ...]
    cycles: int
    resources: cost.Resources


@dataclass(frozen=True, eq=False)
class MacLayer:
    """A Conv/Dense engine whose P is still open."""

    name: str
    op: Op
    inputs: tuple[str, ...]
    layout: LaneLayout
    shape: cost.MacShape
    out_pixels: int
    weight_kind: WeightKind
    stream: int  # cycles of its input and output streams (pixels), whichever is larger
    window: tuple[tuple[int, int], tuple[int, int]] | None  # (kernel, stride) of its window unit
    out_shape: tuple[int, ...] = ()

    @cached_property
    def mask(self) -> np.ndarray:
        return self.layout.mask()

    @cached_property
    def g(self) -> np.ndarray:
        return self.mask.sum(axis=1).astype(np.int64)

    @cached_property
    def g_desc(self) -> np.ndarray:
        return np.sort(self.g)[::-1]

    @cached_property
    def live_lanes(self) -> int:
        """Lanes that hold a nonzero weight anywhere in the layer (cost.program_stats)."""
        return int(self.layout.lanes.any(axis=(0, 1, 2)).sum())

    def estimated_program(self) -> cost.PeProgram:
        """A PE's program before the schedule: the layer's live lanes, all varying."""
        return cost.PeProgram(self.live_lanes, self.live_lanes,
                              self.live_lanes * self.shape.weight_bits)

    @property
    def rows(self) -> int:
        return self.layout.rows

    @property
    def taps(self) -> int:
        return self.layout.taps

    def loads(self, p: int, granularity: Granularity) -> int:
        """Estimated most-loaded PE: the larger of DESIGN's lower bound and the pigeonhole
        bound (PE mode; LPT lands within a few % of it) or the exact lock-step count (tile)."""
        if granularity is Granularity.PE:
            return max(load_lower_bound(self.g, p), pigeonhole_bound(self.g_desc, p))
        return int(tile_masks(self.mask, p)[::p].sum())  # PE 0 has a row in every tile

    def cycles(self, p: int, granularity: Granularity, dram_bits_per_cycle: float = 0.0) -> int:
        """cost.mac_cycles at P; with `dram_bits_per_cycle` > 0 the weights stream from DRAM."""
        dram = self.dram_cycles(p, granularity, dram_bits_per_cycle) if dram_bits_per_cycle else 0
        return self.cycles_at(self.taps * self.loads(p, granularity) + PIXEL_OVERHEAD_CYCLES, dram)

    def cycles_at(self, cycles_per_pixel: int, dram: int = 0) -> int:
        """cost.mac_cycles of this engine when its slowest PE takes `cycles_per_pixel`."""
        return cost.mac_cycles(self.shape.in_shape, self.out_shape, cycles_per_pixel, dram,
                               self.window, self.shape.in_words)

    def words_per_pe(self, p: int, granularity: Granularity) -> int:
        """Estimated weight words of every PE: its share of the nonzero items (PE mode)
        or the lock-step load (tile mode), times taps."""
        if granularity is Granularity.PE:
            return -(-int(self.g.sum()) * self.taps // p)
        return self.loads(p, granularity) * self.taps

    def weight_bits(self, p: int, granularity: Granularity) -> int:
        """Estimated bits of all its weight memories at P."""
        return self.words_per_pe(p, granularity) * p * self.shape.simd * self.shape.weight_bits

    def dram_cycles(self, p: int, granularity: Granularity, bits_per_cycle: float) -> int:
        """Cycles per frame to stream its weights from DRAM: every output pixel re-reads
        the PE programs, so weight_bits * out_pixels / bits_per_cycle."""
        return cost.dram_cycles(self.weight_bits(p, granularity) * self.out_pixels, bits_per_cycle)

    def resources(self, p: int, granularity: Granularity, family: Family,
                  weight_mem: WeightMemory = WeightMemory.BRAM) -> cost.Resources:
        """Estimated cost at P: every PE holds its share of the words and rows."""
        words = self.words_per_pe(p, granularity)
        return self.engine_cost([words] * p, [-(-self.rows // p)] * p, family, weight_mem,
                                self.taps * self.loads(p, granularity),
                                [self.estimated_program()] * p)

    def engine_cost(self, words_per_pe, rows_per_pe, family: Family,
                    weight_mem: WeightMemory = WeightMemory.BRAM,
                    cycles_per_pixel: int | None = None, programs=None) -> cost.Resources:
        """cost.mac_engine_cost with these PE memories and programs (cost.PeProgram),
        plus the engine's input FIFO."""
        fifo = cost.fifo_cost(self.shape.in_shape[-1] * self.shape.act_bits, EDGE_FIFO_DEPTH, family)
        return cost.mac_engine_cost(self.shape, words_per_pe, rows_per_pe, family, weight_mem,
                                    cycles_per_pixel, programs) + fifo


def _bits(node: Node) -> int:
    return node.qtype.bits if node.qtype is not None else DEFAULT_ACT_BITS


def _max_abs(node: Node) -> int:
    return node.qtype.max_abs if node.qtype is not None else (1 << (DEFAULT_ACT_BITS - 1))


def acc_bits(attrs: MacAttrs, src: Node) -> int:
    """attrs.acc_bits if lowering set it, else DESIGN §2: signed width of max_m sum|w| * max|x|."""
    return attrs.acc_bits or required_acc_bits(attrs.weights, _max_abs(src))


def mac_layer(graph: Graph, node: Node, simd: int) -> MacLayer:
    a: MacAttrs = node.attrs
    src = graph.node(node.inputs[0])
    layout = lane_layout(a, simd)
    w = a.weights
    shape = cost.MacShape(
        simd=simd, act_bits=_bits(src), out_bits=_bits(node), acc_bits=acc_bits(a, src),
        weight_bits=w.bits, ternary=w.kind is WeightKind.TERNARY,
        in_words=input_words(layout.items_per_row, layout.taps, a.groups, hwc(src.shape)[2]),
        rows=layout.rows, in_shape=src.shape,
        kernel=a.kernel, window_rows=node_window_rows(graph, node) if needs_window(node) else 0,
        out_pixels=cost.pixels(node.shape))
    stream = cost.stream_cycles(src.shape, node.shape)
    return MacLayer(node.name, node.op, node.inputs, layout, shape, cost.pixels(node.shape),
                    w.kind, stream, window_geometry(node), node.shape)


def input_words(items_per_row: int, taps: int, groups: int, in_channels: int) -> int:
    """S-lane words of one pixel's input vector, as the PEs address it (tri_slicer.sv):
    `taps * items_per_row` (flattened lanes have one tap), or for a depthwise conv,
    whose every channel is its own row, `in_channels * items_per_row`."""
    return in_channels * items_per_row if groups > 1 else taps * items_per_row


EDGE_FIFO_DEPTH = 2   # pixels of every FIFO between two engines (both backends)
SKIP_MARGIN = 4       # pixels an Add's skip FIFO holds beyond the arrival difference


def needs_window(node: Node) -> bool:
    """Whether the engine of `node` has a window unit: pools always, a Conv unless it is
    1x1 with stride 1 and no padding (then each pixel is its own input vector)."""
    if node.op in (Op.MAXPOOL, Op.AVGPOOL):
        return True
    a = node.attrs
    return node.op is Op.CONV2D and (a.kernel != (1, 1) or a.stride != (1, 1) or any(a.padding))


def window_geometry(node: Node) -> tuple[tuple[int, int], tuple[int, int]] | None:
    """(kernel, stride) of the engine's window unit, None if it has none."""
    return (node.attrs.kernel, node.attrs.stride) if needs_window(node) else None


def stream_engine_cycles(graph: Graph, node: Node) -> int:
    """Cycles per frame of a non-MAC engine: its streams (`cost.stream_cycles`), and for
    a pool its window unit, which hands on one window per cycle (`cost.window_cycles`)."""
    src = graph.node(node.inputs[0])
    cycles = cost.stream_cycles(src.shape, node.shape)
    window = window_geometry(node)
    if window is not None:
        cycles = max(cycles, cost.window_cycles(src.shape[:2], node.shape[:2], *window))
    return cycles


def window_rows(h: int, w: int, kernel: tuple[int, int], stride: tuple[int, int],
                padding: tuple[int, int, int, int], ho: int, wo: int) -> int:
    """Row memories of the window unit (`tri_window.sv`): enough that the input side
    never waits for the read side within a frame (KH + SY) or across a frame boundary
    (H + KH - (HO-1)*SY); when the input side is the unit's bottleneck (H*W at least
    the HO * NJ steps of the read side), also the rows of bottom padding, which the
    read side spends without new input while the next frame's rows stream in."""
    kh, kw = kernel
    sy, sx = stride
    rows = max(kh + sy, h + kh - (ho - 1) * sy, 1)
    if h * w >= ho * ((wo - 1) * sx + kw):
        rows += max(0, (ho - 1) * sy - padding[0] + kh - h)
    return rows


def node_window_rows(graph: Graph, node: Node) -> int:
    """window_rows of the engine of `node` (which has a window unit)."""
    (h, w, _), (ho, wo, _) = hwc(graph.node(node.inputs[0]).shape), hwc(node.shape)
    a = node.attrs
    return window_rows(h, w, a.kernel, a.stride, a.padding, ho, wo)


def hwc(shape: tuple[int, ...]) -> tuple[int, int, int]:
    """(H, W, C) of a channels-last tensor; a vector (C,) is one pixel, (1, 1, C)."""
    return (shape[0], shape[1], shape[2]) if len(shape) == 3 else (1, 1, shape[0])


def held_pixels(graph: Graph, node: Node) -> int:
    """Pixels the engine of `node` holds as built, input FIFO included (module docstring)."""
    if node.op is Op.INPUT:
        return 0
    src = graph.node(node.inputs[0])
    held = 2
    if needs_window(node):
        held += node_window_rows(graph, node) * hwc(src.shape)[1]
    if node.op.is_mac:
        held += cost.collector_banks(cost.pixels(node.shape)) + 2
    if node.op in (Op.GLOBALAVGPOOL, Op.FLATTEN):
        held += cost.pixels(src.shape)
    return held + EDGE_FIFO_DEPTH


@dataclass(frozen=True)
class SkipFifo:
    """The skip FIFO of an Add: which operand waits in it, and its depth in pixels."""

    operand: int   # index into the Add's inputs of the operand that arrives first
    depth: int


def skip_fifos(graph: Graph) -> dict[str, SkipFifo]:
    """The skip FIFO of every Add, by node name (module docstring): the one owner of
    its depth, used by the HLS and RTL backends and by the cost model."""
    arrival: dict[str, int] = {}
    out: dict[str, SkipFifo] = {}
    for n in graph.nodes:
        arrival[n.name] = max((arrival[i] for i in n.inputs), default=0) + held_pixels(graph, n)
        if n.op is Op.ADD:
            a, b = (arrival[i] for i in n.inputs)
            out[n.name] = SkipFifo(0 if a < b else 1, abs(a - b) + SKIP_MARGIN)
    return out


def sum_bits(graph: Graph, node: Node) -> int:
    """Accumulator width of a pool or global average pool: the signed width of
    (values summed) * max|x| (DESIGN §2)."""
    src = graph.node(node.inputs[0])
    if node.op is Op.GLOBALAVGPOOL:
        return signed_width(cost.pixels(src.shape) * _max_abs(src))
    k = node.attrs.kernel
    return signed_width(k[0] * k[1] * _max_abs(src))


def kept_bits(node: Node, in_bits: int, out_bits: int) -> int:
    """Bits of the node's requantizer sum that reach its clamp (cost.requant_kept_bits)
    for an `in_bits`-wide signed input: from its shift once lowered, else the default."""
    rq = getattr(node.attrs, "requant", None)
    if rq is None:
        return cost.default_kept_bits(out_bits)
    return cost.requant_kept_bits(in_bits, rq.bias_bits, rq.shift)


def add_products(graph: Graph, node: Node) -> int:
    """How many of an Add's two operand multipliers are products rather than shifts
    (cost.general_products): once lowered, of its `requant.mult`; before, an operand
    whose scale is a power of two times the output's will be a shift."""
    mult = getattr(getattr(node.attrs, "requant", None), "mult", None)
    if mult is not None and len(mult) >= 2:
        return cost.general_products(mult[:2])

    def shift_only(src: Node) -> bool:
        ratio = src.qtype.scale / node.qtype.scale if node.qtype and src.qtype else 0.0
        return ratio > 0 and math.log2(ratio).is_integer()
    return sum(1 for i in node.inputs[:2] if not shift_only(graph.node(i)))


def fixed_engine(graph: Graph, node: Node, family: Family,
                 skips: dict[str, SkipFifo]) -> FixedEngine | None:
    """Cost of a non-MAC engine, or None for the input node (the input port is `ports`)."""
    if node.op is Op.INPUT:
        return None
    src = graph.node(node.inputs[0])
    a_bits, o_bits = _bits(src), _bits(node)
    cycles = stream_engine_cycles(graph, node)
    channels = hwc(src.shape)[2]
    if node.op is Op.FLATTEN:
        res = cost.gather_cost(src.shape, a_bits, family)
    elif node.op in (Op.MAXPOOL, Op.AVGPOOL):
        k = node.attrs.kernel
        sw = sum_bits(graph, node)
        res = cost.pool_cost(src.shape, k, a_bits, sw, o_bits, node.op is Op.AVGPOOL, family,
                             node_window_rows(graph, node), kept_bits(node, sw, o_bits))
    elif node.op is Op.GLOBALAVGPOOL:
        sw = sum_bits(graph, node)
        res = cost.gap_cost(channels, sw, o_bits, family, kept_bits(node, sw, o_bits))
    elif node.op is Op.ADD:
        res = cost.add_cost(channels, a_bits, o_bits, family, add_products(graph, node))
    else:  # requant and, in a FLOAT-stage graph, relu/clip/quant/batchnorm as one lane stage
        res = cost.requant_cost(channels, a_bits, o_bits, family,
                                kept_bits(node, a_bits + 1, o_bits))
    return FixedEngine(node.name, node.op.value, node.inputs, cycles,
                       res + input_fifos(graph, node, family, skips))


def input_fifos(graph: Graph, node: Node, family: Family,
                skips: dict[str, SkipFifo] | None = None) -> cost.Resources:
    """The FIFOs in front of an engine, as both backends build them (one per input, a
    pixel of the source's channels per beat): EDGE_FIFO_DEPTH deep, an Add's early
    operand `skip_fifos` deep (`skips`, computed if not given)."""
    if node.op is Op.ADD and skips is None:
        skips = skip_fifos(graph)
    out = cost.Resources()
    for k, i in enumerate(node.inputs):
        src = graph.node(i)
        skip = skips.get(node.name) if node.op is Op.ADD else None
        depth = skip.depth if skip is not None and skip.operand == k else EDGE_FIFO_DEPTH
        out = out + cost.fifo_cost(hwc(src.shape)[2] * _bits(src), depth, family)
    return out


IN_PORT, OUT_PORT = "in_stream", "out_stream"


def ports(graph: Graph, family: Family) -> tuple[FixedEngine, FixedEngine]:
    """The AXI4-Stream ports as engines: the input one beat per pixel (`H*W`), the
    output one beat per value (docs/architecture.md, top-level ports); the output port
    is priced as built: the FIFO in front of it (EDGE_FIFO_DEPTH pixels of the output)
    and the serializer (tri_axis_out.sv)."""
    out = graph.output_node
    c = hwc(out.shape)[2]
    fifo = (cost.fifo_cost(c * _bits(out), EDGE_FIFO_DEPTH, family)
            + cost.axis_out_cost(c, _bits(out), cost.pixels(out.shape), family))
    return (FixedEngine(IN_PORT, "input", (), cost.pixels(graph.input.shape), cost.Resources()),
            FixedEngine(OUT_PORT, "output", (out.name,), out.type.size, fifo))


def frame_cycles(graph: Graph, schedule) -> dict:
    """Steady-state cycles per frame of the machine, per engine and in total (module
    docstring): `{"engines": {name: cycles}, "cycles_per_frame", "bottleneck"}`, engines
    in dataflow order from the input port to the output port, the bottleneck the first
    of the slowest. `schedule` is a NetworkSchedule (or anything with `layer(name)`)."""
    per: dict[str, int] = {IN_PORT: cost.pixels(graph.input.shape)}
    for n in graph.nodes[1:]:
        src = graph.node(n.inputs[0])
        if n.op.is_mac:
            ls = schedule.layer(n.name)
            per[n.name] = cost.mac_cycles(
                src.shape, n.shape, ls.cycles_per_pixel, getattr(ls, "dram_cycles", 0),
                window_geometry(n),
                input_words(ls.items_per_row, ls.taps, n.attrs.groups, hwc(src.shape)[2]))
        else:
            per[n.name] = stream_engine_cycles(graph, n)
    per[OUT_PORT] = graph.output_node.type.size
    return {"engines": per, "cycles_per_frame": max(per.values()),
            "bottleneck": max(per, key=per.get)}
