"""docs/api.md is true: its python blocks run, in order, in one namespace.

The first block is issue 11's example as written: it compresses with the
full training schedule and C-simulates all 360 images, about 20 s here with
warm build caches, so it stays in the default tier. The worked example after
it exercises every function with small settings.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest

DOC = Path(__file__).resolve().parents[2] / "docs" / "api.md"


def blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", DOC.read_text(), re.S)


def test_doc_has_the_issue_example_first():
    first = blocks()[0]
    assert 'tritium.load("zoo:cnn-digits")' in first and "tritium.compare(" in first


def test_issue_example_runs(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    ns: dict = {}
    exec(compile(blocks()[0], f"{DOC}:block1", "exec"), ns)
    assert ns["r"].mismatches == 0 and ns["r"].n == 360
    assert (tmp_path / "out" / "d" / "hls").is_dir() and (tmp_path / "out" / "u" / "report.json").is_file()


def test_worked_example_runs(tmp_path, monkeypatch):
    pytest.importorskip("torch")
    monkeypatch.chdir(tmp_path)
    ns: dict = {}
    for k, code in enumerate(blocks()[1:], 2):
        exec(compile(code, f"{DOC}:block{k}", "exec"), ns)
    assert (tmp_path / "out" / "small.compress.json").is_file()
    assert (tmp_path / "out" / "cmp.html").is_file()
