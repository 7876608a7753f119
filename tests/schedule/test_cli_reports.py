"""`tritium compile`, `compare`, `boards` and the reports they write."""
from __future__ import annotations

import json

import pytest

from tritium.cli import main
from tritium.schedule import NetworkSchedule

MODEL = "zoo:resnet8:density=0.25"

LAYER_KEYS = {"name", "op", "P", "S", "groups_total", "groups_nonzero", "cycles", "lower_bound",
              "dense_cycles", "utilisation", "lut", "ff", "bram18", "dsp"}
NETWORK_KEYS = {"fps", "latency_cycles", "bottleneck_layer", "lut", "ff", "bram18", "dsp", "board",
                "clock_mhz"}


@pytest.fixture(scope="module")
def compiled(tmp_path_factory):
    root = tmp_path_factory.mktemp("c")
    assert main(["compile", MODEL, "--board", "zcu102", "-o", str(root / "a"), "--quiet"]) == 0
    assert main(["compile", MODEL, "--board", "zcu102", "-o", str(root / "b"), "--quiet"]) == 0
    assert main(["compile", MODEL, "--board", "kv260", "-o", str(root / "t"), "--quiet",
                 "--granularity", "tile", "--pe", "4"]) == 0
    return root


def test_outputs_byte_identical(compiled):
    for name in ("schedule.json", "report.json", "report.html"):
        assert (compiled / "a" / name).read_bytes() == (compiled / "b" / name).read_bytes()


def test_report_schema(compiled):
    rep = json.loads((compiled / "a" / "report.json").read_text())
    assert rep["schema_version"] == "1.2"
    assert NETWORK_KEYS <= set(rep["network"])
    assert rep["layers"] and all(LAYER_KEYS <= set(l) for l in rep["layers"])
    assert rep["network"]["board"] == "zcu102" and rep["network"]["clock_mhz"] == 200.0
    html = (compiled / "a" / "report.html").read_text()
    assert html.count("<svg") == 4 and "PE utilisation" in html


def test_schedule_json_loads(compiled):
    net = NetworkSchedule.from_json(json.loads((compiled / "a" / "schedule.json").read_text()))
    rep = json.loads((compiled / "a" / "report.json").read_text())
    assert [l.name for l in net.layers] == [l["name"] for l in rep["layers"]]
    assert [l.cycles for l in net.layers] == [l["cycles"] for l in rep["layers"]]
    tile = NetworkSchedule.from_json(json.loads((compiled / "t" / "schedule.json").read_text()))
    assert tile.granularity.value == "tile" and max(l.pe for l in tile.layers) == 4


def test_compare(compiled, capsys):
    out = compiled / "cmp.html"
    assert main(["compare", str(compiled / "a" / "report.json"), str(compiled / "t" / "report.json"),
                 "--html", str(out)]) == 0
    text = capsys.readouterr().out
    assert "kv260" in text and "zcu102" in text
    assert "class='l diff'" in out.read_text()  # the board row differs


def test_boards_lists_all(capsys):
    assert main(["boards", "--json"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["schema_version"] == "1.0"
    assert d["boards"]["zcu102"]["bram18"] == 1824 and len(d["boards"]) == 7


@pytest.mark.parametrize("argv,msg", [
    (["--board", "zcu12"], "unknown board 'zcu12'; did you mean 'zcu102'?"),
    (["--board", "zcu102", "--simd", "12"], "not a power of two"),
    (["--board", "zcu102", "--pe", "0"], "must be an integer >= 1"),
    (["--board", "pynq-z2", "--pe", "64"], "does not fit pynq-z2"),
])
def test_errors_exit_2_with_fix(tmp_path, capsys, argv, msg):
    assert main(["compile", MODEL, "-o", str(tmp_path / "o"), "--quiet", *argv]) == 2
    assert msg in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


def test_compare_needs_two(tmp_path, capsys):
    assert main(["compare", str(tmp_path / "x.json")]) == 2
