"""Estimated vs synthesized in report.json / report.html and `tritium compare` (no yosys)."""
import json

from tritium.board import Family
from tritium.report.compare import comparison
from tritium.report.data import load_report
from tritium.report.html import render_report
from tritium.synth.design import synth_doc, synth_section

STAT = {"modules": {
    "\\tritium_top": {"num_cells_by_type": {"fc_engine$tritium_top.u_fc": 1, "LUT6": 10, "FDRE": 4}},
    "\\fc_engine$tritium_top.u_fc": {"num_cells_by_type": {"LUT6": 90, "FDRE": 40, "DSP48E1": 2, "CARRY4": 3}}}}


def _report(tmp_path):
    from tritium.cli import main
    assert main(["compile", "zoo:mlp-digits", "--board", "pynq-z2", "-o", str(tmp_path),
                 "--quiet"]) == 0
    return load_report(tmp_path / "report.json")


def test_synth_doc_per_layer_and_total():
    doc = synth_doc(STAT, Family.XC7, "0.70", 1.23)
    assert doc["total"] == {"lut": 100, "ff": 44, "carry": 3, "dsp": 2, "bram18": 0, "uram": 0}
    assert doc["layers"] == {"fc": {"lut": 90, "ff": 40, "carry": 3, "dsp": 2, "bram18": 0,
                                    "uram": 0}}
    assert (doc["family"], doc["yosys"], doc["seconds"]) == ("xc7", "0.70", 1.2)


def test_report_and_compare_carry_synthesized_columns(tmp_path):
    rep = _report(tmp_path)
    doc = synth_doc(STAT, Family.XC7, "0.70", 1.0)
    rep2 = json.loads(json.dumps(rep))
    rep2["synth"] = synth_section(rep2, doc)
    net = rep2["synth"]["estimated_vs_synthesized"]["network"]
    assert net["lut"]["synthesized"] == 100 and net["lut"]["estimated"] == rep["network"]["lut"]
    assert "Estimated vs synthesized (xc7, yosys 0.70)" in render_report(rep2)
    rows = dict(comparison([rep, rep2]))
    assert rows["synth.lut"] == [None, 100] and rows["synth.family"] == [None, "xc7"]
