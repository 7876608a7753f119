"""The simulators' one build layer (`tritium.sim.build`) and the one vector format.

The cache is exercised with a stand-in compiler (a Python function that
writes a "binary" from its inputs), so these tests take milliseconds; one
test repeats the corruption case with the real C-simulation build.
"""
from __future__ import annotations

import json

import numpy as np
import pytest

from tritium.errors import DatasetError, ModelError, ToolError
from tritium.passes import lower
from tritium.sim import build
from tritium.sim.vectors import INT32, Vectors, make_vectors, vectors_on_disk
from tritium.zoo.random_net import random_graph

INPUTS = {"src/a.cpp": b"int a;", "src/b.cpp": b"int b;", "rom/w.hex": b"01\n"}
TOOL = ("c++", "-O2")


@pytest.fixture(autouse=True)
def _cache(tmp_path, monkeypatch):
    monkeypatch.setenv(build.CACHE_ENV, str(tmp_path / "cache"))


class FakeCompiler:
    """Writes `bin` (the staged sources joined) and counts its runs."""

    def __init__(self, fail: bool = False):
        self.runs, self.fail = 0, fail

    def __call__(self, work, entry):
        self.runs += 1
        assert work.parent == entry.parent and work != entry  # builds happen beside the entry
        if self.fail:
            raise ToolError("compiler said no")
        (work / "bin").write_bytes(b"|".join((work / rel).read_bytes() for rel in sorted(INPUTS)))

    def build(self, inputs=INPUTS, tool=TOOL):
        return build.cached_build("test", inputs, tool, self, ["bin", "rom/w.hex"])


def test_cache_root_is_one_variable(tmp_path, monkeypatch):
    assert build.cache_root("csim") == tmp_path / "cache" / "csim"
    monkeypatch.delenv(build.CACHE_ENV)
    assert str(build.cache_root("rtl")).endswith(".cache/tritium/rtl")


def test_key_follows_sources_paths_and_flags_only():
    key = build.cache_key(INPUTS, TOOL)
    assert build.cache_key(dict(reversed(list(INPUTS.items()))), TOOL) == key   # order does not matter
    assert build.cache_key({**INPUTS, "src/a.cpp": b"int a ;"}, TOOL) != key     # a source's bytes
    assert build.cache_key({**INPUTS, "rom/w.hex": b"02\n"}, TOOL) != key        # a data file
    moved = {("src/c.cpp" if k == "src/a.cpp" else k): v for k, v in INPUTS.items()}
    assert build.cache_key(moved, TOOL) != key                                  # a path
    assert build.cache_key(INPUTS, ("c++", "-O1")) != key                        # a flag
    assert build.cache_key({**INPUTS, "src/extra.cpp": b""}, TOOL) != key        # an added file
    # The separators keep (path, bytes) pairs apart: moving a byte across the boundary changes the key.
    assert build.cache_key({"a": b"bc"}, TOOL) != build.cache_key({"ab": b"c"}, TOOL)


def test_a_hit_reuses_the_entry_without_compiling():
    cc = FakeCompiler()
    first = cc.build()
    assert not first.cached and cc.runs == 1
    assert (first.dir / "bin").read_bytes() == b"01\n|int a;|int b;"            # staged, then built
    assert first.dir.name == build.cache_key(INPUTS, TOOL)
    again = cc.build()
    assert again.cached and again.seconds == 0.0 and again.dir == first.dir and cc.runs == 1
    other = cc.build(tool=("c++", "-O1"))
    assert not other.cached and other.dir != first.dir and cc.runs == 2
    assert [p.name for p in first.dir.parent.iterdir() if p.name.startswith(".")] == []   # no leftovers


@pytest.mark.parametrize("damage", ["truncated", "changed", "missing", "unsealed", "bad seal", "moved"])
def test_a_damaged_entry_is_rebuilt_not_run(damage, tmp_path):
    cc = FakeCompiler()
    entry = cc.build().dir
    good = (entry / "bin").read_bytes()
    if damage == "truncated":          # e.g. a disk that filled up
        (entry / "bin").write_bytes(good[:-3])
    elif damage == "changed":
        (entry / "rom" / "w.hex").write_bytes(b"ff\n")
    elif damage == "missing":
        (entry / "bin").unlink()
    elif damage == "unsealed":         # what a build killed before its seal would look like
        (entry / build.SEAL).unlink()
    elif damage == "bad seal":
        (entry / build.SEAL).write_text("{\"key\": ")
    elif damage == "moved":            # binaries may name files of their entry by absolute path
        seal = json.loads((entry / build.SEAL).read_text())
        (entry / build.SEAL).write_text(json.dumps({**seal, "entry": str(tmp_path / "elsewhere")}))
    assert not build.is_sealed(entry, entry.name)
    again = cc.build()
    assert not again.cached and cc.runs == 2 and again.dir == entry
    assert (entry / "bin").read_bytes() == good and build.is_sealed(entry, entry.name)
    assert [p.name for p in entry.parent.iterdir() if p.name.startswith(".")] == []


