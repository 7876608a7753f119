"""Calibrated PE cost model against synthesis (compiler/synth/calibrate.py).

Held-out configurations use the stored synthesis results (calibration_data.json);
one small config is re-synthesized live so the stored data cannot silently rot.
"""
import json

import pytest

from compiler.board import Family
from compiler.synth import calibrate
from compiler.synth.units import PeConfig, synth_pe

RUNS = json.loads(calibrate.DATA.read_text())["runs"]


def _rows(role):
    return [r for r in RUNS if r["role"] == role]


def test_data_has_fit_and_held_out_on_two_families():
    assert {r["family"] for r in _rows("held_out")} == {"xc7", "ecp5"}
    fit_keys = {(r["family"], PeConfig(**r["config"])) for r in _rows("fit")}
    assert not fit_keys & {(r["family"], PeConfig(**r["config"])) for r in _rows("held_out")}


@pytest.mark.parametrize("row", _rows("held_out"), ids=lambda r: f"{r['family']}-"
                         f"{PeConfig(**r['config']).key()}")
def test_held_out_estimates_within_25_percent(row):
    est = calibrate.formula(PeConfig(**row["config"]), Family(row["family"]), calibrated=True)
    for res in ("lut", "ff"):
        assert abs(est[res] - row["pe"][res]) <= 0.25 * row["pe"][res], (res, est, row["pe"])


def test_live_synthesis_equals_stored():
    row = _rows("live")[0]
    live = synth_pe(PeConfig(**row["config"]), Family(row["family"]))
    assert live["pe"] == row["pe"]


LANES = json.loads((calibrate.HERE / "lane_comparison.json").read_text())["results"]


@pytest.mark.parametrize("family", ["xc7", "ecp5"])
def test_ternary_lanes_at_least_5x_fewer_luts_and_no_dsp(family):
    c = LANES[family]
    assert c["int8_nodsp"] and c["ternary"]["dsp"] == 0
    assert c["int8"]["lut"] >= 5 * c["ternary"]["lut"]
    assert c["ternary_vs_int8_lut_ratio"] == round(c["int8"]["lut"] / c["ternary"]["lut"], 2)


@pytest.mark.slow
def test_live_lane_comparison_equals_stored():
    from compiler.synth.units import lane_comparison
    live = lane_comparison(Family.ECP5)
    assert (live["ternary"], live["int8"]) == (LANES["ecp5"]["ternary"], LANES["ecp5"]["int8"])
