"""Issue 12's estimated-vs-synthesized rule (tritium.synth.rule), without Yosys."""
from __future__ import annotations

import pytest

from tritium.synth.rule import TOTAL, Violation, allowed, check, split


def c(lut=0, ff=0, bram18=0, dsp=0):
    return {"lut": lut, "ff": ff, "bram18": bram18, "dsp": dsp}


def scopes(violations):
    return [(v.scope, v.resource) for v in violations]


def test_exact_design_passes():
    est = {TOTAL: c(10_000, 5_000, 4, 20), "conv1": c(6_000, 3_000, 4, 20)}
    assert check(est, est) == []


@pytest.mark.parametrize("syn,ok", [(11_500, True), (8_500, True), (11_501, False), (8_499, False)])
def test_total_lut_and_ff_within_15_percent_of_the_estimate(syn, ok):
    for r in ("lut", "ff"):
        v = check({TOTAL: {r: 10_000}}, {TOTAL: {r: syn}})
        assert (v == []) is ok
        if not ok:
            assert scopes(v) == [(TOTAL, r)] and v[0].allowed == 1_500


@pytest.mark.parametrize("est,syn,ok", [
    (4, 6, True), (4, 7, False), (0, 2, True), (0, 3, False),    # small: ±2
    (100, 115, True), (100, 116, False), (100, 85, True), (100, 84, False)])  # large: ±15%
def test_bram_and_dsp_within_15_percent_or_2(est, syn, ok):
    for r in ("bram18", "dsp"):
        assert (check({TOTAL: {r: est}}, {TOTAL: {r: syn}}) == []) is ok


def test_engines_of_1000_lut_within_25_percent_each_no_cancelling():
    est = {TOTAL: c(20_000, 8_000), "a": c(10_000, 4_000), "b": c(10_000, 4_000)}
    syn = {TOTAL: c(20_000, 8_000), "a": c(13_000, 4_000), "b": c(7_000, 4_000)}
    assert scopes(check(est, syn)) == [("a", "lut"), ("b", "lut")]
    syn["a"]["lut"], syn["b"]["lut"] = 12_500, 7_500           # exactly ±25%
    assert check(est, syn) == []


def test_small_engines_are_not_checked_but_count_by_either_side():
    est = {TOTAL: c(2_000), "small": c(999, 10), "underpriced": c(500)}
    syn = {TOTAL: c(2_000), "small": c(600, 100), "underpriced": c(1_000)}
    assert scopes(check(est, syn)) == [("underpriced", "lut")]


def test_engine_block_resources_have_slack_2():
    est = {TOTAL: c(5_000, dsp=10), "e": c(5_000, dsp=2)}
    assert check(est, {TOTAL: c(5_000, dsp=10), "e": c(5_000, dsp=4)}) == []
    assert scopes(check(est, {TOTAL: c(5_000, dsp=10), "e": c(5_000, dsp=5)})) == [("e", "dsp")]


def test_missing_scope_or_resource_counts_as_zero():
    est = {TOTAL: c(1_000)}
    syn = {TOTAL: c(1_000), "only_synthesized": {"lut": 1_200}}
    v = check(est, syn)
    assert scopes(v) == [("only_synthesized", "lut")] and v[0].estimated == 0
    assert check({TOTAL: {"lut": 5}}, {TOTAL: {"lut": 5, "carry": 900}}) == []


def test_total_comes_first_then_engines_by_name():
    est = {TOTAL: c(1_000), "z": c(2_000), "a": c(2_000)}
    syn = {TOTAL: c(2_000), "z": c(4_000), "a": c(4_000)}
    assert [v.scope for v in check(est, syn)] == [TOTAL, "a", "z"]


def test_allowed():
    assert allowed("lut", 1_000, 0.15) == 150
    assert allowed("dsp", 4, 0.15) == 2
    assert allowed("dsp", 100, 0.25) == 25


def test_violation_reads_as_one_line():
    v = Violation(TOTAL, "lut", 14_525, 17_096, 2178.75)
    assert v.ratio == 0.85
    assert str(v) == ("total LUT: synthesized 17,096 vs estimated 14,525, est/syn 0.85 "
                      "(allowed ±15% of the estimate)")
    e = Violation("conv2", "dsp", 1, 0, 2)
    assert e.ratio is None and "engine conv2 DSP" in str(e) and "±25% or ±2" in str(e)


def test_split_reads_the_report_section():
    rows = {TOTAL: {"lut": {"estimated": 100, "synthesized": 120, "ratio": 0.833},
                    "dsp": {"estimated": 3, "synthesized": 3, "ratio": 1.0}},
            "fc1": {"lut": {"estimated": 90, "synthesized": 110, "ratio": 0.818}}}
    est, syn = split(rows)
    assert est == {TOTAL: {"lut": 100, "dsp": 3}, "fc1": {"lut": 90}}
    assert syn == {TOTAL: {"lut": 120, "dsp": 3}, "fc1": {"lut": 110}}
    assert scopes(check(est, syn)) == [(TOTAL, "lut")]


def test_bad_input_is_refused_with_the_reason():
    with pytest.raises(ValueError, match="lack the total 'network'"):
        check({"conv1": c(1)}, {TOTAL: c(1)})
    with pytest.raises(ValueError, match="another family"):
        split({TOTAL: {"lut": {"estimated": None, "synthesized": 5, "ratio": None}}})
    with pytest.raises(ValueError, match="non-negative"):
        check({TOTAL: {"lut": -1}}, {TOTAL: {"lut": 1}})
