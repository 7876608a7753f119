"""report.json as frozen dataclasses: what `Design.report` returns.

The classes mirror the JSON field for field (names included, `P` and `S` too),
so `Report.from_json(d).to_json() == d` for every report this tritium writes;
`tests/api/test_report_typed.py` pins that round trip, which is what makes
a field added to `report/data.py` without a field here (and a schema bump,
`tritium.schema`) fail a test rather than vanish from the typed view.
Unknown keys of a newer minor version are ignored; a newer major is refused.
"""
from __future__ import annotations

import dataclasses
import json
import types
import typing
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping, Optional

from .. import schema


@dataclass(frozen=True)
class Resources:
    """Estimated resources; layers, engines and the network carry these fields flattened
    into their own rows, as report.json does (hence the subclasses below)."""
    lut: int
    ff: int
    bram18: int
    dsp: int
    uram: int


@dataclass(frozen=True)
class Options:
    """The compile options the report was made with."""
    model: str
    board: str
    pe: Optional[int]
    simd: int
    target_fps: Optional[float]
    granularity: str


@dataclass(frozen=True)
class Network(Resources):
    fps: float
    latency_cycles: int
    latency_ms: float
    bottleneck_layer: str
    board: str
    part: str
    clock_mhz: float
    dram_gbps: float
    dram_layers: tuple[str, ...]
    granularity: str
    mode: str
    sparse_cycles: int
    dense_cycles: int
    sparse_speedup: Optional[float]
    usable: Resources
    available: Resources


@dataclass(frozen=True)
class Compression:
    params: int
    params_nonzero: int
    fp32_bits: int
    weight_bits: int
    compression_vs_fp32: float
    macs: int
    macs_as_additions: int
    ternary_fraction: float
    group_density: float


@dataclass(frozen=True)
class Layer(Resources):
    """One Conv/Dense layer's row (report/data.py documents each field)."""
    name: str
    op: str
    in_shape: tuple[int, ...]
    out_shape: tuple[int, ...]
    lane_axis: str
    granularity: str
    P: int
    S: int
    groups_total: int
    groups_nonzero: int
    density: float
    load_min: int
    load_max: int
    pe_loads: tuple[int, ...]
    cycles: int
    lower_bound: int
    dense_cycles: int
    utilisation: float
    engine_cycles: int
    weight_kind: str
    weight_bits: int
    weight_memory: str
    dram_cycles: int


@dataclass(frozen=True)
class Engine(Resources):
    """One engine of the machine model: its cycles per frame and resources."""
    name: str
    op: str
    inputs: tuple[str, ...]
    cycles: int


@dataclass(frozen=True)
class Report:
    """A compile's report.json, typed. `synth` is the section `tritium synth` adds, `timing`
    the one `tritium build` adds (or None)."""
    schema_version: Any
    tool: str
    model: str
    options: Options
    network: Network
    compression: Compression
    layers: tuple[Layer, ...]
    engines: tuple[Engine, ...]
    synth: Optional[Mapping] = None
    timing: Optional[Mapping] = None

    def layer(self, name: str) -> Layer:
        """The row of layer `name`."""
        for l in self.layers:
            if l.name == name:
                return l
        raise KeyError(f"no layer '{name}' in this report; layers: {', '.join(l.name for l in self.layers)}")

    def to_json(self) -> dict:
        """The report.json document (the same dict `json.load` gives for the file)."""
        d = _plain(self)
        for key in ("synth", "timing"):
            if d[key] is None:
                del d[key]
        return d

    @staticmethod
    def from_json(doc: "dict | str | Path", source: str = "report") -> "Report":
        """A `Report` from a report.json dict or path; refuses a newer major schema."""
        if not isinstance(doc, dict):
            source, doc = str(doc), read_json(doc, "report")
        schema.check("report", doc, source)
        return _build(Report, doc, source)

    @staticmethod
    def load(path: "str | Path") -> "Report":
        """Read a report.json file."""
        return Report.from_json(Path(path))

    def dumps(self) -> str:
        """report.json's bytes, as `tritium compile` writes them."""
        from .data import dumps
        return dumps(self.to_json())


def _plain(v):
    if dataclasses.is_dataclass(v):
        return {f.name: _plain(getattr(v, f.name)) for f in dataclasses.fields(v)}
    if isinstance(v, (tuple, list)):
        return [_plain(x) for x in v]
    if isinstance(v, Mapping):
        return {k: _plain(x) for k, x in v.items()}
    return v


def _build(cls, d: dict, source: str):
    hints = typing.get_type_hints(cls)
    kw = {}
    for f in dataclasses.fields(cls):
        if f.name not in d:
            if f.default is not dataclasses.MISSING:
                continue
            raise schema.SchemaError(f"{source}: {cls.__name__.lower()} lacks '{f.name}'; "
                                     "write it again with this tritium")
        kw[f.name] = _value(hints[f.name], d[f.name], source)
    return cls(**kw)


def _value(tp, v, source: str):
    origin = typing.get_origin(tp)
    if v is None:
        return None
    if dataclasses.is_dataclass(tp):
        return _build(tp, v, source)
    if origin is tuple:
        item = typing.get_args(tp)[0]
        return tuple(_value(item, x, source) for x in v)
    if origin in (typing.Union, getattr(types, "UnionType", None)):
        return _value(next(a for a in typing.get_args(tp) if a is not type(None)), v, source)
    return v


def read_json(path: "str | Path", what: str) -> dict:
    """A JSON file's document; a missing or malformed file is the user's error."""
    try:
        return json.loads(Path(path).read_text())
    except (OSError, ValueError) as e:
        raise schema.SchemaError(f"cannot read {what} {path}: {e}") from None
