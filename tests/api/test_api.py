"""The Python API (`tritium.api`): what the CLI is a layer over."""
from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

import tritium
from tritium.cli import main
from tritium.errors import ModelError, OptionError, TritiumError


def test_import_is_light():
    code = ("import sys, tritium; tritium.Report; "
            "heavy = [m for m in ('torch', 'sklearn', 'matplotlib', 'tritium.sim.csim', 'tritium.codegen.hls') "
            "if m in sys.modules]; print(heavy)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_public_names_have_docstrings():
    for name in ("load", "compile", "simulate", "compare", "open_design", "Model", "Design",
                 "SimResult", "Report"):
        assert getattr(tritium, name).__doc__, name
    assert tritium.compress is tritium.api.compress and tritium.compress.__doc__


def test_compile_in_memory_equals_the_cli(tmp_path):
    d = tritium.compile("zoo:mlp-digits", board="pynq-z2", backend="all")
    assert d.outdir is None and d.backends == ("hls", "rtl")
    assert main(["compile", "zoo:mlp-digits", "--board", "pynq-z2", "--backend", "all",
                 "-o", str(tmp_path / "cli"), "--quiet"]) == 0
    for rel, data in d.plan.items():
        assert (tmp_path / "cli" / rel).read_bytes() == data, rel
    assert d.report.to_json() == json.loads((tmp_path / "cli" / "report.json").read_text())


def test_simulate_from_memory_and_from_outdir(tmp_path):
    d = tritium.compile("zoo:mlp-digits", board="pynq-z2", backend="hls")
    mem = d.simulate("csim", limit=24)
    assert mem.n == 24 and mem.mismatches == 0 and mem.accuracy == mem.golden_accuracy
    d.write(tmp_path / "a" / "d")                            # missing parents are made
    disk = tritium.simulate(tmp_path / "a" / "d", "csim", limit=24)
    assert np.array_equal(disk.outputs, mem.outputs)
    golden = tritium.simulate(tmp_path / "a" / "d", "golden", limit=24)
    assert np.array_equal(golden.outputs, mem.outputs) and golden.float_agreement is not None
    assert set(golden.to_json()) == {"schema_version", "level", "model", "dataset", "n", "accuracy",
                                     "mismatches", "clamped_inputs", "float_accuracy", "float_agreement"}


def test_torch_module_compiles():
    torch = pytest.importorskip("torch")
    from tritium.compression.modules import IntConv2d, IntLinear, QuantAct  # noqa: F401
    from tritium.zoo.digits import build_digits_model
    net = build_digits_model("cnn-digits", 0).eval()
    with torch.no_grad():
        net(torch.zeros(4, 1, 8, 8))
    d = tritium.compile(net, input_shape=(1, 8, 8), board="pynq-z2")
    assert [l.name for l in d.report.layers] and d.report.network.fps > 0
    assert d.model.name == type(net).__name__
    plain = torch.nn.Sequential(torch.nn.Conv2d(1, 4, 3, padding=1), torch.nn.ReLU(), torch.nn.Flatten(),
                                torch.nn.Linear(4 * 8 * 8, 10))
    x = np.random.default_rng(0).normal(size=(32, 1, 8, 8)).astype(np.float32)
    with pytest.raises(TritiumError, match="calibrate=DATA"):
        tritium.compile(plain, input_shape=(1, 8, 8), board="pynq-z2")
    f = tritium.compile(plain, input_shape=(1, 8, 8), weights="int8", calibrate=x, board="pynq-z2")
    assert [l.name for l in f.report.layers] == [n.name for n in f.model.graph.macs()]


def test_errors_name_the_fix(tmp_path):
    with pytest.raises(OptionError, match="hls, rtl or all"):
        tritium.compile("zoo:mlp-digits", board="pynq-z2", backend="vhdl")
    d = tritium.compile("zoo:mlp-digits", board="pynq-z2")
    with pytest.raises(OptionError, match="backend='hls'"):
        d.simulate("csim")
    with pytest.raises(OptionError, match="compiled design"):
        tritium.simulate("zoo:mlp-digits", "rtl")
    with pytest.raises(OptionError, match="input_shape"):
        torch = pytest.importorskip("torch")
        tritium.load(torch.nn.Linear(4, 2))
    with pytest.raises(TritiumError, match="unknown option"):
        tritium.compress("zoo:mlp-digits", group_size=4, epochs=3)


def test_newer_schema_is_refused(tmp_path):
    out = tmp_path / "d"
    tritium.compile("zoo:mlp-digits", board="pynq-z2", backend="hls", outdir=out)
    rep = json.loads((out / "report.json").read_text())
    with pytest.raises(ModelError, match=r"newer tritium \(schema 2.x.*upgrade tritium"):
        tritium.Report.from_json({**rep, "schema_version": "2.0"})
    assert tritium.Report.from_json({**rep, "schema_version": "1.7", "new": 1}).model == rep["model"]
    meta = json.loads((out / "compile.json").read_text())
    (out / "compile.json").write_text(json.dumps({**meta, "schema_version": "3.1"}))
    with pytest.raises(ModelError, match="schema 3.x"):
        tritium.open_design(out)
    assert main(["simulate", str(out), "--level", "csim", "--limit", "2"]) == 2
    with pytest.raises(ModelError, match="upgrade tritium"):
        tritium.load(out)
    bare = tritium.open_design(tritium.compile("zoo:mlp-digits", board="pynq-z2", outdir=tmp_path / "b").outdir)
    with pytest.raises(ModelError, match="without a backend"):
        bare.simulate("golden")


def test_compare_reports_designs_and_paths(tmp_path):
    a = tritium.compile("zoo:mlp-digits", board="pynq-z2", outdir=tmp_path / "a")
    b = tritium.compile("zoo:mlp-digits", board="zcu104")
    c = tritium.compare([a, b.report, tmp_path / "a" / "report.json"], html=tmp_path / "c.html")
    rows = dict(c.rows)
    assert rows["board"] == ("pynq-z2", "zcu104", "pynq-z2")
    assert c.differs("board") == [False, True, False]
    assert "class='l diff'" in (tmp_path / "c.html").read_text()
    with pytest.raises(OptionError, match="two or more"):
        tritium.compare([a])


def test_simulate_counts_inputs_the_input_quantizer_clamps(tmp_path, capsys):
    from tritium.data import Dataset
    x = np.full((6, 64), 3.0, np.float32)
    x[1, 5], x[4, 0] = 300.0, -2.0              # mlp-digits quantizes its input to u8 with scale 1
    r = tritium.simulate("zoo:mlp-digits", dataset=Dataset("wide", x, np.zeros(6, np.int64)))
    assert r.clamped_inputs == 2 and r.to_json()["clamped_inputs"] == 2
    np.savez(tmp_path / "wide.npz", x=x, y=np.zeros(6, np.int64))
    assert main(["simulate", "zoo:mlp-digits", "--dataset", str(tmp_path / "wide.npz")]) == 0
    assert "2 of 6 inputs hold values outside the input quantizer's range" in capsys.readouterr().out
