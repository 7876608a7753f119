import pytest

from tritium.codegen.names import RESERVED, Namer
from tritium.codegen.plan import write_plan


def test_write_plan_keeps_other_files_and_replaces(tmp_path):
    out = tmp_path / "o"
    write_plan({"a.txt": b"1", "sub/b.txt": "2"}, out)
    (out / "keep.txt").write_text("k")
    write_plan({"a.txt": b"3"}, out)
    assert (out / "a.txt").read_bytes() == b"3" and (out / "keep.txt").read_text() == "k"
    assert (out / "sub" / "b.txt").read_bytes() == b"2"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["o"]  # no temp dirs left


def test_replace_dirs_drops_stale_files(tmp_path):
    write_plan({"hls/a.cpp": "x", "hls/old.cpp": "y", "report.json": "{}"}, tmp_path / "o")
    write_plan({"hls/a.cpp": "z"}, tmp_path / "o", replace_dirs=("hls",))
    assert sorted(p.name for p in (tmp_path / "o" / "hls").iterdir()) == ["a.cpp"]
    assert (tmp_path / "o" / "report.json").exists()


def test_failed_write_leaves_outdir_untouched(tmp_path):
    out = tmp_path / "o"
    write_plan({"a.txt": "before"}, out)
    with pytest.raises(TypeError):
        write_plan({"a.txt": "after", "b.txt": 42}, out)  # 42 is not text or bytes
    assert (out / "a.txt").read_text() == "before" and not (out / "b.txt").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["o"]


def test_namer_makes_safe_unique_identifiers():
    n = Namer()
    evil = ['conv "1"', "conv 1", "x; rm -rf /", "#define", "module", "always_ff", "class", "proc",
            "9lives", "", "ap_clk", "in"]
    ids = [n(e) for e in evil]
    assert len(set(ids)) == len(ids)
    for i in ids:
        assert i.isidentifier() and i[0].isalpha() and i not in RESERVED
        assert all(c.isalnum() or c == "_" for c in i) and not i.startswith("ap_")
    assert n('conv "1"') == ids[0]  # stable
