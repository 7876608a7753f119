"""HLS C++ backend: the lowered graph and its schedule -> a Vitis HLS project (a `Plan`).

Lower first, render last (STYLE 5): `build_context` maps the engine
description (`codegen.engines.describe`, shared with the RTL backend) to
plain values (identifiers, C types, loop bounds, ROM contents as C
initialisers); the Jinja templates of `hls_templates/hls/` only loop over
them (one call macro per engine kind in `top.cpp.j2`), and instantiate the
hand-written library of `hls_templates/lib/hls/` (copied into the project, so
it is self-contained).

The machine is docs/architecture.md's: one engine per node, joined by FIFOs
carrying one pixel per transfer. A tensor read by several engines goes
through `fork2` engines (a stream has one reader in a dataflow region); each
stream is as deep as the description's edge FIFO (an Add's skip operand:
`tritium.schedule.model.skip_fifos`). Each Conv/Dense engine runs exactly
the programs of its `LayerSchedule`: the rows, item masks and packed ROM
words are taken from the schedule, never re-derived. Weight ROMs are emitted as they are packed, one word per cycle,
as native unsigned hex constants (`rom_layout`, `c_rom`): g++ parses a
million-word ROM in seconds, where an initialiser of ap_uint objects per lane
needed tens of GB.

Under `-DTRITIUM_TRACE` (only sim/csim.py's diagnosis build defines it) the
top also calls `tritium::trace_tap` after each engine, dumping its output
stream to `L<k>.bin`; the manifest's `traces` lists k -> node name, C++
identifier and shape, in dataflow order. Without the define the sources are
the Vitis ones, unchanged.

Every model name goes through one `Namer`; per-layer code lives in
`namespace net` under prefixed names, so only the top function is a bare
(sanitized) identifier.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass

import numpy as np

from ..errors import BoardError, ModelError
from ..ir.graph import Graph
from ..ir.types import QType, signed_width
from ..schedule.layer import LayerSchedule
from ..schedule.model import EDGE_FIFO_DEPTH
from ..schedule.pack import mask_items, word_hex_digits
from .engines import Act, Edge, Engine, EngineKind, Machine, RequantConsts, SliceMode, Window, describe
from .names import Namer
from .plan import Plan
from .render import TEMPLATES, environment, header

LIB_DIR = TEMPLATES / "lib" / "hls"
# Identifiers the generated code itself uses at global scope or in the testbench.
RESERVED = frozenset({"net", "tritium", "hls", "in_stream", "out_stream", "axis_in_t", "axis_out_t",
                      "tritium_compat", "top", "main"})
MANIFEST = "hls/tritium_hls.json"


# --------------------------------------------------------------------------- literals

def c_type(q: QType) -> str:
    return f"ap_{'' if q.signed else 'u'}int<{q.bits}>"


def c_int(v: int) -> str:
    """An integer literal that is `long long` whatever its size (INT64_MIN never occurs)."""
    v = int(v)
    assert -(1 << 63) < v < (1 << 63), v
    return f"{v}LL" if v >= 0 else f"(-{-v}LL)"


def c_array(a: np.ndarray) -> str:
    """Nested C initialiser of an integer array, one innermost row per line."""
    a = np.asarray(a, dtype=np.int64)
    if a.ndim == 1:
        return "{" + ", ".join(map(str, a.tolist())) + "}"
    inner = ",\n".join(c_array(s) for s in a)
    return "{\n" + inner + "}"


# Native unsigned C++ types of the ROM chunks, by width.
NATIVE_UINT = {8: "unsigned char", 16: "unsigned short", 32: "unsigned int", 64: "unsigned long long"}
ROM_WORDS_PER_LINE = 8


def rom_layout(simd: int, bits: int) -> tuple[int, int, int]:
    """(lanes per chunk, chunks per word, chunk bits): `rom_layout` of tritium_pe.h.

    A ROM word of `simd` lanes of `bits` bits is stored as native unsigned
    chunks: all lanes in one chunk when they fit in 64 bits, else 64 // bits
    lanes per chunk; a chunk is the smallest native width holding its lanes.
    """
    lpc = simd if simd * bits <= 64 else 64 // bits
    used = lpc * bits
    return lpc, -(-simd // lpc), next(b for b in NATIVE_UINT if b >= used)


def word_fields(hex_words: str, simd: int, bits: int) -> np.ndarray:
    """Packed hex words (tritium.schedule.pack) -> unsigned lane fields `[word, lane]`."""
    nbytes = word_hex_digits(simd, bits) // 2
    raw = np.frombuffer(bytes.fromhex(hex_words), np.uint8).reshape(-1, nbytes)[:, ::-1]
    out = np.zeros((len(raw), simd), np.uint64)
    weights = np.uint64(1) << np.arange(bits, dtype=np.uint64)
    for start in range(0, len(raw), 1 << 16):                   # bounded memory on large ROMs
        block = np.unpackbits(raw[start:start + (1 << 16)], axis=1, bitorder="little")
        block = block[:, :simd * bits].reshape(-1, simd, bits).astype(np.uint64)
        out[start:start + len(block)] = (block * weights).sum(axis=2)
    return out


def rom_chunks(fields: np.ndarray, simd: int, bits: int) -> np.ndarray:
    """Lane fields `[..., lane]` -> ROM chunks `[..., chunk]` (uint64), lane l of chunk c at
    bits [(l - c*lpc)*bits, ...)."""
    lpc, chunks, _ = rom_layout(simd, bits)
    out = np.zeros(fields.shape[:-1] + (chunks,), np.uint64)
    for l in range(simd):
        out[..., l // lpc] |= fields[..., l].astype(np.uint64) << np.uint64((l % lpc) * bits)
    return out


def c_rom(chunks: np.ndarray) -> str:
    """C initialiser of ROM chunks `[pe, word, chunk]` in hex, a few words per line.

    Native integer constants (not ap_uint objects) keep g++'s time and memory
    for million-word ROMs small; Vitis infers the same ROM from them.
    """
    pes = []
    for pe in chunks:
        words = ["{" + ", ".join(map(hex, w)) + "}" for w in pe.tolist()]
        lines = [", ".join(words[i:i + ROM_WORDS_PER_LINE]) for i in range(0, len(words), ROM_WORDS_PER_LINE)]
        pes.append("{\n" + ",\n".join(lines) + "}")
    return "{\n" + ",\n".join(pes) + "}"


@dataclass(frozen=True)
class Stream:
    name: str
    ctype: str
    depth: int


# --------------------------------------------------------------------------- engines

def _pixel_type(a: Act) -> str:
    return f"tritium::pixel<{c_type(a.qtype)}, {a.channels}>"


def _magnitude(q: QType) -> int:
    """The largest |value| of an activation type."""
    return max(abs(q.lo), abs(q.hi))


def _sum_t(bound: int) -> str:
    """The signed type of a requantizer's sum `x*M + B` whose magnitude is at most `bound`.

    At most 64 bits: the bound covers every value of the input type, but the
    golden model guarantees |x*M + B| < 2**62 for every value that occurs
    (`interp.apply_requant`), so 64 bits hold those even when the bound says more.
    """
    return _int_t(min(signed_width(bound), 64))


def _requant_types(r: RequantConsts, x_max: int) -> dict[str, str]:
    """mult_t, bias_t and sum_t of a requantizer whose input is at most `x_max` in
    magnitude (tritium_requant.h): the product x*M is formed at the operands' widths
    and the sum in the width of x_max*max|M| + max|B|, not at 64x64 bits."""
    m = max((abs(v) for v in r.mult), default=0)
    b = max((abs(v) for v in r.bias), default=0)
    return {"mult_t": _int_t(signed_width(m)), "bias_t": _int_t(r.bias_bits), "sum_t": _sum_t(x_max * m + b)}


def _requant_arrays(r: RequantConsts) -> list[dict]:
    return [_array("int", "MULT", r.mult), _array("long long", "BIAS", r.bias)]


def _requant_scalars(r) -> list[dict]:
    return [_scalar("int", "SHIFT", r.shift), _scalar("long long", "LO", c_int(r.lo)),
            _scalar("long long", "HI", c_int(r.hi))]


def _scalar(ctype: str, name: str, value) -> dict:
    return {"ctype": ctype, "name": name, "value": str(value)}


def _array(ctype: str, name: str, values) -> dict:
    values = np.asarray(values, dtype=np.int64)
    if values.size == 0:  # C has no empty arrays; the padding is never read
        values = np.zeros((1,) * max(values.ndim, 1), dtype=np.int64)
    dims = "".join(f"[{d}]" for d in values.shape)
    return {"ctype": ctype, "name": name, "dims": dims, "init": c_array(values)}


def _window(w: Window) -> list[dict]:
    vals = dict(H=w.h, W=w.w, C=w.c, KH=w.kh, KW=w.kw, SH=w.sy, SW=w.sx, PT=w.pt, PL=w.pl,
                OH=w.oh, OW=w.ow, PAD=w.pad)
    return [_scalar("int", k, v) for k, v in vals.items()]


def _int_t(bits: int) -> str:
    return f"ap_int<{bits}>"


class _Builder:
    """Walks the engine description once, in order, naming streams and forks."""

    def __init__(self, m: Machine, namer: Namer):
        self.namer = namer
        self.engines: list[dict] = []
        self.streams: list[Stream] = []
        self.alias: dict[str, str] = {}          # tensor -> tensor whose stream it is (flatten of a vector)
        self.readers: dict[str, list[str]] = {}  # tensor -> the stream each reader gets, in order
        self.pending: list[dict] = []
        self.traces: list[dict] = []             # traced tensors, in dataflow (engine) order
        self.plan_streams(m)

    def tap(self, a: Act, stream: str) -> dict:
        """Trace tap of `a`'s stream (compiled only under TRITIUM_TRACE)."""
        t = {"stream": stream, "index": len(self.traces), "id": self.ident(a.name)}
        self.traces.append({"node": a.name, "id": t["id"], "file": f"L{t['index']}.bin",
                            "shape": list(a.shape)})
        return t

    def tensor(self, name: str) -> str:
        return self.alias.get(name, name)

    def ident(self, name: str) -> str:
        return self.namer(name)

    # ---- streams and forks ----
    def plan_streams(self, m: Machine) -> None:
        """One stream per tensor; a tensor with k readers gets k-1 fork2 engines. The
        flatten of a vector is no engine: its readers read the vector's stream."""
        reads: dict[str, int] = {}
        for e in m.engines:
            if e.kind is EngineKind.FLATTEN and e.src.is_vector:
                self.alias[e.name] = self.tensor(e.src.name)
                continue
            for i in e.ins:
                reads[self.tensor(i.src.name)] = reads.get(self.tensor(i.src.name), 0) + 1
        out = self.tensor(m.output.name)
        reads[out] = reads.get(out, 0) + 1
        self.reads = reads

    def add_stream(self, name: str, a: Act) -> str:
        self.streams.append(Stream(name, _pixel_type(a), EDGE_FIFO_DEPTH))
        return name

    def produce(self, a: Act) -> str:
        """The stream `a` is written to; forks fan it out to its readers."""
        base = f"st_{self.ident(a.name)}"
        self.add_stream(base, a)
        k = self.reads.get(a.name, 0)
        if k == 0:
            raise ModelError(f"node '{a.name}' has no reader; run dce before code generation")
        outs, src = [], base
        ctype, pixels = c_type(a.qtype), a.pixels
        for j in range(k - 1):
            x = self.add_stream(f"{base}_R{j}", a)
            y = self.add_stream(f"{base}_R{k - 1}" if j == k - 2 else f"{base}_F{j}", a)
            self.pending.append({"kind": "fork", "id": f"{self.ident(a.name)}_fork{j}", "cfg": None,
                                 "ctype": ctype, "c": a.channels, "pixels": pixels,
                                 "ins": [src], "outs": [x, y]})
            outs.append(x)
            src = y
        outs.append(src)
        self.readers[a.name] = outs
        return base

    def flush_forks(self) -> None:
        """Forks run after the engine that feeds them (engine order is C-simulation order)."""
        self.engines.extend(self.pending)
        self.pending = []

    def consume(self, edge: Edge) -> str:
        """The stream of `edge`, at least as deep as the edge's FIFO."""
        stream = self.readers[self.tensor(edge.src.name)].pop(0)
        i = next(k for k, s in enumerate(self.streams) if s.name == stream)
        s = self.streams[i]
        self.streams[i] = Stream(s.name, s.ctype, max(s.depth, edge.depth))
        return stream

    # ---- engines ----
    def engine(self, e: Engine, types: dict[str, str], scalars: list[dict],
               arrays: list[dict]) -> None:
        ins = [self.consume(i) for i in e.ins]
        eid = self.ident(e.name)
        out = self.produce(e.out)
        self.engines.append({
            "kind": e.kind.value, "id": eid, "op": e.op.value, "tap": self.tap(e.out, out),
            "cfg": {"name": f"cfg_{eid}",
                    "types": [{"name": k, "ctype": v} for k, v in types.items()],
                    "scalars": scalars, "arrays": arrays},
            "ins": ins, "out": out})
        self.flush_forks()

    def mac(self, e: Engine) -> None:
        m, s = e.mac, e.mac.schedule
        types = {"act_t": c_type(e.src.qtype), "out_t": c_type(e.out.qtype), "acc_t": _int_t(m.acc_bits),
                 **_requant_types(e.requant, 1 << (m.acc_bits - 1)),
                 "pe": f"tritium::pe_{'ternary' if m.ternary else 'int'}<cfg_{self.ident(e.name)}>"}
        roms = _pe_roms(s)
        bits = s.weight_bits
        scalars = _window(e.window) + [
            _scalar("int", k, v) for k, v in dict(
                M=s.rows, GROUPS=m.groups, CPG=m.in_per_group, MPG=s.rows // m.groups, P=s.pe, S=s.simd,
                ITEMS=s.items_per_row, TAPS=s.taps, FLAT=int(m.slice_mode is not SliceMode.CHANNEL),
                IN_WORDS=m.nslice, IN_BANKS=m.buffer_banks[0], IN_ROWS=m.buffer_banks[1],
                MAX_ROWS=roms["ROW"].shape[1], MAX_ENTRIES=roms["ITEM"].shape[1],
                MAX_WORDS=roms["FIELDS"].shape[1]).items()] + _requant_scalars(e.requant)
        if not m.ternary:
            scalars.append(_scalar("int", "WEIGHT_BITS", s.weight_bits))
        fields = roms.pop("FIELDS")
        arrays = [_array("int", k, v) for k, v in roms.items()]
        _, n_chunks, chunk_bits = rom_layout(s.simd, bits)
        arrays.append({"ctype": NATIVE_UINT[chunk_bits], "name": "CODE" if m.ternary else "WEIGHT",
                       "dims": f"[{fields.shape[0]}][{fields.shape[1]}][{n_chunks}]",
                       "init": c_rom(rom_chunks(fields, s.simd, bits))})
        self.engine(e, types, scalars, arrays + _requant_arrays(e.requant))

    def maxpool(self, e: Engine) -> None:
        self.engine(e, {"act_t": c_type(e.out.qtype)}, _window(e.window), [])

    def avgpool(self, e: Engine) -> None:
        types = {"act_t": c_type(e.src.qtype), "out_t": c_type(e.out.qtype), "acc_t": _int_t(e.sum_bits),
                 **_requant_types(e.requant, 1 << (e.sum_bits - 1))}
        self.engine(e, types, _window(e.window) + _requant_scalars(e.requant),
                    _requant_arrays(e.requant))

    def gap(self, e: Engine) -> None:
        types = {"act_t": c_type(e.src.qtype), "out_t": c_type(e.out.qtype), "acc_t": _int_t(e.sum_bits),
                 **_requant_types(e.requant, 1 << (e.sum_bits - 1))}
        scalars = [_scalar("int", "PIXELS", e.src.pixels), _scalar("int", "C", e.src.channels)]
        self.engine(e, types, scalars + _requant_scalars(e.requant), _requant_arrays(e.requant))

    def requant(self, e: Engine) -> None:
        scalars = [_scalar("int", "PIXELS", e.out.pixels), _scalar("int", "C", e.out.channels)]
        self.engine(e, {"in_t": c_type(e.src.qtype), "out_t": c_type(e.out.qtype),
                        **_requant_types(e.requant, _magnitude(e.src.qtype))},
                    scalars + _requant_scalars(e.requant), _requant_arrays(e.requant))

    def add(self, e: Engine) -> None:
        r = e.add
        a, b = (i.src for i in e.ins)
        types = {"a_t": c_type(a.qtype), "b_t": c_type(b.qtype), "out_t": c_type(e.out.qtype),
                 "ma_t": _int_t(signed_width(abs(r.ma))), "mb_t": _int_t(signed_width(abs(r.mb))),
                 "bias_t": _int_t(signed_width(abs(r.bias))),
                 "sum_t": _sum_t(_magnitude(a.qtype) * abs(r.ma) + _magnitude(b.qtype) * abs(r.mb) + abs(r.bias))}
        scalars = [_scalar("int", "PIXELS", e.out.pixels), _scalar("int", "C", e.out.channels),
                   _scalar("long long", "MA", c_int(r.ma)), _scalar("long long", "MB", c_int(r.mb)),
                   _scalar("long long", "B", c_int(r.bias))] + _requant_scalars(r)
        self.engine(e, types, scalars, [])

    def flatten(self, e: Engine) -> None:
        if e.name in self.alias:
            return
        ins = self.consume(e.ins[0])
        out = self.produce(e.out)
        self.engines.append({"kind": "flatten", "id": self.ident(e.name), "cfg": None,
                             "tap": self.tap(e.out, out), "ctype": c_type(e.src.qtype),
                             "pixels": e.src.pixels, "c": e.src.channels, "ins": [ins], "out": out})
        self.flush_forks()


