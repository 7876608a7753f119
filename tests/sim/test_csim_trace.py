"""C-simulation mismatch diagnosis: the trace build names the first differing layer.

A design whose middle layer is corrupted (one bias entry of its requantizer
in the generated parameters) must be reported at that layer and channel,
with the pixel, expected and got values of the first differing value; an
exact design reports nothing and never builds the trace binary.
"""
from __future__ import annotations

import json
import re

import numpy as np
import pytest

from tritium.board import load_board
from tritium.codegen.hls import generate_hls
from tritium.errors import ModelError
from tritium.ir.interp import run_golden
from tritium.passes import lower
from tritium.schedule import schedule_network
from tritium.zoo.random_net import random_graph
from tritium.sim.csim import TRACE_BINARY, cache_root, run_csim
from tritium.sim.vectors import make_vectors

BOARD = load_board("pynq-z2")


@pytest.fixture(autouse=True)
def _cache(tmp_path_factory, monkeypatch):
    monkeypatch.setenv("TRITIUM_CACHE", str(tmp_path_factory.getbasetemp() / "cache"))


def compile_graph(g, n, seed):
    x = np.random.default_rng(seed).normal(0, 1.5, (n,) + g.input.shape)
    plan = generate_hls(g, schedule_network(g, BOARD), part=BOARD.part, clock_mhz=BOARD.clock_mhz,
                        vectors=(v := make_vectors(g, x)))
    return plan, v, x


def corrupt_bias(plan, layer_id: str, channel: int, delta: int):
    """The plan with BIAS[channel] of engine `layer_id` moved by `delta` (params header text).

    The engine's bias_t and sum_t become 64 bits, so the corrupted constant reaches the
    sum whole: the generator sizes them for the constants it wrote, not for this one."""
    path = next(p for p in plan if p.endswith("_params.h"))
    pat = re.compile(rf"(const long long cfg_{layer_id}::BIAS\[\d+\] = \{{)([^}}]*)(\}};)")
    m = pat.search(plan[path])
    assert m, f"no BIAS array for engine {layer_id}"
    vals = [int(s) for s in m.group(2).split(",")]
    vals[channel] += delta
    text = plan[path][:m.start(2)] + ", ".join(map(str, vals)) + plan[path][m.end(2):]
    cfg = re.compile(rf"struct cfg_{layer_id} {{.*?\n}};", re.S).search(text)
    widened = re.sub(r"typedef ap_int<\d+> (bias_t|sum_t);", r"typedef ap_int<64> \1;", cfg.group(0))
    assert widened.count("ap_int<64>") >= 2, cfg.group(0)[:400]
    return {**plan, path: text[:cfg.start()] + widened + text[cfg.end():]}


def traced_binaries():
    return list(cache_root().glob(f"*/{TRACE_BINARY}"))


def test_exact_design_never_builds_the_trace(tmp_path, monkeypatch):
    monkeypatch.setenv("TRITIUM_CACHE", str(tmp_path))    # its own cache: other tests build traces
    g = lower(random_graph(5))
    plan, v, _ = compile_graph(g, 16, 5)
    r = run_csim(plan, v, graph=g)
    assert r.ok and r.first_mismatch is None and r.trace_binary is None
    assert traced_binaries() == []
    assert "tritium_trace.h" in plan["hls/lib/tritium.h"] and "trace_tap" in next(
        t for p, t in plan.items() if p.startswith("hls/src/") and p.endswith(".cpp"))


@pytest.mark.parametrize("seed, layer", [(5, "conv_2"), (3, "conv")])
def test_corrupted_middle_layer_is_named(seed, layer):
    g = lower(random_graph(seed))
    plan, v, x = compile_graph(g, 16, seed)
    man = json.loads(plan["hls/tritium_hls.json"])
    t = next(t for t in man["traces"] if t["node"] == layer)
    assert t != man["traces"][-1] and t != man["traces"][0]      # a middle layer
    node = g.node(layer)
    _, layers = run_golden(g, x, keep=True)
    golden = layers[layer].reshape(len(x), -1, node.shape[-1])    # (N, pixels, C)
    # The channel whose values are least often saturated; a huge bias saturates it at hi.
    channel = int((golden != node.qtype.hi).sum(axis=(0, 1)).argmax())
    r_shift = int(node.attrs.requant.shift)
    bad = corrupt_bias(plan, t["id"], channel, (node.qtype.hi - node.qtype.lo + 1) << r_shift)

    r = run_csim(bad, v, graph=g)
    assert not r.ok and r.trace_binary is not None and r.trace_binary.name == TRACE_BINARY
    m = r.first_mismatch
    assert m.traced and m.layer == layer and m.channel == channel, str(m)
    first_bad_vector = int(np.flatnonzero((r.outputs != v.y).reshape(len(x), -1).any(1))[0])
    assert m.vector == first_bad_vector
    p = int(np.flatnonzero(golden[m.vector, :, channel] != node.qtype.hi)[0])
    assert m.index == p * node.shape[-1] + channel
    assert m.pixel == (p // node.shape[1], p % node.shape[1])
    assert (m.expected, m.got) == (int(golden[m.vector, p, channel]), node.qtype.hi)
    assert f"'{layer}'" in str(m) and f"channel {channel}" in str(m)

    # Without the graph the report names the output node, as before (no trace).
    plain = run_csim(bad, v)
    assert plain.first_mismatch.layer == g.output and not plain.first_mismatch.traced


def test_graph_of_another_model_is_refused():
    g = lower(random_graph(5))
    plan, v, _ = compile_graph(g, 8, 5)
    man = json.loads(plan["hls/tritium_hls.json"])
    t = next(t for t in man["traces"] if t["node"] == "conv")
    bad = corrupt_bias(plan, t["id"], 0, 1 << 40)
    with pytest.raises(ModelError, match="generated from"):
        run_csim(bad, v, graph=lower(random_graph(3)))
