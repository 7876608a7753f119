"""SystemVerilog backend: the network's dataflow machine from its schedule (DESIGN §4).

`generate_rtl(graph, schedule, vectors=None)` maps the engine description
(`codegen.engines.describe`, shared with the HLS backend) to plain values
(SystemVerilog names, packed literals, PE program words) and renders them
over the hand-written library `hls_templates/lib/rtl/` into a `Plan`
(`top.sv.j2` has one instance macro per engine kind):

    rtl/tritium_top.sv      per-layer engine modules and the top (ports: docs/architecture.md)
    rtl/lib/tri_*.sv        the library, copied so that the folder is self-contained
    rtl/rom/<layer>_pe<p>.hex   PE programs, one word per line ($readmemh)
    rtl/filelist.f          sources in compile order
    rtl/meta.json           top name, stream widths, beats per frame, cycle models

The testbench (`sim/tb/tb_top.sv`) reads the golden vectors' own files
(`OUTDIR/vectors/`, `tritium.sim.vectors`), as the HLS testbench does;
`vectors`, when given, is only checked against the graph.

A PE program word is, from the LSB: `S` lane weights, the slice of the input
vector they read, `first` and `last` of a row, and the PE's local row index.
The slice addresses and row boundaries are encoded here from
`LayerSchedule.program` and the description's slice mode; every other value
(widths, requant constants, FIFO depths, window geometry) comes from the
description.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from ..errors import UnsupportedError
from ..ir.graph import Graph
from ..schedule import NetworkSchedule
from ..schedule.cost import collector_banks, index_bits
from ..schedule.model import frame_cycles
from .engines import (MULT_BITS, Act, Edge, Engine, EngineKind, MacParams, RequantConsts, SliceMode,
                      Window, describe, identity_requant)
from .names import Namer
from .plan import Plan
from .render import TEMPLATES, environment, header

TOP = "tritium_top"
LIB_DIR = TEMPLATES / "lib" / "rtl"
# Library files in compile order (dependencies first).
LIBRARY = ("tri_requant.sv", "tri_fifo.sv", "tri_fork.sv", "tri_window.sv", "tri_slicer.sv",
           "tri_feeder.sv", "tri_add2.sv", "tri_sum.sv", "tri_pe.sv", "tri_collector.sv",
           "tri_pool.sv", "tri_requant_stream.sv", "tri_gap.sv", "tri_add.sv", "tri_gather.sv",
           "tri_axis_in.sv", "tri_axis_out.sv")


clog2 = index_bits


def sv_const(value: int, width: int) -> str:
    """A sized SV literal of `value` (two's complement in `width` bits)."""
    return f"{width}'h{value & ((1 << width) - 1):x}"


def sv_longint(value: int) -> str:
    """A 64-bit signed SV literal (for `longint` parameters)."""
    v = int(value)
    return f"-64'sd{-v}" if v < 0 else f"64'sd{v}"


def pack(values, width: int) -> str:
    """Packed vector literal, element i at bits [i*width +: width]."""
    total = 0
    for i, v in enumerate(values):
        total |= (int(v) & ((1 << width) - 1)) << (i * width)
    return f"{max(1, len(values)) * width}'h{total:x}"


# --------------------------------------------------------------------------- shapes

@dataclass(frozen=True)
class Tensor:
    """An activation stream under its SystemVerilog name, with the values the template uses."""

    name: str          # sanitized
    channels: int
    bits: int
    signed: bool
    pixels: int
    width: int         # bits of one pixel (one beat)


def _tensor(name: str, a: Act) -> Tensor:
    return Tensor(name, a.channels, a.bits, a.signed, a.pixels, a.width)


def _requant_params(r: RequantConsts) -> dict:
    """A requantizer's parameters: widths, shift, clamp and the packed M and B tables."""
    return {"mw": MULT_BITS, "bw": r.bias_bits, "sh": r.shift, "lo": r.lo, "hi": r.hi,
            "m_pack": pack(r.mult, MULT_BITS), "b_pack": pack(r.bias, r.bias_bits)}


def _window(w: Window, bits: int) -> dict:
    return {"h": w.h, "w": w.w, "c": w.c, "kh": w.kh, "kw": w.kw, "sy": w.sy, "sx": w.sx,
            "pt": w.pt, "pl": w.pl, "ho": w.oh, "wo": w.ow, "r": w.rows, "pad": sv_const(w.pad, bits)}


# --------------------------------------------------------------------------- PE programs

def _program(m: MacParams, p: int, kb: int, lb: int) -> tuple[list[int], list[int]]:
    """(program words as ints, active rows in local order) of PE `p`: the schedule's
    weight words with the input-buffer bank of the word, the buffer row of the next
    word (of the first word, for the last), row boundaries and the local row index
    appended (tri_pe.sv)."""
    ls = m.schedule
    entries = ls.program(p)
    words = ls.pe_words(p)
    taps, n = ls.taps, ls.items_per_row
    k = m.buffer_banks[0]
    rows = [r for r in ls.pes[p].rows if any(e[0] == r for e in entries)]
    local = {r: i for i, r in enumerate(rows)}
    wb = ls.word_bits
    slice_of = {SliceMode.FLAT: lambda row, t, item: item,
                SliceMode.CHANNEL: lambda row, t, item: t * n + item,
                SliceMode.DEPTHWISE: lambda row, t, item: row * n + item}[m.slice_mode]
    fields = []        # (weights, slice, first, last, local row) per word
    for e, (row, item) in enumerate(entries):
        first_item = e == 0 or entries[e - 1][0] != row
        last_item = e == len(entries) - 1 or entries[e + 1][0] != row
        for t in range(taps):
            fields.append((words[e * taps + t], slice_of(row, t, item), first_item and t == 0,
                           last_item and t == taps - 1, local[row]))
    out = []
    for i, (w, sl, first, last, r) in enumerate(fields):
        nxt = fields[(i + 1) % len(fields)][1]
        v = w | (sl % k) << wb | (nxt // k) << (wb + kb)
        v |= int(first) << (wb + kb + lb) | int(last) << (wb + kb + lb + 1) | r << (wb + kb + lb + 2)
        out.append(v)
    return out, rows


def _mac_engine(e: Engine, src: Tensor, out: Tensor, rom_prefix: str) -> tuple[dict, dict[str, str]]:
    m, ls, rq = e.mac, e.mac.schedule, e.requant
    if m.groups > 1 and (m.groups != src.channels or out.channels != src.channels):
        raise UnsupportedError(f"layer '{e.name}': grouped convolution with groups={m.groups} is "
                               "supported only as depthwise (groups = input = output channels)")
    banks, bank_rows = m.buffer_banks
    kb, lb = clog2(banks), clog2(bank_rows)
    rw_all = clog2(max(len(p.rows) for p in ls.pes))
    channels = out.channels
    files: dict[str, str] = {}
    pes = []
    for p in range(ls.pe):
        words, rows = _program(m, p, kb, lb)
        if not words:
            continue
        fname = f"{rom_prefix}_pe{p}.hex"
        pw = ls.word_bits + kb + lb + 2 + rw_all
        files[f"rtl/rom/{fname}"] = "".join(f"{w:0{-(-pw // 4)}x}\n" for w in words)
        first_row = (words[-1] >> (ls.word_bits + kb)) & ((1 << lb) - 1)   # the last word's next row
        pes.append({"index": p, "nwords": len(words), "nrows": len(rows), "rom": fname,
                    "first_row": first_row,
                    "row_m": pack([rq.mult[r] for r in rows], MULT_BITS),
                    "row_b": pack([rq.bias[r] for r in rows], rq.bias_bits),
                    "row_ch": pack(rows, clog2(channels)), "rows": rows})
    owner = [0] * channels           # channel -> index of its PE among `pes`
    written = [0] * channels         # channel -> 1 if a PE writes it (else the constant INIT)
    for i, pe in enumerate(pes):
        for r in pe.pop("rows"):
            owner[r], written[r] = i, 1
    if not pes:  # every row is empty: one program-less PE paces the pixels
        pes.append({"index": 0, "nwords": 0, "nrows": 1, "rom": "", "first_row": 0,
                    "row_m": pack([0], MULT_BITS),
                    "row_b": pack([0], rq.bias_bits), "row_ch": pack([0], clog2(channels))})
    eng = {"kind": "mac", "module": f"{out.name}_engine",
           "window": _window(e.window, src.bits) if m.windowed else None, "kt": m.kernel_taps,
           "mode": m.slice_mode.value, "nslice": m.nslice, "vec_lanes": m.nslice * ls.simd,
           "nitems": ls.items_per_row, "simd": ls.simd, "banks": banks, "bank_rows": bank_rows,
           "kb": kb, "lb": lb, "rw": rw_all, "ternary": int(m.ternary),
           "wb": ls.weight_bits, "acc": m.acc_bits, "m": channels, "cw": clog2(channels),
           "init": pack(rq.at_zero, out.bits),
           "piw": clog2(len(pes)), "owner": pack(owner, clog2(len(pes))), "pes": pes,
           "written": pack(written, 1),
           "rq": _requant_params(rq), "cycles_per_pixel": ls.cycles_per_pixel,
           # collector banks: a PE may run nb-1 output pixels ahead of the output
           "nb": (nb := collector_banks(out.pixels)), "bkw": clog2(nb)}
    return eng, files


# --------------------------------------------------------------------------- other engines

def _pool_engine(e: Engine, src: Tensor, out: Tensor) -> dict:
    is_max = e.kind is EngineKind.MAXPOOL
    rq = identity_requant(e.out.qtype, out.channels) if is_max else e.requant
    kt = e.window.kh * e.window.kw
    return {"kind": "pool", "max": int(is_max), "window": _window(e.window, src.bits), "kt": kt,
            "win_bits": kt * src.width, "sumw": e.sum_bits, "rq": _requant_params(rq)}


def _gap_engine(e: Engine, src: Tensor, out: Tensor) -> dict:
    return {"kind": "gap", "npix": src.pixels, "sumw": e.sum_bits, "rq": _requant_params(e.requant)}


def _add_engine(e: Engine, src: Tensor, out: Tensor) -> dict:
    r = e.add
    return {"kind": "add", "ma": r.ma, "mb": r.mb, "b": r.bias, "sh": r.shift, "lo": r.lo, "hi": r.hi,
            "skip_depth": max(i.depth for i in e.ins)}


def _gather_engine(e: Engine, src: Tensor, out: Tensor) -> dict:
    return {"kind": "gather", "n": src.pixels}


def _requant_engine(e: Engine, src: Tensor, out: Tensor) -> dict:
    return {"kind": "requant", "rq": _requant_params(e.requant)}


ENGINE = {EngineKind.MAXPOOL: _pool_engine, EngineKind.AVGPOOL: _pool_engine,
          EngineKind.GAP: _gap_engine, EngineKind.ADD: _add_engine,
          EngineKind.FLATTEN: _gather_engine, EngineKind.REQUANT: _requant_engine}


# --------------------------------------------------------------------------- graph

def build_context(graph: Graph, schedule: NetworkSchedule) -> tuple[dict, dict[str, str]]:
    """The template context and the ROM files of the design."""
    machine = describe(graph, schedule, "RTL")
    namer = Namer(reserved={TOP, "tri", "clk", "rst_n"} | {f[:-3] for f in LIBRARY})
    tensors = {a.name: _tensor(namer(a.name), a) for a in [machine.input] + [e.out for e in machine.engines]}
    engines, files, forks = [], {}, {}
    for e in machine.engines:
        out, src = tensors[e.name], tensors[e.src.name]
        if e.kind is EngineKind.MAC:
            eng, f = _mac_engine(e, src, out, out.name)
            files.update(f)
        else:
            eng = ENGINE[e.kind](e, src, out)
        eng.update(name=out.name, op=e.op.value, out=out,
                   ins=[_edge(i, tensors, out.name, k) for k, i in enumerate(e.ins)])
        for i in e.ins:
            if i.readers > 1:
                forks.setdefault(i.src.name, {"src": tensors[i.src.name], "n": i.readers})
        engines.append(eng)
    inp, outp = tensors[machine.input.name], tensors[machine.output.name]
    order = list(tensors)
    ctx = {"top": TOP, "input": inp, "output": outp, "engines": engines,
           "forks": [forks[k] for k in sorted(forks, key=order.index)],
           "in_tw": machine.in_tdata_bits, "out_tw": machine.out_tdata_bits,
           "out_depth": machine.output_reader.depth,
           "engine_names": {tensors[e.name].name: e.name for e in machine.engines}}
    return ctx, files


def _edge(i: Edge, tensors: dict[str, Tensor], dst: str, k: int) -> dict:
    """The FIFO of edge `i` into input `k` of engine `dst`; a fork feeds it if its tensor
    has several readers."""
    t = tensors[i.src.name]
    feed = f"{t.name}_o" if i.readers == 1 else f"{t.name}_f{i.reader}"
    return {"src": t, "feed": feed, "fork": i.readers > 1, "k": i.reader, "sig": f"{dst}_in{k}",
            "depth": i.depth}


# --------------------------------------------------------------------------- cycles

def rtl_cycles_per_frame(graph: Graph, schedule: NetworkSchedule) -> dict:
    """Steady-state cycles per frame of the generated RTL, per engine and in total: the
    schedule's machine model, `tritium.schedule.model.frame_cycles` (one pixel per beat
    between engines; the formula is documented there)."""
    return frame_cycles(graph, schedule)


# --------------------------------------------------------------------------- plan

def generate_rtl(graph: Graph, schedule: NetworkSchedule, *, vectors=None) -> Plan:
    """The SystemVerilog design of `graph` under `schedule`, as a Plan under `rtl/`."""
    ctx, files = build_context(graph, schedule)
    env = environment("rtl")
    env.filters["sl"] = sv_longint
    model_hash = graph.fingerprint()
    plan: Plan = {f"rtl/lib/{f}": (LIB_DIR / f).read_text() for f in LIBRARY}
    sources = [f"lib/{f}" for f in LIBRARY]
    for e in ctx["engines"]:
        if e["kind"] == "mac":
            plan[f"rtl/{e['module']}.sv"] = env.get_template("mac_engine.sv.j2").render(
                header=header(model_hash), e=e)
            sources.append(f"{e['module']}.sv")
    plan[f"rtl/{TOP}.sv"] = env.get_template("top.sv.j2").render(header=header(model_hash), **ctx)
    sources.append(f"{TOP}.sv")
    plan.update(files)
    plan["rtl/filelist.f"] = "".join(f"{f}\n" for f in sources)
    model = rtl_cycles_per_frame(graph, schedule)
    meta = {"top": TOP, "model": model_hash, "in_tdata_bits": ctx["in_tw"],
            "out_tdata_bits": ctx["out_tw"], "in_beats_per_frame": ctx["input"].pixels,
            "out_beats_per_frame": graph.output_node.type.size,
            "out_bits": ctx["output"].bits, "out_signed": ctx["output"].signed,
            "rtl_cycles_per_frame": model["cycles_per_frame"],
            "rtl_bottleneck": model["bottleneck"],
            "schedule_cycles_per_frame": schedule.bottleneck.cycles,
            "sources": sources, "engine_names": ctx["engine_names"]}
    plan["rtl/meta.json"] = json.dumps(meta, indent=2, sort_keys=True) + "\n"
    if vectors is not None:
        vectors.check_model(graph)
    return plan


def write_library_list() -> list[Path]:
    """Paths of the library sources, compile order (block tests use them)."""
    return [LIB_DIR / f for f in LIBRARY]