def _pe_roms(s: LayerSchedule) -> dict[str, np.ndarray]:
    """Per-PE program ROMs, padded to the longest PE: rows, items per row, items, and the
    words' unsigned lane fields `FIELDS[pe, word, lane]` (2-bit codes or two's-complement weights)."""
    progs = []
    for p, prog in enumerate(s.pes):
        items = [mask_items(m) for m in prog.masks]
        fields = word_fields(prog.words, s.simd, s.weight_bits)
        assert len(fields) == sum(len(i) for i in items) * s.taps, f"{s.name}: PE {p} ROM length"
        progs.append((list(prog.rows), [len(i) for i in items], [j for i in items for j in i], fields))
    mr = max(1, max(len(r) for r, *_ in progs))
    me = max(1, max(len(e) for _, _, e, _ in progs))
    mw = max(1, max(len(w) for *_, w in progs))
    out = {"NROWS": np.array([len(r) for r, *_ in progs]),
           "ROW": np.zeros((s.pe, mr), np.int64), "NITEMS": np.zeros((s.pe, mr), np.int64),
           "ITEM": np.zeros((s.pe, me), np.int64), "FIELDS": np.zeros((s.pe, mw, s.simd), np.uint64)}
    for p, (rows, nitems, ents, fields) in enumerate(progs):
        out["ROW"][p, :len(rows)] = rows
        out["NITEMS"][p, :len(nitems)] = nitems
        out["ITEM"][p, :len(ents)] = ents
        out["FIELDS"][p, :len(fields)] = fields
    return out


