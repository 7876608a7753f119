"""The schedule pass over a whole graph: fold, schedule every MAC layer, cost every engine.

`schedule_network(graph, board, ...)` returns a `NetworkSchedule`: the
`LayerSchedule` of every Conv/Dense (in graph order), and per engine (the
input port, every node's engine, the output port) its cycles per frame
(`model.frame_cycles`: the machine the backends build) and estimated resources.
Dataflow throughput is `clock / max engine cycles`; latency is the longest
input-to-output path of engine cycles plus `ENGINE_FILL_CYCLES` per engine on
it (pessimistic: it assumes no overlap between engines, as FINN's critical
path does).
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from ..board import Board
from .. import schema
from ..errors import BoardError, ModelError, OptionError
from ..ir.graph import Graph
from ..ir.ops import Op
from . import cost
from .folding import Folding, fold, max_throughput, min_pe, not_fitting
from .layer import LayerSchedule, schedule_layer
from .model import (IN_PORT, OUT_PORT, FixedEngine, MacLayer, fixed_engine, mac_layer, ports,
                    skip_fifos)
from .options import FoldingMode, Granularity, WeightMemory, check_simd

SCHEMA_VERSION = schema.version("schedule")
# The search folds on estimates (balanced loads); if the real schedules come out
# over budget, it folds again against a budget shrunk by the next margin.
MARGINS = (0.0, 0.02, 0.05, 0.1, 0.2)


@dataclass(frozen=True)
class EngineCost:
    """One engine: its upstream engines, cycles per frame and estimated resources."""

    name: str
    op: str
    inputs: tuple[str, ...]
    cycles: int
    resources: cost.Resources

    def to_json(self) -> dict:
        return {"name": self.name, "op": self.op, "inputs": list(self.inputs),
                "cycles": self.cycles, **self.resources.as_dict()}

    @staticmethod
    def from_json(d: dict) -> "EngineCost":
        res = cost.Resources(d["lut"], d["ff"], d["bram18"], d["dsp"], d.get("uram", 0))
        return EngineCost(d["name"], d["op"], tuple(d["inputs"]), d["cycles"], res)


@dataclass(frozen=True)
class NetworkSchedule:
    model: str
    board: str
    part: str
    clock_mhz: float
    simd: int
    granularity: Granularity
    mode: FoldingMode
    target_cycles: int
    layers: tuple[LayerSchedule, ...]
    engines: tuple[EngineCost, ...]

    @property
    def bottleneck(self) -> EngineCost:
        return max(self.engines, key=lambda e: e.cycles)  # first on ties

    @property
    def fps(self) -> float:
        return self.clock_mhz * 1e6 / self.bottleneck.cycles

    @property
    def latency_cycles(self) -> int:
        done: dict[str, int] = {}
        for e in self.engines:
            done[e.name] = max((done[i] for i in e.inputs), default=0) + e.cycles + cost.ENGINE_FILL_CYCLES
        return max(done.values())

    @property
    def resources(self) -> cost.Resources:
        return cost.total(e.resources for e in self.engines)

    def layer(self, name: str) -> LayerSchedule:
        return next(l for l in self.layers if l.name == name)

    def engine(self, name: str) -> EngineCost:
        return next(e for e in self.engines if e.name == name)

    def to_json(self) -> dict:
        return {"schema_version": SCHEMA_VERSION, "model": self.model, "board": self.board,
                "part": self.part, "clock_mhz": self.clock_mhz, "simd": self.simd,
                "granularity": self.granularity.value, "mode": self.mode.value,
                "target_cycles": self.target_cycles,
                "engines": [e.to_json() for e in self.engines],
                "layers": [l.to_json() for l in self.layers]}

    @staticmethod
    def from_json(d: dict) -> "NetworkSchedule":
        schema.check("schedule", d, "schedule.json")
        return NetworkSchedule(
            d["model"], d["board"], d["part"], d["clock_mhz"], d["simd"],
            Granularity(d["granularity"]), FoldingMode(d["mode"]), d["target_cycles"],
            tuple(LayerSchedule.from_json(l) for l in d["layers"]),
            tuple(EngineCost.from_json(e) for e in d["engines"]))


def schedule_network(graph: Graph, board: Board, *, pe: int | None = None,
                     simd: int | None = None, target_fps: float | None = None,
                     granularity: Granularity = Granularity.PE,
                     check_fit: bool = True) -> NetworkSchedule:
    """Fold, schedule and cost `graph` on `board` (see folding.py for the modes).

    `check_fit=False` returns a design even if it exceeds the board (benchmarks
    measure schedule quality at a fixed `pe` on models no board holds)."""
    s = check_simd(board.simd if simd is None else simd)
    _check_options(pe, target_fps)
    layers = [mac_layer(graph, n, s) for n in graph.macs()]
    if not layers:
        raise ModelError(f"model '{graph.name}' has no Conv or Dense layer to schedule")
    skips = skip_fifos(graph)
    port_in, port_out = ports(graph, board.family)
    fixed = [port_in] + [e for n in graph.nodes if not n.op.is_mac and
                         (e := fixed_engine(graph, n, board.family, skips)) is not None] + [port_out]
    for margin in MARGINS:
        folding = fold(layers, fixed, board, granularity, pe=pe, target_fps=target_fps, margin=margin)
        scheds = {l.name: _schedule(l, folding.pe[l.name], granularity, board,
                                    folding.weight_memory(l.name)) for l in layers}
        if folding.mode is not FoldingMode.FIXED_PE:
            _relax(layers, scheds, fixed, granularity, board)
        net = _assemble(graph, board, s, granularity, folding, layers, scheds, fixed)
        if folding.mode is not FoldingMode.MAX_THROUGHPUT or not net.resources.over(board.usable()):
            break
    if check_fit:
        _check_fit(net, board, layers, fixed, granularity, folding, target_fps)
    return net


def _check_options(pe, target_fps) -> None:
    if pe is not None and (not isinstance(pe, int) or pe < 1):
        raise OptionError(f"--pe {pe} must be an integer >= 1")
    if target_fps is not None and not target_fps > 0:
        raise OptionError(f"--target-fps {target_fps} must be a positive number of frames per second")
    if pe is not None and target_fps is not None:
        raise OptionError("--pe and --target-fps both choose P; give one of them")


def _schedule(layer: MacLayer, p: int, gran: Granularity, board: Board,
              weight_memory: WeightMemory = WeightMemory.BRAM) -> LayerSchedule:
    sched = schedule_layer(layer.layout, p, name=layer.name, op=layer.op,
                           weight_kind=layer.weight_kind, weight_bits=layer.shape.weight_bits,
                           out_pixels=layer.out_pixels, granularity=gran)
    if weight_memory is WeightMemory.BRAM:
        return sched
    dram = 0
    if weight_memory is WeightMemory.DRAM:  # every output pixel re-reads the PE programs
        dram = cost.dram_cycles(sched.rom_bits * sched.out_pixels, board.dram_bits_per_cycle)
    return dataclasses.replace(sched, weight_memory=weight_memory, dram_cycles=dram)


def _engine_cycles(layer: MacLayer, sched: LayerSchedule) -> int:
    """cost.mac_cycles of the engine under its schedule."""
    return layer.cycles_at(sched.cycles_per_pixel, sched.dram_cycles)


def _relax(layers, scheds, fixed, gran, board) -> None:
    """Give back PEs that the real bottleneck does not need (FINN's second pass)."""
    t = max([_engine_cycles(l, scheds[l.name]) for l in layers] + [f.cycles for f in fixed])
    for l in layers:
        p = min_pe(l, t, gran)
        if p is not None and p < scheds[l.name].pe:
            cand = _schedule(l, p, gran, board, scheds[l.name].weight_memory)
            if _engine_cycles(l, cand) <= t:
                scheds[l.name] = cand


def _assemble(graph, board, s, gran, folding: Folding, layers, scheds, fixed) -> NetworkSchedule:
    engines = {f.name: f for f in fixed}
    for l in layers:
        sc = scheds[l.name]
        # a PE's rows as built: those with program entries (rows without items are the
        # collector's constants, codegen.rtl._program)
        pes = range(len(sc.pes))
        rows = [len({r for r, _ in sc.program(i)}) for i in pes]
        programs = [cost.program_stats(sc.pe_words(i), sc.simd, sc.weight_bits) for i in pes]
        res = l.engine_cost(sc.words_per_pe(), rows, board.family, sc.weight_memory,
                            sc.cycles_per_pixel, programs)
        engines[l.name] = FixedEngine(l.name, l.op.value, l.inputs, _engine_cycles(l, sc), res)
    ordered = ([engines[IN_PORT]] + [engines[n.name] for n in graph.nodes if n.name in engines
                                     and n.name not in (IN_PORT, OUT_PORT)] + [engines[OUT_PORT]])
    costs = tuple(EngineCost(e.name, e.op, _upstream(graph, e.inputs, engines), e.cycles, e.resources)
                  for e in ordered)
    return NetworkSchedule(graph.name, board.name, board.part, board.clock_mhz, s, gran,
                           folding.mode, folding.target_cycles,
                           tuple(scheds[l.name] for l in layers), costs)


def _upstream(graph: Graph, inputs, engines) -> tuple[str, ...]:
    """Nearest engines upstream, looking through nodes that are no engine (flatten)."""
    out: list[str] = []
    for i in inputs:
        if graph.node(i).op is Op.INPUT:
            out.append(IN_PORT)
        elif i in engines:
            out.append(i)
        else:
            out.extend(_upstream(graph, graph.node(i).inputs, engines))
    return tuple(dict.fromkeys(out))


def _check_fit(net, board, layers, fixed, gran, folding, target_fps) -> None:
    need = net.resources
    if not need.over(board.usable()):
        return
    if folding.mode is FoldingMode.FIXED_PE:
        fix = "lower --pe, or leave it out to let the folding search choose P per layer"
        raise BoardError(not_fitting(need, board, f"with --pe {max(l.pe for l in net.layers)}", fix))
    if folding.mode is FoldingMode.TARGET_FPS:
        try:
            best = board.clock_hz / max_throughput(layers, fixed, board, gran).target_cycles
            reach = f"this board reaches about {best:,.1f} fps"
        except BoardError:
            reach = "the model does not fit this board at any fps"
        fix = (f"lower --target-fps ({reach}), use a bigger board, or compress harder "
               "(fewer nonzero PE groups)")
        raise BoardError(not_fitting(need, board, f"at {target_fps:g} fps", fix))
    raise BoardError(not_fitting(need, board, "with the folding search's choice of P"))
