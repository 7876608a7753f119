"""Calibrated cost model against synthesis (compiler/synth/calibrate.py).

Held-out configurations use the stored synthesis results (calibration_data.json);
one small config is re-synthesized live so the stored data cannot silently rot.
"""
import json

import pytest

from tritium.board import Family
from tritium.synth import calibrate
from tritium.synth.units import BLOCKS

RUNS = json.loads(calibrate.DATA.read_text())["runs"]
KINDS = {"pe_ternary", "pe_int", *BLOCKS}


def _rows(role):
    return [r for r in RUNS if r["role"] == role]


def _key(r):
    return (r["family"], r["kind"], json.dumps(r["config"], sort_keys=True))


def test_every_block_kind_is_fitted_and_held_out_on_two_families():
    for role in ("fit", "held_out"):
        assert {(r["kind"], r["family"]) for r in _rows(role)} == {
            (k, f) for k in KINDS for f in ("xc7", "ecp5")}
    assert not {_key(r) for r in _rows("fit")} & {_key(r) for r in _rows("held_out")}


def test_stored_constants_are_the_fit_of_the_stored_data():
    assert json.loads(calibrate.CONSTANTS.read_text())["blocks"] == calibrate.fit(RUNS)


@pytest.mark.parametrize("row", _rows("held_out"), ids=lambda r: f"{r['family']}-{r['kind']}-"
                         + "-".join(f"{k}{v}" for k, v in r["config"].items()
                                    if k in ("simd", "act_bits", "acc_bits", "p", "m", "o",
                                             "kt", "c", "a", "npix")))
def test_held_out_estimates_within_25_percent(row):
    est = calibrate.estimate(row)
    for res in ("lut", "ff"):
        assert abs(est[res] - row["counts"][res]) <= 0.25 * row["counts"][res], (res, est, row)


def test_live_synthesis_equals_stored():
    row = _rows("live")[0]
    live = calibrate.synth_row(row["kind"], row["config"], Family(row["family"]))
    assert live["counts"] == row["counts"]


LANES = json.loads((calibrate.HERE / "lane_comparison.json").read_text())["results"]


@pytest.mark.parametrize("family", ["xc7", "ecp5"])
def test_ternary_lanes_at_least_5x_fewer_luts_and_no_dsp(family):
    c = LANES[family]
    assert c["int8_nodsp"] and c["ternary"]["dsp"] == 0
    assert c["int8"]["lut"] >= 5 * c["ternary"]["lut"]
    assert c["ternary_vs_int8_lut_ratio"] == round(c["int8"]["lut"] / c["ternary"]["lut"], 2)


@pytest.mark.slow
def test_live_lane_comparison_equals_stored():
    from tritium.synth.units import lane_comparison
    live = lane_comparison(Family.ECP5)
    assert (live["ternary"], live["int8"]) == (LANES["ecp5"]["ternary"], LANES["ecp5"]["int8"])