DISPATCH = {EngineKind.MAC: _Builder.mac, EngineKind.MAXPOOL: _Builder.maxpool,
            EngineKind.AVGPOOL: _Builder.avgpool, EngineKind.GAP: _Builder.gap,
            EngineKind.ADD: _Builder.add, EngineKind.FLATTEN: _Builder.flatten,
            EngineKind.REQUANT: _Builder.requant}


# --------------------------------------------------------------------------- context

def _port(a: Act, tdata_bits: int) -> dict:
    return {"pixels": a.pixels, "c": a.channels, "bits": a.bits, "signed": int(a.signed),
            "act_t": c_type(a.qtype), "w": tdata_bits, "size": a.size, "shape": list(a.shape)}


def build_context(g: Graph, schedule, *, part: str, clock_mhz: float, vectors=None) -> dict:
    """Plain values for the templates (see the module docstring)."""
    m = describe(g, schedule, "HLS")
    namer = Namer(RESERVED)
    top = namer(g.name)
    b = _Builder(m, namer)
    st_in = b.produce(m.input)
    b.engines.append({"kind": "input", "id": "input", "cfg": None, "tap": b.tap(m.input, st_in),
                      "out": st_in})
    b.flush_forks()
    for e in m.engines:
        DISPATCH[e.kind](b, e)
    b.engines.append({"kind": "output", "id": "output", "cfg": None, "ins": [b.consume(m.output_reader)]})
    assert all(not v for v in b.readers.values()), "every fork output has a reader"
    if vectors is not None:
        _check_vectors(g, vectors)
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]*", part or ""):
        raise BoardError(f"part {part!r} is not a valid FPGA part name (letters, digits, '-', '_', '.')")
    if not (isinstance(clock_mhz, (int, float)) and 0 < float(clock_mhz) < 2000):
        raise BoardError(f"clock {clock_mhz!r} MHz is not a valid clock; give a frequency in MHz")
    period = 1000.0 / float(clock_mhz)
    return {
        "header": header(m.fingerprint), "hash_header": header(m.fingerprint, "#"),
        "top": top, "model_hash": m.fingerprint, "part": part, "clock_mhz": f"{float(clock_mhz):g}",
        "period_ns": f"{period:.4f}".rstrip("0").rstrip("."),
        "in_port": _port(m.input, m.in_tdata_bits), "out_port": _port(m.output, m.out_tdata_bits),
        "engines": b.engines, "streams": b.streams,
        "n_vectors": None if vectors is None else int(vectors.n),
        "layers": [{"id": namer(e.name), "op": e.op.value} for e in m.engines if e.kind is EngineKind.MAC],
        "output_layer": namer(m.output.name),
        "traces": b.traces,
    }


