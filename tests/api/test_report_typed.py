"""`tritium.Report` mirrors report.json field for field.

The round trip `Report.from_json(d).to_json() == d` is what makes a field
added to report.json without a typed field (and a schema bump) fail here.
"""
from __future__ import annotations

import json

import pytest

import tritium
from tritium import schema
from tritium.cli import main


@pytest.mark.parametrize("model,board", [("zoo:cnn-digits", "pynq-z2"),
                                         ("zoo:resnet8:density=0.25", "zcu102")])
def test_round_trip_is_exact(model, board, tmp_path):
    out = tmp_path / "o"
    assert main(["compile", model, "--board", board, "-o", str(out), "--quiet"]) == 0
    text = (out / "report.json").read_text()
    rep = tritium.Report.load(out / "report.json")
    assert rep.to_json() == json.loads(text)
    assert rep.dumps() == text                          # byte for byte
    assert rep.layers[0].name == json.loads(text)["layers"][0]["name"]
    assert isinstance(rep.network.usable, tritium.report.typed.Resources)
    assert rep.schema_version == json.loads(text)["schema_version"]


def test_synth_section_survives(tmp_path):
    d = tritium.compile("zoo:mlp-digits", board="pynq-z2").report.to_json()
    d["synth"] = {"family": "xc7", "total": {"lut": 1}}
    assert tritium.Report.from_json(d).to_json() == d


def test_missing_field_is_named():
    d = tritium.compile("zoo:mlp-digits", board="pynq-z2").report.to_json()
    del d["network"]["fps"]
    with pytest.raises(schema.SchemaError, match="lacks 'fps'"):
        tritium.Report.from_json(d)


@pytest.mark.parametrize("v,ok", [("1.0", True), ("1.9", True), (1, True), ("2.0", False), ("0.3", False)])
def test_schema_majors(v, ok):
    doc = {"schema_version": v}
    if ok:
        assert schema.check("report", doc, "r.json") is doc
    else:
        with pytest.raises(schema.SchemaError, match="newer tritium" if v == "2.0" else "older"):
            schema.check("report", doc, "r.json")
