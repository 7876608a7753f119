"""Estimated vs synthesized in report.json / report.html and `tritium compare` (no yosys)."""
import json

from tritium.board import Family
from tritium.report.compare import comparison
from tritium.report.data import load_report
from tritium.report.html import render_report
from tritium.synth.design import engine_of, fit_message, synth_doc, synth_section

STAT = {"modules": {
    "\\tritium_top": {"num_cells_by_type": {"fc_engine$tritium_top.u_fc": 1, "LUT6": 10, "FDRE": 4,
                                             "tri_fifo$tritium_top.u_q_fc_in0": 1}},
    "\\fc_engine$tritium_top.u_fc": {"num_cells_by_type": {"LUT6": 90, "FDRE": 40, "DSP48E1": 2, "CARRY4": 3}},
    "\\tri_fifo$tritium_top.u_q_fc_in0": {"num_cells_by_type": {"LUT6": 5, "FDRE": 6}}}}


def _report(tmp_path):
    from tritium.cli import main
    assert main(["compile", "zoo:mlp-digits", "--board", "pynq-z2", "-o", str(tmp_path),
                 "--quiet"]) == 0
    return load_report(tmp_path / "report.json")


def test_synth_doc_per_layer_and_total():
    doc = synth_doc(STAT, Family.XC7, "0.70", 1.23)
    assert doc["total"] == {"lut": 105, "ff": 50, "carry": 3, "dsp": 2, "bram18": 0, "uram": 0}
    assert doc["layers"] == {"fc": {"lut": 90, "ff": 40, "carry": 3, "dsp": 2, "bram18": 0, "uram": 0}}
    # an engine's input FIFO is charged to it, as the cost model does; the top's own cells are glue
    assert doc["engines"] == {"fc": {"lut": 95, "ff": 46, "carry": 3, "dsp": 2, "bram18": 0, "uram": 0}}
    assert doc["glue"] == {"lut": 10, "ff": 4, "carry": 0, "dsp": 0, "bram18": 0, "uram": 0}
    assert (doc["family"], doc["yosys"], doc["seconds"]) == ("xc7", "0.70", 1.2)


def test_instances_belong_to_engines_by_model_name():
    names = {"layer1_0_conv1": "layer1.0.conv1", "pool2": "pool2"}
    assert engine_of("layer1_0_conv1", names) == "layer1.0.conv1"
    assert engine_of("q_layer1_0_conv1_in0", names) == "layer1.0.conv1"
    assert engine_of("pool2_window", names) == "pool2" and engine_of("q_pool2_in1", names) == "pool2"
    assert engine_of("q_out", names) == engine_of("out", names) == "out_stream"
    assert engine_of("in", names) is None and engine_of("fork_conv1", names) is None


def test_report_and_compare_carry_synthesized_columns(tmp_path):
    rep = _report(tmp_path)
    doc = synth_doc(STAT, Family.XC7, "0.70", 1.0)
    rep2 = json.loads(json.dumps(rep))
    rep2["synth"] = synth_section(rep2, doc)
    net = rep2["synth"]["estimated_vs_synthesized"]["network"]
    assert net["lut"]["synthesized"] == 105 and net["lut"]["estimated"] == rep["network"]["lut"]
    assert "Estimated vs synthesized (xc7, yosys 0.70)" in render_report(rep2)
    rows = dict(comparison([rep, rep2]))
    assert rows["synth.lut"] == [None, 105] and rows["synth.family"] == [None, "xc7"]


def test_fit_names_the_resource_and_the_costliest_engine(tmp_path):
    rep = _report(tmp_path)
    doc = synth_doc(STAT, Family.XC7, "0.70", 1.0)
    fits = synth_section(rep, doc, Family.XC7)
    assert fits["fit"] == {"fits": True, "over": {}} and fit_message(fits) is None
    small = json.loads(json.dumps(rep))
    small["network"]["usable"] = {**rep["network"]["usable"], "lut": 100, "dsp": 1}
    section = synth_section(small, doc, Family.XC7)
    assert section["fit"]["over"] == {
        "lut": {"synthesized": 105, "usable": 100, "largest_engine": "fc"},
        "dsp": {"synthesized": 2, "usable": 1, "largest_engine": "fc"}}
    assert fit_message(section) == ("the synthesized design does not fit the board: LUT 105 of "
                                    "100 usable (most: engine 'fc'); DSP 2 of 1 usable (most: "
                                    "engine 'fc')")
    assert "does not fit the board" in render_report({**small, "synth": section})
    # synthesized for another family than the board's: nothing compared, no verdict
    other = synth_section(rep, synth_doc(STAT, Family.ECP5, "0.70", 1.0), Family.XC7)
    assert not other["comparable"] and "fit" not in other
    assert {k: v["estimated"] for k, v in other["estimated_vs_synthesized"]["network"].items()} == {
        "lut": None, "ff": None, "dsp": None, "bram18": None}
