"""`tritium synth` user errors (exit 2, the fix in the message)."""
import json

from tritium.cli import main


def test_missing_rtl_dir(tmp_path, capsys):
    assert main(["synth", str(tmp_path), "--family", "xc7"]) == 2
    err = capsys.readouterr().err
    assert "rtl does not exist" in err and "--backend rtl" in err


def test_unknown_family(tmp_path, capsys):
    assert main(["synth", str(tmp_path), "--family", "virtex2"]) == 2
    assert "unknown family 'virtex2'; use one of xc7, xcup, ecp5" in capsys.readouterr().err


def test_family_needs_compile_json(tmp_path, capsys):
    assert main(["synth", str(tmp_path)]) == 2
    assert "pass --family" in capsys.readouterr().err


def test_yosys_failure_shows_log_tail(tmp_path, capsys):
    rtl = tmp_path / "rtl"
    rtl.mkdir()
    (rtl / "filelist.f").write_text("tritium_top.sv\n")
    bad = "module tritium_top(input wire a);\n  assign b = ;\nendmodule\n"
    (rtl / "tritium_top.sv").write_text(bad)
    (tmp_path / "compile.json").write_text(json.dumps({"board": "pynq-z2"}))
    assert main(["synth", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "yosys failed on tritium_top for xc7" in err and "tritium_top.sv" in err
    assert not (tmp_path / "synth.json").exists()
