"""The PE-array schedule pass (DESIGN §3) and the engines' cost models (DESIGN §4).

- `groups`: a layer's weights cut into S-lane work items (channel or flat lanes).
- `assign`: rows to PEs, LPT plus local search, with the lower bound.
- `pack`: packed weight words and item masks (hex).
- `layer`: `LayerSchedule`, the data both backends consume.
- `cost`: cycles and LUT/FF/BRAM18/DSP per engine, formulas next to the code.
- `model`, `folding`: engines of a graph and the choice of P per layer.
- `network`: `schedule_network(graph, board, ...)` -> `NetworkSchedule`.
"""
from .layer import PIXEL_OVERHEAD_CYCLES, LayerSchedule, PeProgram, schedule_layer
from .network import SCHEMA_VERSION, EngineCost, NetworkSchedule, schedule_network
from .options import Granularity, LaneAxis, check_pe, check_simd, parse_granularity

__all__ = ["PIXEL_OVERHEAD_CYCLES", "LayerSchedule", "PeProgram", "schedule_layer",
           "SCHEMA_VERSION", "EngineCost", "NetworkSchedule", "schedule_network",
           "Granularity", "LaneAxis", "check_pe", "check_simd", "parse_granularity"]