def _check_vectors(g: Graph, vectors) -> None:
    meta = vectors.meta
    if meta.get("input_shape") != list(g.input.shape) or meta.get("output_shape") != list(g.output_node.shape):
        raise ModelError("the golden vectors do not belong to this model (shapes differ); "
                         "regenerate them with tritium.sim.vectors.make_vectors")


# --------------------------------------------------------------------------- render

TEMPLATE_FILES = {  # template -> path in the project ("{top}" is the top function's name)
    "top.h.j2": "src/{top}.h", "top.cpp.j2": "src/{top}.cpp", "params.h.j2": "src/{top}_params.h",
    "tb.cpp.j2": "tb/{top}_tb.cpp", "run_hls.tcl.j2": "run_hls.tcl", "hls_config.cfg.j2": "hls_config.cfg",
    "Makefile.j2": "Makefile", "README.md.j2": "README.md",
}


def generate_hls(graph: Graph, schedule, *, part: str, clock_mhz: float, vectors=None) -> Plan:
    """The Vitis HLS project of `graph` as a Plan (paths under `hls/`); deterministic."""
    ctx = build_context(graph, schedule, part=part, clock_mhz=clock_mhz, vectors=vectors)
    env = environment("hls")
    plan: Plan = {}
    for tpl, path in TEMPLATE_FILES.items():
        plan[f"hls/{path.format(top=ctx['top'])}"] = env.get_template(tpl).render(**ctx)
    for f in sorted(LIB_DIR.glob("*.h")):
        plan[f"hls/lib/{f.name}"] = f.read_text()
    plan[MANIFEST] = json.dumps({
        "top": ctx["top"], "model": ctx["model_hash"], "output_layer": ctx["output_layer"],
        "output_node": graph.output, "input_shape": ctx["in_port"]["shape"],
        "output_shape": ctx["out_port"]["shape"], "layers": ctx["layers"],
        "sources": [f"src/{ctx['top']}.cpp"], "testbench": f"tb/{ctx['top']}_tb.cpp",
        "traces": ctx["traces"],
    }, indent=2, sort_keys=True) + "\n"
    problems = check_add_only(plan)
    assert not problems, "; ".join(problems)
    return plan


