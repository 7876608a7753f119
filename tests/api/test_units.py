"""Every JSON Tritium writes agrees on units: accuracies are fractions in 0..1,
the same quantity has the same key name, and every document has a schema_version.

Reads `simulate --json`, a compress summary (the shipped one of
zoo:cnn-digits-32x and a fresh one) and report.json.
"""
from __future__ import annotations

import json

import pytest

from tritium import schema
from tritium.cli import main
from tritium.zoo import WEIGHTS_DIR


def _accuracies(doc, path=""):
    """(key path, value) of every key naming an accuracy, at any depth."""
    if isinstance(doc, dict):
        for k, v in doc.items():
            if "accuracy" in k and not isinstance(v, (dict, list)):
                yield f"{path}{k}", v
            yield from _accuracies(v, f"{path}{k}.")
    elif isinstance(doc, list):
        for i, v in enumerate(doc):
            yield from _accuracies(v, f"{path}{i}.")


def _fractions(doc) -> dict:
    found = dict(_accuracies(doc))
    assert all(v is None or 0.0 <= v <= 1.0 for v in found.values()), found
    return found


def _json(capsys, argv) -> dict:
    main(argv)
    return json.loads(capsys.readouterr().out)


def test_simulate_compress_and_report_agree(tmp_path, capsys):
    sim = _json(capsys, ["simulate", "zoo:cnn-digits-32x", "--level", "golden", "--json"])
    shipped = json.loads((WEIGHTS_DIR / "cnn-digits-32x.compress.json").read_text())
    assert main(["compile", "zoo:cnn-digits-32x", "--board", "pynq-z2", "-o", str(tmp_path / "d"),
                 "--quiet"]) == 0
    report = json.loads((tmp_path / "d" / "report.json").read_text())
    compiled = json.loads((tmp_path / "d" / "compile.json").read_text())
    for kind, doc in (("simulate", sim), ("compress", shipped), ("report", report), ("compile", compiled)):
        assert schema.check(kind, doc, kind) is doc
    assert {"accuracy", "float_accuracy"} <= set(_fractions(sim))
    assert {"float_accuracy", "compressed_accuracy", "golden_accuracy"} <= set(_fractions(shipped))
    _fractions(report)
    # the same quantity under the same name: the golden model of the compressed model on the
    # digits test split, measured by compress when it wrote the model and by simulate now
    assert shipped["golden_accuracy"] == pytest.approx(sim["accuracy"], abs=1e-9)
    # the L0 (fake-quant float) view of that model: compress's compressed_accuracy (torch)
    # and simulate's float_accuracy (numpy) may differ by one image on a float tie
    assert abs(shipped["compressed_accuracy"] - sim["float_accuracy"]) <= 1 / 360 + 1e-6


def test_fresh_compress_writes_fractions(tmp_path, capsys):
    pytest.importorskip("torch")
    out = tmp_path / "m.onnx"
    assert main(["compress", "zoo:mlp-digits", "--group-size", "4", "--teacher-epochs", "2",
                 "--reg-epochs", "1", "--finetune-epochs", "2", "--rates", "0,0.5,0.75",
                 "-o", str(out)]) == 0
    capsys.readouterr()
    doc = json.loads((tmp_path / "m.compress.json").read_text())
    assert schema.check("compress", doc, "m.compress.json") is doc
    acc = _fractions(doc)
    assert len([k for k in acc if k.startswith("sweep.")]) == 3
    sim = _json(capsys, ["simulate", str(out), "--level", "golden", "--json"])
    assert doc["golden_accuracy"] == pytest.approx(sim["accuracy"], abs=1e-9)


def test_other_json_outputs_are_versioned(capsys):
    for argv, kind in ((["boards", "--json"], "boards"), (["inspect", "zoo:mlp-digits", "--json"], "inspect")):
        doc = _json(capsys, argv)
        assert schema.check(kind, doc, kind) is doc
