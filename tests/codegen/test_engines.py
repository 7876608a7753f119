"""The engine description (`tritium.codegen.engines`): one lowering both backends render.

The skip FIFOs of a residual network are the test of "one owner per hardware fact":
both backends' generated FIFOs must have exactly the depth `schedule.model.skip_fifos`
gives, and the cost model must price that same depth.
"""
from __future__ import annotations

import re

import numpy as np
import pytest

from tritium.board import load_board
from tritium.codegen.engines import EngineKind, SliceMode, describe
from tritium.codegen.hls import generate_hls
from tritium.codegen.rtl import generate_rtl
from tritium.errors import ModelError
from tritium.frontend import load_model
from tritium.ir.interp import apply_requant
from tritium.ir.ops import Op
from tritium.ir.types import WeightKind
from tritium.passes import lower
from tritium.schedule import cost, schedule_network
from tritium.schedule.model import (EDGE_FIFO_DEPTH, SKIP_MARGIN, held_pixels, input_fifos,
                                    skip_fifos, window_rows)

BOARD = load_board("pynq-z2")


@pytest.fixture(scope="module")
def resnet():
    g = lower(load_model("zoo:resnet8"))
    return g, schedule_network(g, BOARD)


def _hls_depths(plan) -> dict[str, int]:
    src = next(t for p, t in plan.items() if re.fullmatch(r"hls/src/[^/]+\.cpp", p))
    return {m[0]: int(m[1]) for m in re.findall(r"#pragma HLS STREAM variable=(\w+) depth=(\d+)", src)}


def _rtl_depths(plan) -> dict[str, int]:
    top = plan["rtl/tritium_top.sv"]
    return {m[1]: int(m[0]) for m in re.findall(r"tri_fifo #\(\.W\(\d+\), \.DEPTH\((\d+)\)\) u_q_(\w+) ", top)}


def test_both_backends_build_the_skip_fifos_the_model_gives(resnet):
    g, net = resnet
    skips = skip_fifos(g)
    adds = [n for n in g.nodes if n.op is Op.ADD]
    assert len(adds) == 3 and set(skips) == {n.name for n in adds}
    hls = _hls_depths(generate_hls(g, net, part=BOARD.part, clock_mhz=BOARD.clock_mhz))
    rtl = _rtl_depths(generate_rtl(g, net))
    for n in adds:
        s = skips[n.name]
        assert s.depth > EDGE_FIFO_DEPTH
        early = n.inputs[s.operand]
        # RTL: the FIFO in front of the Add's early operand, named <add>_in<k>
        sig = re.sub(r"[^a-z0-9]+", "_", n.name.lower())
        assert rtl[f"{sig}_in{s.operand}"] == s.depth
        assert rtl[f"{sig}_in{1 - s.operand}"] == EDGE_FIFO_DEPTH
        # HLS: the early operand's stream is the only deep one fed by that tensor
        base = "st_" + re.sub(r"[^a-z0-9]+", "_", early.lower())
        assert max(d for name, d in hls.items() if name == base or name.startswith(base + "_")) == s.depth
    # no other FIFO is deeper than an edge FIFO
    assert sorted(d for d in hls.values() if d > EDGE_FIFO_DEPTH) == sorted(s.depth for s in skips.values())
    assert sorted(d for d in rtl.values() if d > EDGE_FIFO_DEPTH) == sorted(s.depth for s in skips.values())


def test_cost_model_prices_the_same_skip_fifo(resnet):
    g, net = resnet
    for name, s in skip_fifos(g).items():
        n = g.node(name)
        src = g.node(n.inputs[0])
        skip = cost.fifo_cost(g.node(n.inputs[s.operand]).shape[-1] * src.qtype.bits, s.depth,
                              BOARD.family)
        products = cost.general_products(n.attrs.requant.mult[:2])
        want = cost.add_cost(src.shape[-1], src.qtype.bits, n.qtype.bits, BOARD.family, products) + \
            input_fifos(g, n, BOARD.family)
        assert net.engine(name).resources == want
        assert input_fifos(g, n, BOARD.family).bram18 >= skip.bram18