def library_files() -> dict[str, str]:
    """The hand-written library, `{file name: text}` (for unit tests and tools)."""
    return {f.name: f.read_text() for f in sorted(LIB_DIR.glob("*.h"))}


# --------------------------------------------------------------------------- add-only check

# Identifiers that hold ternary weight codes in the library's PE; anything
# assigned from them is tainted too (see `weight_multiplications`).
WEIGHT_SEEDS = frozenset({"CODE", "code", "codes", "WEIGHT", "weight"})
_TOKEN = re.compile(r"//[^\n]*|/\*.*?\*/|\"(?:\\.|[^\"\\])*\"|'(?:\\.|[^'\\])*'|[A-Za-z_]\w*|\d\w*"
                    r"|\*=|\+=|-=|<<=|>>=|::|->|==|!=|<=|>=|&&|\|\||\S", re.S)
_ASSIGN = frozenset({"=", "+=", "-=", "*=", "|=", "&=", "^=", "<<=", ">>="})
# A `*` after these declares a pointer; after any other operand it multiplies.
_DECLARATOR = frozenset({"const", "volatile", "void", "char", "short", "int", "long", "unsigned",
                         "signed", "bool", "float", "double", "auto"})


def _is_multiply(stmt: list[str], k: int) -> bool:
    if stmt[k] == "*=":
        return True
    if stmt[k] != "*" or k == 0 or stmt[k - 1] in _DECLARATOR:
        return False
    return bool(re.match(r"\w", stmt[k - 1])) or stmt[k - 1] in ")]"


