"""The engine description: one lowering from (graph, NetworkSchedule) to typed records.

Both backends build the same machine (docs/architecture.md, "The machine both
backends build"), so every hardware fact of it is decided here, once, and the
HLS and RTL renderers only map these records to text:

- `Act`: the tensor on an edge (HWC shape, activation type), one pixel per beat;
- `Edge`: a FIFO into an engine, with its depth (`model.EDGE_FIFO_DEPTH`, or
  the Add's skip-FIFO depth from `model.skip_fifos`) and which of its
  tensor's readers it is (a tensor with several readers is forked);
- `Window`: window geometry and padding value, with the RTL window's row memories;
- `RequantConsts`: per-channel `M`, `B` (broadcast once), shift and clamp, the
  value a row with no work outputs (`ir.interp.apply_requant` of 0) and the
  bias width;
- `MacParams`: lane layout, slice mode, weight kind and memory, accumulator
  width and the layer's `LayerSchedule` (its PE programs and ROM words, taken
  from the schedule, never re-derived);
- `Engine`: one per node, kind as `EngineKind`; `Machine`: the engines in
  dataflow (graph) order and the two AXI4-Stream ports.

Model names stay model names here: each backend sanitizes them with its own
`Namer`.
"""
from __future__ import annotations

import enum
from dataclasses import dataclass

import numpy as np

from ..errors import ModelError, UnsupportedError
from ..ir.graph import Graph, Node
from ..ir.interp import apply_requant
from ..ir.ops import Op, Stage
from ..ir.types import REQUANT_MULT_BITS, QType, Requant, WeightKind, bias_bits, signed_width
from ..schedule.cost import input_buffer_banks
from ..schedule.layer import LayerSchedule, check_weights_on_chip
from ..schedule.model import EDGE_FIFO_DEPTH, hwc, input_words, needs_window, node_window_rows, skip_fifos, sum_bits
from ..schedule.options import LaneAxis, WeightMemory

MULT_BITS = REQUANT_MULT_BITS   # the requantizer's M field (DESIGN §2)


class EngineKind(enum.Enum):
    INPUT = "input"
    MAC = "mac"
    MAXPOOL = "maxpool"
    AVGPOOL = "avgpool"
    GAP = "gap"
    ADD = "add"
    FLATTEN = "flatten"
    REQUANT = "requant"
    OUTPUT = "output"


KIND = {Op.CONV2D: EngineKind.MAC, Op.DENSE: EngineKind.MAC, Op.MAXPOOL: EngineKind.MAXPOOL,
        Op.AVGPOOL: EngineKind.AVGPOOL, Op.GLOBALAVGPOOL: EngineKind.GAP, Op.ADD: EngineKind.ADD,
        Op.FLATTEN: EngineKind.FLATTEN, Op.REQUANT: EngineKind.REQUANT}


class SliceMode(enum.Enum):
    """Which slice of the window vector lane group `j` of a PE word reads (tri_slicer MODE).

    FLAT: slice `item` of the `(kh, kw, c_in)` row; CHANNEL: channels `[j*S, (j+1)*S)`
    of tap `t`, slice `t * items + item`; DEPTHWISE: flat lanes of a depthwise conv,
    whose row `m` reads only channel `m`, slice `row * items + item`.
    """

    FLAT = 0
    CHANNEL = 1
    DEPTHWISE = 2


@dataclass(frozen=True)
class Act:
    """The activations of one tensor, its model shape (channels-last) and type."""

    name: str          # the model name of the node that produces it
    shape: tuple[int, ...]
    qtype: QType

    @property
    def hwc(self) -> tuple[int, int, int]:
        """`(H, W, C)`; a vector `(C,)` is one pixel, `(1, 1, C)`."""
        return hwc(self.shape)

    @property
    def is_vector(self) -> bool:
        return len(self.shape) == 1

    @property
    def channels(self) -> int:
        return self.shape[-1]

    @property
    def pixels(self) -> int:
        h, w, _ = self.hwc
        return h * w

    @property
    def size(self) -> int:
        return self.pixels * self.channels

    @property
    def bits(self) -> int:
        return self.qtype.bits

    @property
    def signed(self) -> bool:
        return self.qtype.signed

    @property
    def width(self) -> int:
        """Bits of one pixel (one beat between engines)."""
        return self.channels * self.bits


@dataclass(frozen=True)
class Edge:
    """The FIFO that carries tensor `src` into an engine."""

    src: Act
    reader: int        # which of the tensor's readers this is (fork output index)
    readers: int       # how many readers the tensor has (> 1: it is forked)
    depth: int         # pixels


@dataclass(frozen=True)
class Window:
    """Window unit geometry: input `h x w x c`, kernel, stride, top/left padding, output
    `oh x ow`, the value padding inserts, and the RTL twin's row memories."""

    h: int
    w: int
    c: int
    kh: int
    kw: int
    sy: int
    sx: int
    pt: int
    pl: int
    oh: int
    ow: int
    pad: int
    rows: int


