"""SystemVerilog backend: the network's dataflow machine from its schedule (DESIGN §4).

`generate_rtl(graph, schedule, vectors=None)` builds a context of plain values
(engines, widths, PE programs, requant tables) and renders it over the
hand-written library `hls_templates/lib/rtl/` into a `Plan`:

    rtl/tritium_top.sv      per-layer engine modules and the top (ports: docs/architecture.md)
    rtl/lib/tri_*.sv        the library, copied so that the folder is self-contained
    rtl/rom/<layer>_pe<p>.hex   PE programs, one word per line ($readmemh)
    rtl/filelist.f          sources in compile order
    rtl/meta.json           top name, stream widths, beats per frame, cycle models
    rtl/tb/input.hex, expected.hex, vectors.json   (with `vectors`) $readmemh test data

A PE program word is, from the LSB: `S` lane weights, the slice of the input
vector they read, `first` and `last` of a row, and the PE's local row index.
Everything the schedule does not spell out (slice addresses, row boundaries,
the constant outputs of empty rows) is derived here from `LayerSchedule.program`.
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import UnsupportedError
from ..ir.graph import Graph, Node
from ..ir.ops import Op
from ..ir.types import Requant, signed_width
from ..schedule import LaneAxis, LayerSchedule, NetworkSchedule
from ..schedule.layer import check_weights_on_chip
from ..schedule.model import frame_cycles
from .names import Namer
from .plan import Plan
from .render import TEMPLATES, environment, header

TOP = "tritium_top"
LIB_DIR = TEMPLATES / "lib" / "rtl"
EDGE_FIFO_DEPTH = 2
BANKS, BANK_BITS = 4, 2          # collector banks: a PE may run NB-1 pixels ahead of the output
MW = 16                          # requant M width (|M| < 2^15)
SKIP_MARGIN = 4
# Library files in compile order (dependencies first).
LIBRARY = ("tri_requant.sv", "tri_fifo.sv", "tri_fork.sv", "tri_window.sv", "tri_slicer.sv",
           "tri_bcast.sv", "tri_add2.sv", "tri_sum.sv", "tri_pe.sv", "tri_collector.sv",
           "tri_pool.sv", "tri_requant_stream.sv", "tri_gap.sv", "tri_add.sv", "tri_gather.sv",
           "tri_axis_in.sv", "tri_axis_out.sv")


def byte_width(bits: int) -> int:
    return 8 * -(-bits // 8)


def clog2(n: int) -> int:
    return max(1, (n - 1).bit_length())


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


def requant_value(acc: int, m: int, b: int, sh: int, lo: int, hi: int) -> int:
    return min(max((acc * m + b) >> sh, lo), hi)


# --------------------------------------------------------------------------- shapes

def pixels(shape) -> int:
    return math.prod(shape[:-1]) if len(shape) > 1 else 1


def spatial(shape) -> tuple[int, int, int]:
    return (shape[0], shape[1], shape[2]) if len(shape) == 3 else (1, 1, shape[0])


@dataclass
class Tensor:
    name: str          # sanitized
    channels: int
    bits: int
    signed: bool
    pixels: int

    @property
    def width(self) -> int:
        return self.channels * self.bits


def _tensor(namer: Namer, n: Node) -> Tensor:
    return Tensor(namer(n.name), n.shape[-1], n.qtype.bits, n.qtype.signed, pixels(n.shape))


def _requant_tables(r: Requant, channels: int) -> dict:
    mult = np.broadcast_to(r.mult, (channels,))
    bias = np.broadcast_to(r.bias, (channels,))
    bw = max(signed_width(int(np.abs(bias).max(initial=0))), 2)
    return {"mw": MW, "bw": bw, "sh": r.shift, "lo": r.lo, "hi": r.hi,
            "m_pack": pack(mult, MW), "b_pack": pack(bias, bw), "mult": mult, "bias": bias}


# --------------------------------------------------------------------------- window

def window_rows(h: int, kh: int, sy: int, ho: int) -> int:
    """Rows of the window unit's ring: enough that input never waits for the
    reader within a frame (KH + SY) or across a frame boundary."""
    return max(kh + sy, h + kh - (ho - 1) * sy, 1)


def _window(src_shape, kernel, stride, padding, out_shape, pad_value: int, bits: int) -> dict:
    h, w, c = spatial(src_shape)
    ho, wo, _ = spatial(out_shape)
    kh, kw = kernel
    pt, pl, _, _ = padding
    return {"h": h, "w": w, "c": c, "kh": kh, "kw": kw, "sy": stride[0], "sx": stride[1],
            "pt": pt, "pl": pl, "ho": ho, "wo": wo, "r": window_rows(h, kh, stride[0], ho),
            "pad": sv_const(pad_value, bits)}


def _needs_window(n: Node) -> bool:
    a = n.attrs
    return n.op is Op.CONV2D and (a.kernel != (1, 1) or a.stride != (1, 1) or any(a.padding))


# --------------------------------------------------------------------------- PE programs

def _slice_mode(n: Node, ls: LayerSchedule) -> int:
    if ls.lane_axis is LaneAxis.CHANNEL:
        return 1
    return 2 if n.op is Op.CONV2D and n.attrs.groups > 1 else 0


def _nslice(mode: int, ls: LayerSchedule, taps: int, c: int) -> int:
    return {0: ls.items_per_row, 1: taps * ls.items_per_row, 2: c * ls.items_per_row}[mode]


def _program(ls: LayerSchedule, p: int, mode: int, sw: int, rw: int) -> tuple[list[int], list[int]]:
    """(program words as ints, active rows in local order) of PE `p`."""
    entries = ls.program(p)
    words = ls.pe_words(p)
    taps, n = ls.taps, ls.items_per_row
    rows = [r for r in ls.pes[p].rows if any(e[0] == r for e in entries)]
    local = {r: i for i, r in enumerate(rows)}
    out, wb = [], ls.simd * ls.weight_bits
    for k, (row, item) in enumerate(entries):
        first_item = k == 0 or entries[k - 1][0] != row
        last_item = k == len(entries) - 1 or entries[k + 1][0] != row
        for t in range(taps):
            slc = {0: item, 1: t * n + item, 2: row * n + item}[mode]
            first = first_item and t == 0
            last = last_item and t == taps - 1
            v = words[k * taps + t]
            v |= slc << wb
            v |= int(first) << (wb + sw)
            v |= int(last) << (wb + sw + 1)
            v |= local[row] << (wb + sw + 2)
            out.append(v)
    return out, rows


def _mac_engine(graph: Graph, n: Node, ls: LayerSchedule, namer: Namer, src: Tensor,
                out: Tensor, rom_prefix: str) -> tuple[dict, dict[str, str]]:
    a = n.attrs
    if a.groups > 1 and (a.groups != src.channels or n.shape[-1] != src.channels):
        raise UnsupportedError(f"layer '{n.name}': grouped convolution with groups={a.groups} is "
                               "supported only as depthwise (groups = input = output channels)")
    kt = a.kernel[0] * a.kernel[1] if n.op is Op.CONV2D else 1
    mode = _slice_mode(n, ls)
    nslice = _nslice(mode, ls, kt, src.channels)
    sw, rw_all = clog2(nslice), clog2(max(len(p.rows) for p in ls.pes))
    m = out.channels
    rq = _requant_tables(a.requant, m)
    init = [requant_value(0, int(rq["mult"][i]), int(rq["bias"][i]), rq["sh"], rq["lo"], rq["hi"])
            for i in range(m)]
    files: dict[str, str] = {}
    pes = []
    for p in range(ls.pe):
        words, rows = _program(ls, p, mode, sw, rw_all)
        if not words:
            continue
        fname = f"{rom_prefix}_pe{p}.hex"
        pw = ls.simd * ls.weight_bits + sw + 2 + rw_all
        files[f"rtl/rom/{fname}"] = "".join(f"{w:0{-(-pw // 4)}x}\n" for w in words)
        pes.append({"index": p, "nwords": len(words), "nrows": len(rows), "rom": fname,
                    "row_m": pack([rq["mult"][r] for r in rows], MW),
                    "row_b": pack([rq["bias"][r] for r in rows], rq["bw"]),
                    "row_ch": pack(rows, clog2(m)), "rows": rows})
    owner = [0] * m                  # channel -> index of its PE among `pes`
    for i, pe in enumerate(pes):
        for r in pe.pop("rows"):
            owner[r] = i
    if not pes:  # every row is empty: one program-less PE paces the pixels
        pes.append({"index": 0, "nwords": 0, "nrows": 1, "rom": "", "row_m": pack([0], MW),
                    "row_b": pack([0], rq["bw"]), "row_ch": pack([0], clog2(m))})
    window = _window(graph.node(n.inputs[0]).shape, a.kernel, a.stride, a.padding, n.shape, 0,
                     src.bits) if _needs_window(n) else None
    eng = {"kind": "mac", "module": f"{namer(n.name)}_engine", "window": window, "kt": kt,
           "mode": mode, "nslice": nslice, "nitems": ls.items_per_row, "simd": ls.simd,
           "sw": sw, "rw": rw_all, "ternary": int(ls.weight_kind == "ternary"),
           "wb": ls.weight_bits, "acc": a.acc_bits, "m": m, "cw": clog2(m), "init": pack(init, out.bits),
           "piw": clog2(len(pes)), "owner": pack(owner, clog2(len(pes))), "pes": pes,
           "rq": _public(rq), "cycles_per_pixel": ls.cycles_per_pixel}
    return eng, files


def _public(rq: dict) -> dict:
    return {k: v for k, v in rq.items() if k not in ("mult", "bias")}


# --------------------------------------------------------------------------- other engines

def _pool_engine(graph: Graph, n: Node, src: Tensor, out: Tensor) -> dict:
    a = n.attrs
    is_max = n.op is Op.MAXPOOL
    pad = n.qtype.lo if is_max else 0
    kt = a.kernel[0] * a.kernel[1]
    win = _window(graph.node(n.inputs[0]).shape, a.kernel, a.stride, a.padding, n.shape, pad,
                  src.bits)
    rq = _requant_tables(a.requant, out.channels) if not is_max else _requant_tables(
        Requant(np.ones(1), np.zeros(1), 0, out_lo(out), out_hi(out)), out.channels)
    max_abs = max(-min_code(src), max_code(src))
    return {"kind": "pool", "max": int(is_max), "window": win, "kt": kt,
            "sumw": signed_width(kt * max_abs), "rq": _public(rq)}


def min_code(t: Tensor) -> int:
    return -(1 << (t.bits - 1)) if t.signed else 0


def max_code(t: Tensor) -> int:
    return (1 << (t.bits - 1)) - 1 if t.signed else (1 << t.bits) - 1


out_lo, out_hi = min_code, max_code


def _gap_engine(graph: Graph, n: Node, src: Tensor, out: Tensor) -> dict:
    max_abs = max(-min_code(src), max_code(src))
    return {"kind": "gap", "npix": src.pixels, "sumw": signed_width(src.pixels * max_abs),
            "rq": _public(_requant_tables(n.attrs.requant, out.channels))}


def _add_engine(n: Node) -> dict:
    r = n.attrs.requant
    return {"kind": "add", "ma": int(r.mult[0]), "mb": int(r.mult[1]), "b": int(r.bias[0]),
            "sh": r.shift, "lo": r.lo, "hi": r.hi}


# --------------------------------------------------------------------------- graph

def _capacity(eng: dict, src: Tensor) -> int:
    """Pixels an engine can hold before it emits (skip FIFO sizing)."""
    win = eng.get("window")
    held = win["r"] * win["w"] + 2 if win else 2
    if eng["kind"] == "mac":
        held += BANKS + 2
    if eng["kind"] in ("gap", "gather"):
        held += src.pixels
    return held + EDGE_FIFO_DEPTH


def build_context(graph: Graph, schedule: NetworkSchedule) -> tuple[dict, dict[str, str]]:
    """The template context and the ROM files of the design."""
    check_weights_on_chip(schedule.layers, "RTL")
    namer = Namer(reserved={TOP, "tri", "clk", "rst_n"} | {f[:-3] for f in LIBRARY})
    tensors = {n.name: _tensor(namer, n) for n in graph.nodes}
    consumers = {n.name: [c for c in graph.nodes if n.name in c.inputs] for n in graph.nodes}
    depth: dict[str, int] = {}
    engines, files = [], {}
    for n in graph.nodes[1:]:
        out = tensors[n.name]
        ins = [tensors[i] for i in n.inputs]
        if n.op.is_mac:
            eng, f = _mac_engine(graph, n, schedule.layer(n.name), namer, ins[0], out, out.name)
            files.update(f)
        elif n.op in (Op.MAXPOOL, Op.AVGPOOL):
            eng = _pool_engine(graph, n, ins[0], out)
        elif n.op is Op.GLOBALAVGPOOL:
            eng = _gap_engine(graph, n, ins[0], out)
        elif n.op is Op.ADD:
            eng = _add_engine(n)
        elif n.op is Op.FLATTEN:
            eng = {"kind": "gather", "n": ins[0].pixels}
        elif n.op is Op.REQUANT:
            eng = {"kind": "requant", "rq": _public(_requant_tables(n.attrs.requant, out.channels))}
        else:
            raise UnsupportedError(f"the RTL backend has no engine for op '{n.op.value}' "
                                   f"(node '{n.name}'); lower the model first")
        eng.update(name=out.name, op=n.op.value, out=out, ins=[_edge(t, n, tensors, consumers)
                                                                for t in n.inputs])
        depth[n.name] = max(depth.get(i, 0) for i in n.inputs) + _capacity(eng, ins[0])
        if n.op is Op.ADD:
            a, b = n.inputs
            gap = abs(depth.get(a, 0) - depth.get(b, 0)) + SKIP_MARGIN
            short = 0 if depth.get(a, 0) < depth.get(b, 0) else 1
            eng["ins"][short]["depth"] = max(eng["ins"][short]["depth"], gap)
            eng["skip_depth"] = gap
        engines.append(eng)
    inp, outp = tensors[graph.input.name], tensors[graph.output]
    forks = [{"src": tensors[k], "n": len(v)} for k, v in consumers.items()
             if len(v) > 1]
    ctx = {"top": TOP, "input": inp, "output": outp, "engines": engines, "forks": forks,
           "in_tw": byte_width(inp.width), "out_tw": byte_width(outp.bits),
           "banks": BANKS, "bank_bits": BANK_BITS}
    return ctx, files


def _edge(src: str, dst: Node, tensors, consumers) -> dict:
    """The FIFO from tensor `src` to consumer `dst`; a fork feeds it if `src` has several."""
    t = tensors[src]
    users = consumers[src]
    k = next(i for i, c in enumerate(users) if c.name == dst.name)
    feed = f"{t.name}_o" if len(users) == 1 else f"{t.name}_f{k}"
    return {"src": t, "feed": feed, "fork": len(users) > 1, "k": k,
            "sig": f"{tensors[dst.name].name}_in{list(dst.inputs).index(src)}",
            "depth": EDGE_FIFO_DEPTH}


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
                header=header(model_hash), e=e, banks=BANKS, bank_bits=BANK_BITS)
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
            "sources": sources}
    plan["rtl/meta.json"] = json.dumps(meta, indent=2, sort_keys=True) + "\n"
    if vectors is not None:
        plan.update(vector_files(vectors, meta, prefix="rtl/tb"))
    return plan


def vector_files(vectors, meta: dict, prefix: str) -> dict[str, str]:
    """$readmemh images of golden vectors: one input beat / one output beat per line."""
    x = np.asarray(vectors.x, dtype=np.int64).reshape(vectors.n, -1)
    y = np.asarray(vectors.y, dtype=np.int64).reshape(vectors.n, -1)
    bits = vectors.meta["input_bits"]
    c = vectors.meta["input_shape"][-1]
    mask = (1 << bits) - 1
    beats = (x & mask).reshape(vectors.n, -1, c)
    lines = []
    for img in beats:
        for pix in img:
            v = 0
            for i, code in enumerate(pix):
                v |= int(code) << (i * bits)
            lines.append(f"{v:0{meta['in_tdata_bits'] // 4}x}\n")
    omask = (1 << meta["out_tdata_bits"]) - 1
    exp = "".join(f"{int(v) & omask:0{meta['out_tdata_bits'] // 4}x}\n" for v in y.ravel())
    info = {"n": vectors.n, "in_beats": len(lines), "out_beats": int(y.size)}
    return {f"{prefix}/input.hex": "".join(lines), f"{prefix}/expected.hex": exp,
            f"{prefix}/vectors.json": json.dumps(info, sort_keys=True) + "\n"}


def write_library_list() -> list[Path]:
    """Paths of the library sources, compile order (block tests use them)."""
    return [LIB_DIR / f for f in LIBRARY]