def tokens(src: str) -> list[str]:
    """C++ tokens without comments and string literals."""
    return [t for t in _TOKEN.findall(src) if not t.startswith(("//", "/*", '"', "'"))]


def function_body(src: str, name: str) -> list[str]:
    """Tokens of the body of `struct NAME` or function `NAME` (first definition)."""
    toks = tokens(src)
    for i, t in enumerate(toks):
        if t == name and i + 1 < len(toks) and toks[i + 1] in ("{", "(") and (
                toks[i - 1] == "struct" or toks[i + 1] == "("):
            j = toks.index("{", i)
            if toks[i + 1] == "(" and ";" in toks[i:j]:
                continue  # a declaration or call, not the definition
            depth = 0
            for k in range(j, len(toks)):
                depth += {"{": 1, "}": -1}.get(toks[k], 0)
                if depth == 0:
                    return toks[j + 1:k]
    raise ValueError(f"no definition of '{name}' found")


def weight_multiplications(body: list[str], seeds=WEIGHT_SEEDS) -> list[str]:
    """Statements of `body` where a multiplication touches a weight code.

    A statement is tainted when it mentions a seed or a variable assigned
    earlier from a tainted expression; a `*` is a multiplication when it
    follows an operand (identifier, number, `)` or `]`), and `*=` always is.
    """
    tainted, found, stmt = set(seeds), [], []
    for t in body + [";"]:
        if t not in (";", "{", "}"):
            stmt.append(t)
            continue
        names = {s for s in stmt if re.match(r"[A-Za-z_]", s)}
        hit = names & tainted
        mult = any(_is_multiply(stmt, k) for k in range(len(stmt)))
        if hit and mult:
            found.append(" ".join(stmt))
        if hit:
            for k, s in enumerate(stmt):
                if s in _ASSIGN and k > 0 and re.match(r"[A-Za-z_]", stmt[k - 1]):
                    tainted.add(stmt[k - 1])
        stmt = []
    return found