def test_a_failed_build_leaves_nothing():
    with pytest.raises(ToolError, match="compiler said no"):
        FakeCompiler(fail=True).build()
    root = build.cache_root("test")
    assert list(root.iterdir()) == []


def test_a_build_without_its_products_is_refused():
    def nothing(work, entry):
        pass
    with pytest.raises(ToolError, match="did not produce bin"):
        build.cached_build("test", INPUTS, TOOL, nothing, ["bin"])
    assert list(build.cache_root("test").iterdir()) == []


def test_parallel_builds_of_one_key_agree():
    """Two processes build one key: the first rename wins and the other uses its entry."""
    other = FakeCompiler()

    def racing(work, entry):
        FakeCompiler()(work, entry)
        other.build()                     # meanwhile, another process finishes the same key
    first = build.cached_build("test", INPUTS, TOOL, racing, ["bin", "rom/w.hex"])
    assert other.runs == 1 and not first.cached and build.is_sealed(first.dir, first.dir.name)
    assert [p.name for p in first.dir.parent.iterdir()] == [first.dir.name]


def test_run_tool_names_the_failure(tmp_path):
    with pytest.raises(ToolError, match="the tool failed:\n.*boom"):
        build.run_tool(["sh", "-c", "echo boom >&2; exit 3"], "the tool failed", cwd=tmp_path)


def test_design_files_from_a_plan_a_folder_or_its_parent(tmp_path):
    from tritium.codegen.plan import write_plan
    plan = {"x/man.json": "{}", "x/src/a.c": "int a;", "x/notes.md": "skip", "y/other": "no"}
    write_plan(plan, tmp_path / "out")
    keep = lambda rel: not rel.endswith(".md")  # noqa: E731
    want = {"man.json": b"{}", "src/a.c": b"int a;"}
    for design in (plan, tmp_path / "out", tmp_path / "out" / "x"):
        assert build.design_files(design, "x", "man.json", keep, "X") == want
    with pytest.raises(ToolError, match="not a generated X design.*--backend x"):
        build.design_files(tmp_path, "x", "man.json", keep, "X")
    with pytest.raises(ToolError, match="no x/man.json"):
        build.design_files({"x/src/a.c": ""}, "x", "man.json", keep, "X")


# --------------------------------------------------------------------------- vectors

def small_vectors(n=5, seed=3):
    g = lower(random_graph(seed))
    x = np.random.default_rng(seed).normal(0, 1.5, (n,) + g.input.shape)
    return g, make_vectors(g, x, labels=np.arange(n) % 3)


def test_vector_files_round_trip(tmp_path):
    g, v = small_vectors()
    d = v.write(tmp_path / "vectors")
    assert sorted(p.name for p in d.iterdir()) == ["expected.bin", "input.bin", "meta.json"]
    back = Vectors.read(d)
    np.testing.assert_array_equal(back.x, v.x)
    np.testing.assert_array_equal(back.y, v.y)
    assert back.meta == v.meta and back.meta["labels"] == [0, 1, 2, 0, 1]
    # int32 little-endian, channels-last, vector after vector: what both testbenches read.
    raw = np.fromfile(d / "input.bin", INT32).reshape(v.x.shape)
    np.testing.assert_array_equal(raw, v.x)
    assert (d / "expected.bin").read_bytes() == np.asarray(v.y, "<i4").tobytes()
    assert {f"vectors/{p.name}": p.read_bytes() for p in d.iterdir()} == v.files()


def test_take_is_a_chunk_with_its_own_count(tmp_path):
    _, v = small_vectors()
    part = v.take(1, 4)
    assert part.n == part.meta["n"] == 3
    back = Vectors.read(part.write(tmp_path / "p"))
    np.testing.assert_array_equal(back.y, v.y[1:4])


def test_vectors_on_disk_uses_a_folder_in_place(tmp_path):
    _, v = small_vectors()
    d = v.write(tmp_path / "vectors")
    same, where = vectors_on_disk(d, tmp_path / "scratch")
    assert where == d and not (tmp_path / "scratch").exists()
    np.testing.assert_array_equal(same.y, v.y)
    (tmp_path / "scratch").mkdir()
    _, written = vectors_on_disk(v, tmp_path / "scratch")
    assert written.parent == tmp_path / "scratch" and Vectors.read(written).meta == v.meta


@pytest.mark.parametrize("damage", ["missing", "short"])
def test_incomplete_vectors_are_a_user_error(damage, tmp_path):
    _, v = small_vectors()
    d = v.write(tmp_path / "vectors")
    if damage == "missing":
        (d / "expected.bin").unlink()
    else:
        (d / "input.bin").write_bytes((d / "input.bin").read_bytes()[:-4])
    with pytest.raises(DatasetError, match="complete golden vectors.*compile the design again"):
        Vectors.read(d)


def test_vectors_of_another_model_are_refused():
    g, v = small_vectors(seed=3)
    v.check_model(g)
    other = lower(random_graph(8))
    assert other.input.shape != g.input.shape or other.output_node.shape != g.output_node.shape
    with pytest.raises(ModelError, match="do not belong"):
        v.check_model(other)