@dataclass(frozen=True)
class RequantConsts:
    """`y = clamp((x * mult[c] + bias[c]) >> shift, lo, hi)` per channel `c`."""

    mult: tuple[int, ...]
    bias: tuple[int, ...]
    shift: int
    lo: int
    hi: int
    at_zero: tuple[int, ...]    # the output for x = 0 (a row with no work)

    @property
    def bias_bits(self) -> int:
        """Signed width of the largest |bias| (at least 2), the RTL's B field."""
        return bias_bits(self.bias)


@dataclass(frozen=True)
class AddConsts:
    """Residual add: `y = clamp((a * ma + b * mb + bias) >> shift, lo, hi)`."""

    ma: int
    mb: int
    bias: int
    shift: int
    lo: int
    hi: int


@dataclass(frozen=True)
class MacParams:
    """A Conv/Dense engine: its lanes, weights and PE programs (`schedule`)."""

    schedule: LayerSchedule
    slice_mode: SliceMode
    nslice: int            # S-lane slices of the window vector the PEs address
    kernel_taps: int       # kh*kw of a conv, 1 of a dense
    groups: int
    in_per_group: int      # input channels per group
    acc_bits: int
    windowed: bool         # has a window unit (`model.needs_window`); else a pixel is its vector

    @property
    def buffer_banks(self) -> tuple[int, int]:
        """(K banks, L rows per slot) of every PE's input buffer: slice j is in bank
        j % K at row j // K (`cost.input_buffer_banks`; tri_feeder.sv writes it)."""
        return input_buffer_banks(self.nslice, self.schedule.cycles_per_pixel)

    @property
    def ternary(self) -> bool:
        return self.schedule.weight_kind is WeightKind.TERNARY

    @property
    def weight_memory(self) -> WeightMemory:
        return self.schedule.weight_memory


@dataclass(frozen=True)
class Engine:
    """One engine of the machine. Fields a kind does not have are None (or 0). A Conv/Dense
    engine always has its `window` geometry (1x1 for a Dense); `mac.windowed` says whether
    it builds a window unit."""

    kind: EngineKind
    name: str                          # model name of its node
    op: Op
    ins: tuple[Edge, ...]
    out: Act
    window: Window | None = None
    requant: RequantConsts | None = None
    mac: MacParams | None = None
    add: AddConsts | None = None
    sum_bits: int = 0                  # pool / global average pool accumulator

    @property
    def src(self) -> Act:
        return self.ins[0].src


@dataclass(frozen=True)
class Machine:
    """The whole machine: input port, engines in dataflow order, output port."""

    name: str
    fingerprint: str
    input: Act
    output: Act
    output_reader: Edge                # the FIFO into the output port
    engines: tuple[Engine, ...]

    @property
    def in_tdata_bits(self) -> int:
        """Input port TDATA: one pixel's codes, rounded up to whole bytes."""
        return byte_bits(self.input.width)

    @property
    def out_tdata_bits(self) -> int:
        """Output port TDATA: one value, rounded up to whole bytes."""
        return byte_bits(self.output.bits)


