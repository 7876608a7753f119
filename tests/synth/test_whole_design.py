"""One whole design, compiled and synthesized live: issue 12's rule on what CI can afford.

zoo:mlp-digits for pynq-z2 (xc7): three Dense engines (an int8 first layer, ternary
after), their collectors, FIFOs and output port, through `tritium compile --backend rtl`
and `tritium synth` as a user runs them. The synthesized totals must be within ±15% of
the report's estimate (BRAM18/DSP: or ±2) and every engine of 1,000 LUT or more within
±25% (`tritium.synth.rule`). bench/synth_vs_estimate.py runs the larger designs and ECP5.
"""
from __future__ import annotations

import json

import pytest

from tritium.synth import rule

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def synthesized(tmp_path_factory):
    import tritium
    from tritium.board import Family
    from tritium.synth.design import synth_outdir
    out = tmp_path_factory.mktemp("mlp") / "design"
    tritium.compile("zoo:mlp-digits", board="pynq-z2", backend="rtl", outdir=out)
    synth_outdir(out, Family.XC7)
    return json.loads((out / "report.json").read_text())


def test_mlp_digits_is_what_its_report_says(synthesized):
    section = synthesized["synth"]
    assert section["family"] == "xc7" and section["comparable"]
    violations = rule.check(*rule.split(section["estimated_vs_synthesized"]))
    assert not violations, "\n".join(map(str, violations))
    assert section["fit"]["fits"]