def test_skip_depth_is_what_the_long_path_holds(resnet):
    """The rule of model.py's docstring by hand on resnet8's first block: the skip operand
    (conv1's output) waits while two 3x3 convs on 32x32 pixels each hold a 4-row window
    ring (4*32 + 2), collector banks and slots (4 + 2) and an input FIFO (2)."""
    g, _ = resnet
    s = skip_fifos(g)["layer1.0.add"]
    assert g.node("layer1.0.add").inputs[s.operand] == "conv1"
    held = [held_pixels(g, g.node(n)) for n in ("layer1.0.conv1", "layer1.0.conv2")]
    assert held == [4 * 32 + 2 + 6 + 2] * 2
    assert s.depth == sum(held) + SKIP_MARGIN == 280
    # more than a line buffer's fill, (kh//2)*W + kw//2 + 1 per conv, which deadlocks the RTL
    assert s.depth > 2 * (32 + 1 + 1) + 1


@pytest.fixture(scope="module")
def cnn():
    g = lower(load_model("zoo:cnn-digits"))
    net = schedule_network(g, BOARD)
    return g, net, describe(g, net, "test")


def test_kinds_shapes_and_edges_of_a_small_cnn(cnn):
    g, net, m = cnn
    assert m.input.shape == (8, 8, 1) and m.output.shape == (10,)
    assert [(e.kind, e.name, e.out.shape) for e in m.engines] == [
        (EngineKind.MAC, "conv1", (8, 8, 16)), (EngineKind.MAC, "conv2", (8, 8, 32)),
        (EngineKind.MAXPOOL, "pool2", (4, 4, 32)), (EngineKind.MAC, "conv3", (4, 4, 32)),
        (EngineKind.MAXPOOL, "pool3", (2, 2, 32)), (EngineKind.FLATTEN, "flatten", (128,)),
        (EngineKind.MAC, "fc", (10,))]
    for e in m.engines:
        n = g.node(e.name)
        assert e.out.qtype == n.qtype and [i.src.name for i in e.ins] == list(n.inputs)
        assert all(i.depth == EDGE_FIFO_DEPTH and i.readers == 1 for i in e.ins)
    assert m.output_reader.src.name == "fc" and m.output_reader.depth == EDGE_FIFO_DEPTH


def test_window_geometry(cnn):
    _, _, m = cnn
    e = {e.name: e for e in m.engines}
    w = e["conv2"].window
    assert (w.h, w.w, w.c, w.kh, w.kw, w.sy, w.sx, w.pt, w.pl, w.oh, w.ow, w.pad) == (
        8, 8, 16, 3, 3, 1, 1, 1, 1, 8, 8, 0)
    assert w.rows == window_rows(8, 8, (3, 3), (1, 1), (1, 1, 1, 1), 8, 8) == 4
    p = e["pool3"].window
    assert (p.h, p.kh, p.sy, p.oh, p.pad) == (4, 2, 2, 2, e["pool3"].out.qtype.lo)
    assert e["pool3"].sum_bits == 11          # signed width of 4 taps * 255
    assert e["conv2"].mac.windowed and not e["fc"].mac.windowed
    assert (e["fc"].window.kh, e["fc"].window.kw) == (1, 1)


def test_mac_params_come_from_the_schedule(cnn):
    g, net, m = cnn
    for e in m.engines:
        if e.kind is not EngineKind.MAC:
            continue
        n, ls = g.node(e.name), net.layer(e.name)
        assert e.mac.schedule is ls and e.mac.acc_bits == n.attrs.acc_bits
        assert e.mac.ternary == (n.attrs.weights.kind is WeightKind.TERNARY)
        assert len(e.requant.mult) == len(e.requant.bias) == n.shape[-1]
        zero = apply_requant(np.zeros(n.shape[-1], np.int64), n.attrs.requant)
        assert e.requant.at_zero == tuple(int(v) for v in zero)
    conv1, conv2 = (next(e for e in m.engines if e.name == k) for k in ("conv1", "conv2"))
    assert conv1.mac.slice_mode is SliceMode.FLAT and conv1.mac.nslice == conv1.mac.schedule.items_per_row
    assert conv2.mac.slice_mode is SliceMode.CHANNEL
    assert conv2.mac.nslice == 9 * conv2.mac.schedule.items_per_row


def test_a_layer_missing_from_the_schedule_is_a_model_error(cnn):
    g, net, _ = cnn
    with pytest.raises(ModelError, match="schedule has no layer 'fc'"):
        describe(g, [l for l in net.layers if l.name != "fc"], "test")
