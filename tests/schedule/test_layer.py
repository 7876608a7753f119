"""Layer schedules against brute-force counts and naive packing."""
from __future__ import annotations

import json

import numpy as np
import pytest

from tritium.errors import OptionError, UnsupportedError
from tritium.ir.ops import Op
from tritium.ir.types import WeightKind
from tritium.schedule.groups import choose_lane_axis, lane_layout
from tritium.schedule.layer import LayerSchedule, schedule_layer
from tritium.schedule.options import Granularity, LaneAxis, check_simd
from tritium.schedule.pack import word_lanes

from sched_helpers import group_pruned_ternary, mac

CODE = {0: 0b00, 1: 0b01, -1: 0b11}


def brute_items(w, s, axis):
    """Per row: list of (item, [tap words as lists of lane values]) straight from W."""
    m, c, kh, kw = w.shape
    rows = []
    for r in range(m):
        items = []
        if axis is LaneAxis.CHANNEL:
            for j in range(-(-c // s)):
                taps = [[int(w[r, j * s + l, ky, kx]) if j * s + l < c else 0 for l in range(s)]
                        for ky in range(kh) for kx in range(kw)]
                items.append(taps)
        else:
            flat = [int(w[r, ci, ky, kx]) for ky in range(kh) for kx in range(kw) for ci in range(c)]
            flat += [0] * (-len(flat) % s)
            items = [[flat[i:i + s]] for i in range(0, len(flat), s)]
        rows.append(items)
    return rows


def brute_cycles(sched, rows):
    loads = []
    for p in range(sched.pe):
        n = 0
        for r in sched.pes[p].rows:
            n += sum(len(item) for item in rows[r] if any(v for tap in item for v in tap))
        loads.append(n)
    return max(loads)


@pytest.mark.parametrize("shape,s,density", [
    ((8, 32, 3, 3), 16, 0.5), ((12, 16, 1, 1), 8, 0.4), ((5, 3, 3, 3), 4, 1.0), ((9, 24, 3, 3), 16, 0.6)])
@pytest.mark.parametrize("p", [1, 2, 3])
def test_cycles_equal_brute_force(rng, shape, s, density, p):
    w = group_pruned_ternary(rng, *shape, s, density)
    attrs = mac(w)
    layout = lane_layout(attrs, s)
    sched = schedule_layer(layout, p, out_pixels=7)
    rows = brute_items(w, s, layout.axis)
    assert sched.cycles_per_pixel == brute_cycles(sched, rows)
    assert sched.cycles == 7 * brute_cycles(sched, rows)
    # every row on exactly one PE
    assert sorted(r for pe in sched.pes for r in pe.rows) == list(range(shape[0]))


def test_words_equal_naive_packing(rng):
    w = group_pruned_ternary(rng, 6, 32, 3, 3, 16, 0.5)
    sched = schedule_layer(lane_layout(mac(w), 16), 2)
    rows = brute_items(w, 16, LaneAxis.CHANNEL)
    for p in range(2):
        expect = []
        for r, i in sched.program(p):
            for tap in rows[r][i]:
                expect.append(sum(CODE[v] << (2 * l) for l, v in enumerate(tap)))
        assert sched.pe_words(p) == expect
        assert all(any(tap) for r, i in sched.program(p) for tap in [sum(rows[r][i], [])])


def test_ternary_code_bits():
    w = np.zeros((1, 4, 1, 1), dtype=np.int64)
    w[0, :, 0, 0] = [1, -1, 0, 1]
    sched = schedule_layer(lane_layout(mac(w), 4), 1)
    assert sched.pes[0].words == "4d"  # lanes 3..0 = 01 00 11 01
    assert word_lanes(0x4D, 4, 2) == [1, -1, 0, 1]


def test_int8_words_multiplier_lanes(rng):
    w = rng.integers(-128, 128, size=(3, 20))
    sched = schedule_layer(lane_layout(mac(w, WeightKind.INT, 8), 16), 1, weight_kind=WeightKind.INT,
                           weight_bits=8, op=Op.DENSE)
    assert sched.items_per_row == 2 and sched.taps == 1
    words = sched.pe_words(0)
    assert len(sched.pes[0].words) == 32 * len(words)
    flat = [word_lanes(x, 16, 8) for x in words]
    assert flat[0] == list(w[0, :16]) and flat[1] == list(w[0, 16:]) + [0] * 12


def test_zero_rows_belong_to_a_pe_and_cost_nothing(rng):
    w = group_pruned_ternary(rng, 8, 16, 3, 3, 16, 1.0)
    w[[1, 4, 6]] = 0
    sched = schedule_layer(lane_layout(mac(w), 16), 3)
    assert sorted(r for pe in sched.pes for r in pe.rows) == list(range(8))
    assert sched.groups_nonzero == 5 and sched.cycles_per_pixel == 9 * 2


def test_metrics_exact():
    w = np.zeros((4, 32, 3, 3), dtype=np.int64)
    w[0, :16] = 1          # row 0: group 0
    w[1, :] = -1           # row 1: groups 0, 1
    w[2, 16:] = 1          # row 2: group 1
    sched = schedule_layer(lane_layout(mac(w), 16), 2, out_pixels=10)
    assert sched.row_items == (1, 2, 1, 0)
    assert sched.groups_total == 8 and sched.groups_nonzero == 4
    assert sched.max_load == 2 and sched.cycles_per_pixel == 18 and sched.cycles == 180
    assert sched.lower_bound_per_pixel == 18
    assert sched.dense_per_pixel == 9 * 2 * 2
    assert sched.utilisation == 1.0


def test_tile_granularity_counts_tiles():
    w = np.zeros((4, 32, 1, 1), dtype=np.int64)
    w[0, :16] = 1     # tile 0 (rows 0,1): item 0
    w[1, 16:] = 1     # tile 0: item 1 -> tile 0 runs 2 items
    w[3, 16:] = 1     # tile 1 (rows 2,3): item 1 -> 1 item
    sched = schedule_layer(lane_layout(mac(w), 16), 2, granularity=Granularity.TILE)
    assert sched.pes[0].rows == (0, 2) and sched.pes[1].rows == (1, 3)
    assert sched.max_load == 3 and sched.cycles_per_pixel == 3
    assert sched.program(0) == [(0, 0), (0, 1), (2, 1)]
    assert sched.pe_words(0)[1] == 0  # row 0 has a zero item inside an active tile
    pe = schedule_layer(lane_layout(mac(w), 16), 2)
    assert pe.cycles_per_pixel == 2


def test_lane_axis_rule():
    assert choose_lane_axis(mac(np.ones((4, 3, 3, 3), dtype=np.int64)), 16) is LaneAxis.FLAT
    assert choose_lane_axis(mac(np.ones((4, 32, 3, 3), dtype=np.int64)), 16) is LaneAxis.CHANNEL
    assert choose_lane_axis(mac(np.ones((4, 24, 3, 3), dtype=np.int64)), 16) is LaneAxis.FLAT
    dw = mac(np.ones((16, 1, 3, 3), dtype=np.int64), groups=16)
    assert choose_lane_axis(dw, 16) is LaneAxis.FLAT
    lay = lane_layout(dw, 16)
    assert (lay.items_per_row, lay.taps) == (1, 1)
    assert choose_lane_axis(mac(np.ones((10, 64), dtype=np.int64)), 16) is LaneAxis.CHANNEL


def test_flat_first_conv_packs_in_kh_kw_cin_order():
    w = np.arange(2 * 3 * 3 * 3).reshape(2, 3, 3, 3) % 3 - 1
    lay = lane_layout(mac(w), 4)
    assert lay.axis is LaneAxis.FLAT and lay.items_per_row == 7
    row = w[0].transpose(1, 2, 0).reshape(-1)
    assert list(lay.lanes[0].reshape(-1)[:27]) == list(row)


def test_json_round_trip_exact(rng):
    w = group_pruned_ternary(rng, 10, 32, 3, 3, 16, 0.5)
    for g in Granularity:
        sched = schedule_layer(lane_layout(mac(w), 16), 3, name="c1", out_pixels=4, granularity=g)
        text = json.dumps(sched.to_json(), sort_keys=True)
        back = LayerSchedule.from_json(json.loads(text))
        assert back == sched
        assert json.dumps(back.to_json(), sort_keys=True) == text


def test_constraints_fail_with_fix(rng):
    lay = lane_layout(mac(group_pruned_ternary(rng, 4, 16, 1, 1, 16, 1.0)), 16)
    with pytest.raises(OptionError, match=r"exceeds its 4 output channels.*--pe 4"):
        schedule_layer(lay, 5, name="conv1")
    with pytest.raises(OptionError, match=">= 1"):
        schedule_layer(lay, 0)
    with pytest.raises(OptionError, match="power of two"):
        check_simd(12)
    with pytest.raises(OptionError, match="power of two"):
        check_simd(512)


def test_float_weights_rejected():
    with pytest.raises(UnsupportedError, match="still float"):
        lane_layout(mac(np.ones((2, 16, 1, 1)), WeightKind.FLOAT, 32), 16)
