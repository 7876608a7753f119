"""`report.json`: the stable, versioned summary of a compile (DESIGN §6).

Schema version 1.0 (`tritium.schema`; a field added bumps the minor, a field
removed, renamed or given new units bumps the major; `report/typed.py` mirrors
every field and a test pins the round trip):

- `layers[]`, one per Conv/Dense in graph order: `name, op, in_shape, out_shape, lane_axis,
  granularity, P, S, groups_total, groups_nonzero, density, load_min, load_max, pe_loads,
  cycles, lower_bound, dense_cycles, utilisation, engine_cycles, weight_kind, weight_bits
  (bits of its weight ROMs), weight_memory (bram | uram | dram: where the folding search put
  them), dram_cycles (cycles per frame to stream them from DRAM; 0 on chip), lut, ff, bram18,
  dsp, uram`.
- `engines[]`: every engine of the machine model (`tritium.schedule.model.frame_cycles`): the
  input port `in_stream`, every node's engine, the output port `out_stream`, each with `name,
  op, inputs, cycles, lut, ff, bram18, dsp, uram`.
- `network`: `fps, latency_cycles, latency_ms, bottleneck_layer, lut, ff, bram18, dsp,
  uram, board, part, clock_mhz, dram_gbps, granularity, mode, sparse_cycles, dense_cycles,
  sparse_speedup` (the last three summed over the ternary layers), `dram_layers` (layers whose
  weights stream from DRAM), and `usable`/`available` resources.
- `compression`: parameters, nonzero parameters, fp32 bits, stored weight bits, the ratio,
  MACs per frame and how many became additions.

Floats are rounded to 6 significant decimals so that the same inputs give the same bytes.
"""
from __future__ import annotations

import json
from pathlib import Path

from .. import __version__, schema
from ..board import Board
from ..errors import ModelError
from ..ir.graph import Graph
from ..ir.stats import model_stats
from ..ir.types import WeightKind
from ..schedule.network import NetworkSchedule
from ..schedule.options import WeightMemory

REPORT_SCHEMA_VERSION = schema.version("report")


def _r(x: float) -> float:
    return round(float(x), 6)


def build_report(net: NetworkSchedule, board: Board, graph: Graph, options: dict) -> dict:
    """The report.json document for one compile."""
    return {"schema_version": REPORT_SCHEMA_VERSION, "tool": f"tritium {__version__}",
            "model": graph.name, "options": options, "network": _network(net, board),
            "compression": _compression(graph, net.simd), "layers": _layers(net, graph),
            "engines": [e.to_json() for e in net.engines]}


def _layers(net: NetworkSchedule, graph: Graph) -> list[dict]:
    out = []
    for l in net.layers:
        e = net.engine(l.name)
        node = graph.node(l.name)
        loads = [p.load for p in l.pes]
        out.append({
            "name": l.name, "op": l.op.value, "in_shape": list(graph.node(node.inputs[0]).shape),
            "out_shape": list(node.shape), "lane_axis": l.lane_axis.value,
            "granularity": l.granularity.value, "P": l.pe, "S": l.simd,
            "groups_total": l.groups_total, "groups_nonzero": l.groups_nonzero,
            "density": _r(l.density), "load_min": min(loads), "load_max": max(loads),
            "pe_loads": loads, "cycles": l.cycles, "lower_bound": l.lower_bound,
            "dense_cycles": l.dense_cycles, "utilisation": _r(l.utilisation),
            "engine_cycles": e.cycles, "weight_kind": l.weight_kind.value,
            "weight_bits": l.rom_bits, "weight_memory": l.weight_memory.value,
            "dram_cycles": l.dram_cycles, **e.resources.as_dict()})
    return out


def _network(net: NetworkSchedule, board: Board) -> dict:
    tern = [l for l in net.layers if l.weight_kind is WeightKind.TERNARY]
    sparse, dense = sum(l.cycles for l in tern), sum(l.dense_cycles for l in tern)
    return {"fps": _r(net.fps), "latency_cycles": net.latency_cycles,
            "latency_ms": _r(net.latency_cycles / (net.clock_mhz * 1e3)),
            "bottleneck_layer": net.bottleneck.name, **net.resources.as_dict(),
            "board": board.name, "part": board.part, "clock_mhz": net.clock_mhz,
            "dram_gbps": board.dram_gbps,
            "dram_layers": [l.name for l in net.layers if l.weight_memory is WeightMemory.DRAM],
            "granularity": net.granularity.value, "mode": net.mode.value,
            "sparse_cycles": sparse, "dense_cycles": dense,
            "sparse_speedup": _r(dense / sparse) if sparse else None,
            "usable": board.usable(), "available": board.totals()}


def _compression(graph: Graph, simd: int) -> dict:
    s = model_stats(graph, simd)
    nonzero = sum(round(l.params * (1 - l.zero_fraction)) for l in s.layers)
    return {"params": s.params, "params_nonzero": nonzero, "fp32_bits": s.fp32_bits,
            "weight_bits": s.weight_bits, "compression_vs_fp32": _r(s.fp32_bits / max(s.weight_bits, 1)),
            "macs": s.macs, "macs_as_additions": s.adds,
            "ternary_fraction": _r(s.ternary_fraction), "group_density": _r(s.group_density)}


def dumps(report: dict) -> str:
    return json.dumps(report, indent=1, sort_keys=True) + "\n"


def load_report(path: str | Path) -> dict:
    """Read a report.json, checking its schema version (`tritium.schema.check`)."""
    try:
        d = json.loads(Path(path).read_text())
    except (OSError, json.JSONDecodeError) as e:
        raise ModelError(f"cannot read report {path}: {e}") from None
    return schema.check("report", d, str(path))