def alias_target(src: str, name: str) -> list[str]:
    """Tokens of what `using NAME = ...;` (an alias template) names."""
    toks = tokens(src)
    for i, t in enumerate(toks):
        if t == "using" and toks[i + 1:i + 3] == [name, "="]:
            return toks[i + 3:toks.index(";", i)]
    raise ValueError(f"no alias '{name}' found")


def check_add_only(plan: Plan) -> list[str]:
    """Problems that would let a ternary layer multiply by a weight (empty: add-only).

    - the library's ternary PE `pe_ternary` is the shared program loop
      `pe_program` with the lane operation `ternary_lane`, and none of the
      three (nor `rom_field`, which extracts a lane's code from its ROM word)
      has a multiplication touching a code;
    - every ternary layer of the generated parameters is bound to `pe_ternary`
      and stores 2-bit codes (`CODE`), never multiplier weights (`WEIGHT`);
    - the generated sources hold no multiplication touching a code.
    """
    lib = plan["hls/lib/tritium_pe.h"]
    problems = []
    target = alias_target(lib, "pe_ternary")
    if "pe_program" not in target or "ternary_lane" not in target or "int_lane" in target:
        problems.append(f"pe_ternary is not pe_program with ternary_lane: {' '.join(target)}")
    for body, seeds in (("ternary_lane", WEIGHT_SEEDS), ("pe_program", WEIGHT_SEEDS),
                        ("rom_field", WEIGHT_SEEDS | {"word"})):
        problems += [f"pe_ternary multiplies a weight ({body}): {s}"
                     for s in weight_multiplications(function_body(lib, body), seeds)]
    for path, text in sorted(plan.items()):
        if not (path.startswith("hls/src/") and isinstance(text, str)):
            continue
        for s in weight_multiplications(tokens(text)):
            problems.append(f"{path}: multiplication touching a weight: {s}")
        for struct in re.findall(r"struct (cfg_\w+) \{(.*?)\n\};", text, re.S):
            name, body = struct
            if "pe_ternary" in body and ("WEIGHT" in body or "CODE" not in body):
                problems.append(f"{path}: ternary engine {name} does not run on 2-bit codes")
            if "CODE" in body and "pe_ternary" not in body:
                problems.append(f"{path}: engine {name} holds ternary codes but not the add-only PE")
    return problems
