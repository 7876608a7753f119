"""The schedule pass over a graph: folding modes, fit errors, JSON."""
from __future__ import annotations

import json

import pytest

from tritium.board import load_board
from tritium.errors import BoardError, OptionError
from tritium.schedule import Granularity, NetworkSchedule, schedule_network
from tritium.schedule.cost import ENGINE_FILL_CYCLES

from sched_helpers import tiny_net


@pytest.fixture(scope="module")
def net():
    return tiny_net()


def test_fps_and_latency_from_engines(net):
    n = schedule_network(net, load_board("zcu102"))
    worst = max(e.cycles for e in n.engines)
    assert n.bottleneck.cycles == worst and n.fps == 200e6 / worst
    # the tiny net is one chain with a skip: latency = chain sum + fill per engine
    chain = [e for e in n.engines]
    assert n.latency_cycles == sum(e.cycles for e in chain) + ENGINE_FILL_CYCLES * len(chain)
    for l in n.layers:
        assert n.engine(l.name).cycles >= l.cycles
        assert l.cycles <= 1.05 * l.lower_bound


def test_max_throughput_beats_one_pe(net):
    best = schedule_network(net, load_board("zcu102"))
    one = schedule_network(net, load_board("zcu102"), pe=1)
    assert best.fps > one.fps
    assert all(l.pe == 1 for l in one.layers)


def test_fixed_pe_is_capped_by_rows(net):
    n = schedule_network(net, load_board("zcu102"), pe=16)
    assert {l.name: l.pe for l in n.layers} == {"conv0": 16, "conv1": 16, "conv2": 16, "fc": 10}


def test_target_fps_uses_least_pes(net):
    b = load_board("zcu102")
    slow = schedule_network(net, b, target_fps=10_000)
    fast = schedule_network(net, b)
    assert slow.fps >= 10_000
    assert slow.resources.lut < fast.resources.lut
    assert sum(l.pe for l in slow.layers) < sum(l.pe for l in fast.layers)


def test_target_fps_out_of_reach(net):
    with pytest.raises(BoardError, match=r"--target-fps 1e\+07 is out of reach: layer '\w+' needs "
                                         r"[\d,]+ cycles per frame even with"):
        schedule_network(net, load_board("zcu102"), target_fps=1e7)


def test_does_not_fit_says_by_how_much(net):
    with pytest.raises(BoardError, match=r"does not fit ulx3s \(LFE5U-85F-6BG381C\) with --pe 32: needs "
                                         r"LUT [\d,]+ of 66,912 usable \(over by [\d,]+, \d+%\); DSP "
                                         r"[\d,]+ of 124 usable \(over by [\d,]+, \d+%\); lower --pe"):
        schedule_network(net, load_board("ulx3s"), pe=32)


def test_option_errors(net):
    b = load_board("zcu102")
    with pytest.raises(OptionError, match="power of two"):
        schedule_network(net, b, simd=3)
    with pytest.raises(OptionError, match=">= 1"):
        schedule_network(net, b, pe=0)
    with pytest.raises(OptionError, match="positive"):
        schedule_network(net, b, target_fps=-1)
    with pytest.raises(OptionError, match="give one of them"):
        schedule_network(net, b, pe=2, target_fps=5)


def test_tile_granularity_never_faster(net):
    b = load_board("zcu102")
    pe = schedule_network(net, b, pe=4)
    tile = schedule_network(net, b, pe=4, granularity=Granularity.TILE)
    for a, t in zip(pe.layers, tile.layers):
        assert t.cycles >= a.cycles and t.granularity is Granularity.TILE
    schedule_network(net, b, granularity=Granularity.TILE)  # folding search in tile mode


def test_json_round_trip_and_determinism(net):
    b = load_board("zcu102")
    n = schedule_network(net, b)
    text = json.dumps(n.to_json(), sort_keys=True)
    assert NetworkSchedule.from_json(json.loads(text)) == n
    assert json.dumps(schedule_network(tiny_net(), b).to_json(), sort_keys=True) == text
