"""The compile summary stays readable when stdout is not a terminal (a pipe, CI logs):
every layer on one line with its name and numbers intact, nothing cut to "co…"."""
from __future__ import annotations

import json
import os
import subprocess
import sys


def test_piped_summary_has_whole_names_and_numbers(tmp_path):
    out = tmp_path / "X"
    env = {**os.environ, "COLUMNS": "80", "TERM": "xterm"}
    p = subprocess.run([sys.executable, "-m", "tritium", "compile", "zoo:cnn-digits", "--board", "pynq-z2",
                        "-o", str(out)], capture_output=True, text=True, env=env, check=True)
    text = p.stdout
    assert "…" not in text and "\x1b[" not in text, text
    lines = text.splitlines()
    rep = json.loads((out / "report.json").read_text())
    for layer in rep["layers"]:
        line = next(l for l in lines if l.split()[:2] in (["*", layer["name"]], [layer["name"], layer["lane_axis"]]))
        for value in (f"{layer['cycles']:,}", f"{layer['lut']:,}", str(layer["P"]), layer["weight_memory"]):
            assert value in line.split(), (value, line)
    assert f"{rep['network']['fps']:,.1f} fps" in text
    assert any(l.startswith("wrote ") for l in lines)


def test_other_tables_keep_whole_cells_when_piped():
    env = {**os.environ, "COLUMNS": "80"}
    for argv, whole in ((["inspect", "zoo:cnn-digits"], ["requant err (lsb)", "294,912", "ternary"]),
                        (["boards"], ["xcu250-figd2104-2L-e", "alveo-u250"])):
        text = subprocess.run([sys.executable, "-m", "tritium", *argv], capture_output=True, text=True,
                              env=env, check=True).stdout
        assert "…" not in text and all(w in text for w in whole), text