def byte_bits(bits: int) -> int:
    """`bits` rounded up to a whole number of bytes (AXI4-Stream TDATA)."""
    return 8 * -(-bits // 8)


# --------------------------------------------------------------------------- lowering

def act(node: Node) -> Act:
    return Act(node.name, tuple(node.shape), node.qtype)


def requant_consts(r: Requant, channels: int) -> RequantConsts:
    """`r` with `M` and `B` broadcast to one entry per channel."""
    mult = np.broadcast_to(r.mult, (channels,))
    bias = np.broadcast_to(r.bias, (channels,))
    zero = apply_requant(np.zeros(channels, np.int64), r)
    return RequantConsts(tuple(int(v) for v in mult), tuple(int(v) for v in bias), int(r.shift),
                         int(r.lo), int(r.hi), tuple(int(v) for v in np.broadcast_to(zero, (channels,))))


def identity_requant(q: QType, channels: int) -> RequantConsts:
    """The requantizer that passes `q`'s codes through (the RTL pool's max mode)."""
    return RequantConsts((1,) * channels, (0,) * channels, 0, q.lo, q.hi, (0,) * channels)


def window(graph: Graph, n: Node, pad: int) -> Window:
    a = n.attrs
    h, w, c = hwc(graph.node(n.inputs[0]).shape)
    oh, ow, _ = hwc(n.shape)
    return Window(h, w, c, a.kernel[0], a.kernel[1], a.stride[0], a.stride[1], a.padding[0],
                  a.padding[1], oh, ow, pad, node_window_rows(graph, n))


def slice_mode(n: Node, ls: LayerSchedule) -> SliceMode:
    if ls.lane_axis is LaneAxis.CHANNEL:
        return SliceMode.CHANNEL
    return SliceMode.DEPTHWISE if n.op is Op.CONV2D and n.attrs.groups > 1 else SliceMode.FLAT


def mac_params(graph: Graph, n: Node, ls: LayerSchedule) -> MacParams:
    a = n.attrs
    c_in = hwc(graph.node(n.inputs[0]).shape)[2]
    kt = a.kernel[0] * a.kernel[1] if n.op is Op.CONV2D else 1
    mode = slice_mode(n, ls)
    nslice = input_words(ls.items_per_row, ls.taps, a.groups, c_in)
    return MacParams(ls, mode, nslice, kt, a.groups, c_in // a.groups, a.acc_bits, needs_window(n))


def check_layer(graph: Graph, n: Node, s: LayerSchedule | None) -> LayerSchedule:
    """The schedule of `n` must exist and have the lane layout of docs/architecture.md."""
    if s is None:
        raise ModelError(f"the schedule has no layer '{n.name}'; schedule this graph "
                         "(tritium.schedule.schedule_network) before generating code")
    a = n.attrs
    kk = a.kernel[0] * a.kernel[1]
    cpg = hwc(graph.node(n.inputs[0]).shape)[2] // a.groups
    flat = s.lane_axis is LaneAxis.FLAT
    taps, items = (1, -(-kk * cpg // s.simd)) if flat else (kk, -(-cpg // s.simd))
    if (s.rows, s.taps, s.items_per_row, s.weight_kind) != (
            a.weights.values.shape[0], taps, items, a.weights.kind):
        raise ModelError(f"the schedule of layer '{n.name}' does not match the graph "
                         f"({s.rows} rows, {s.items_per_row} items of {s.taps} taps, "
                         f"{s.weight_kind.value}); reschedule this graph")
    assert s.weight_bits == 2 or s.weight_kind is not WeightKind.TERNARY, \
        f"{n.name}: ternary codes are 2 bits"
    return s


def _params(graph: Graph, n: Node, sched: dict[str, LayerSchedule]) -> dict:
    """The kind-specific fields of `n`'s engine."""
    channels = hwc(n.shape)[2]
    if n.op.is_mac:
        ls = check_layer(graph, n, sched.get(n.name))
        return dict(mac=mac_params(graph, n, ls), window=window(graph, n, 0),
                    requant=requant_consts(n.attrs.requant, channels))
    if n.op is Op.MAXPOOL:
        return dict(window=window(graph, n, n.qtype.lo), sum_bits=sum_bits(graph, n))
    if n.op is Op.AVGPOOL:
        return dict(window=window(graph, n, 0), sum_bits=sum_bits(graph, n),
                    requant=requant_consts(n.attrs.requant, channels))
    if n.op is Op.GLOBALAVGPOOL:
        return dict(sum_bits=sum_bits(graph, n), requant=requant_consts(n.attrs.requant, channels))
    if n.op is Op.REQUANT:
        return dict(requant=requant_consts(n.attrs.requant, channels))
    if n.op is Op.ADD:
        r = n.attrs.requant
        return dict(add=AddConsts(int(r.mult[0]), int(r.mult[1]), int(r.bias[0]), int(r.shift),
                                  int(r.lo), int(r.hi)))
    return {}


def describe(graph: Graph, schedule, backend: str) -> Machine:
    """The engine description of `graph` under `schedule` (a NetworkSchedule, or its
    layers); `backend` names the code generator in error messages."""
    check_weights_on_chip(getattr(schedule, "layers", schedule), backend)
    if graph.stage is not Stage.INTEGER:
        raise ModelError(f"model '{graph.name}' is not lowered; run tritium.passes.lower() first")
    layers = schedule.layers if hasattr(schedule, "layers") else schedule
    sched = {l.name: l for l in layers}
    readers: dict[str, list[tuple[str, int]]] = {}   # tensor -> (reader, its input index)
    for n in graph.nodes:
        for k, i in enumerate(n.inputs):
            readers.setdefault(i, []).append((n.name, k))
    readers.setdefault(graph.output, []).append((OUTPUT_PORT, 0))
    skips = skip_fifos(graph)

    def edge(src: str, dst: str, k: int) -> Edge:
        skip = skips.get(dst)
        depth = skip.depth if skip is not None and skip.operand == k else EDGE_FIFO_DEPTH
        users = readers[src]
        return Edge(act(graph.node(src)), users.index((dst, k)), len(users), depth)

    engines = []
    for n in graph.nodes[1:]:
        if n.op not in KIND:
            raise UnsupportedError(f"the {backend} backend has no engine for op '{n.op.value}' "
                                   f"(node '{n.name}'); lower the model first")
        engines.append(Engine(KIND[n.op], n.name, n.op,
                              tuple(edge(i, n.name, k) for k, i in enumerate(n.inputs)), act(n),
                              **_params(graph, n, sched)))
    return Machine(graph.name, graph.fingerprint(), act(graph.input), act(graph.output_node),
                   edge(graph.output, OUTPUT_PORT, 0), tuple(engines))


OUTPUT_PORT = "\0output"   # the output port as a reader (no model name can be this)
