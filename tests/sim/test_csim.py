"""C-simulation (L2) equals the golden model (L1) on every output of every vector."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tritium.board import load_board
from tritium.codegen.hls import generate_hls
from tritium.codegen.plan import write_plan
from tritium.errors import ModelError, ToolError
from tritium.passes import lower
from tritium.schedule import Granularity, schedule_network
from tritium.zoo.random_net import random_graph
from tritium.sim.csim import build_csim, run_csim
from tritium.sim.vectors import make_vectors

BOARD = load_board("pynq-z2")


@pytest.fixture(autouse=True)
def _cache(tmp_path_factory, monkeypatch):
    monkeypatch.setenv("TRITIUM_CACHE", str(tmp_path_factory.getbasetemp() / "cache"))


def compile_graph(g, n=256, seed=0, board=BOARD, **sched):
    s = schedule_network(g, board, **sched)
    x = np.random.default_rng(seed).normal(0, 1.5, (n,) + g.input.shape)
    v = make_vectors(g, x)
    return generate_hls(g, s, part=board.part, clock_mhz=board.clock_mhz, vectors=v), v


def assert_exact(result, v):
    assert result.first_mismatch is None, str(result.first_mismatch)
    assert result.mismatches == 0 and result.outputs.shape == v.y.shape
    np.testing.assert_array_equal(result.outputs, v.y)


@pytest.mark.parametrize("seed", [1, 4, 6, 13, 17, 31])
def test_random_networks_256_vectors(seed):
    g = lower(random_graph(seed))
    plan, v = compile_graph(g, n=256, seed=seed)
    assert_exact(run_csim(plan, v), v)


@settings(max_examples=6, deadline=None, suppress_health_check=list(HealthCheck))
@given(seed=st.integers(100, 10_000), pe=st.sampled_from([None, 1]),
       gran=st.sampled_from(list(Granularity)))
def test_random_networks_hypothesis(seed, pe, gran):
    g = lower(random_graph(seed, max_blocks=5))
    sched = {"granularity": gran}
    if pe is not None:
        sched["pe"] = pe
    plan, v = compile_graph(g, n=64, seed=seed, **sched)
    assert_exact(run_csim(plan, v), v)


def test_resnet8_256_vectors():
    from tritium.frontend import load_model
    g = lower(load_model("zoo:resnet8"))
    assert any(n.op.value == "add" for n in g.nodes)
    plan, v = compile_graph(g, n=256, board=load_board("zcu104"))
    assert_exact(run_csim(plan, v), v)


@pytest.mark.slow
def test_cnn_digits_256_vectors():
    """The shipped QONNX file if present, else the same model trained in memory (needs torch)."""
    from tritium.frontend import load_model
    try:
        g = load_model("zoo:cnn-digits")
    except ModelError:
        pytest.importorskip("torch")
        from tritium.zoo.digits import train_digits_model
        g = train_digits_model("cnn-digits")[1]
    g = lower(g)
    assert {n.attrs.weights.kind.value for n in g.macs()} == {"int", "ternary"}
    plan, v = compile_graph(g, n=256)
    assert_exact(run_csim(plan, v), v)


# AMD's ap_int.h/hls_stream.h (the `amd_headers` fixture): the same sources, testbench
# and vectors, built against the vendor's types instead of the stand-in, exact everywhere.

@pytest.mark.parametrize("model,board", [("zoo:cnn-digits", "pynq-z2"), ("zoo:mlp-digits", "pynq-z2"),
                                         ("zoo:resnet8", "zcu104")])
def test_zoo_designs_with_amd_headers_64_vectors(model, board, amd_headers):
    from tritium.frontend import load_model
    plan, v = compile_graph(lower(load_model(model)), n=64, board=load_board(board))
    r = run_csim(plan, v, hls_include=amd_headers)
    assert_exact(r, v)
    assert r.headers is not None and r.headers.dir == amd_headers
    assert run_csim(plan, v).binary != r.binary                    # the stand-in is a build of its own


@settings(max_examples=4, deadline=None, suppress_health_check=list(HealthCheck))
@given(seed=st.integers(100, 10_000), gran=st.sampled_from(list(Granularity)))
def test_random_networks_with_amd_headers(seed, gran, amd_headers):
    g = lower(random_graph(seed, max_blocks=5))
    plan, v = compile_graph(g, n=32, seed=seed, granularity=gran)
    assert_exact(run_csim(plan, v, hls_include=amd_headers), v)


def test_mismatch_diagnosis_with_amd_headers(amd_headers):
    g = lower(random_graph(12))
    plan, v = compile_graph(g, n=8)
    y = v.y.copy()
    y[3].reshape(-1)[0] += 1
    r = run_csim(plan, type(v)(v.x, y, v.meta), graph=g, hls_include=amd_headers)
    assert r.mismatches == 1 and r.first_mismatch.vector == 3
    assert r.trace_binary is not None and r.first_mismatch.traced is False   # only the expected file differs


def test_project_directory_and_cache(tmp_path):
    g = lower(random_graph(9))
    plan, v = compile_graph(g, n=32)
    write_plan({**plan, **v.files()}, tmp_path / "out")
    first = run_csim(tmp_path / "out" / "hls")          # vectors found beside hls/
    assert_exact(first, v)
    again = run_csim(plan, v)                           # same sources: same binary, cached
    assert again.cached and again.build_seconds == 0.0 and again.binary == first.binary


def test_a_damaged_cached_binary_is_rebuilt(tmp_path):
    g = lower(random_graph(9))
    plan, v = compile_graph(g, n=8)
    first = run_csim(plan, v)
    first.binary.write_bytes(first.binary.read_bytes()[:1000])    # e.g. a disk that filled up
    again = run_csim(plan, v)
    assert not again.cached and again.binary == first.binary
    assert_exact(again, v)


def test_jobs_run_contiguous_chunks_of_one_binary_and_merge_in_order():
    g = lower(random_graph(9))
    plan, v = compile_graph(g, n=37)
    one = run_csim(plan, v)
    three = run_csim(plan, v, jobs=3)
    assert_exact(three, v)
    assert three.cached and three.binary == one.binary             # one build, several processes
    np.testing.assert_array_equal(three.outputs, one.outputs)
    assert_exact(run_csim(plan, v, jobs=100), v)                   # more jobs than vectors
    y = v.y.copy()
    y[36].reshape(-1)[0] += 1                                      # in the last chunk
    y[13].reshape(-1)[1] -= 1                                      # in the second
    r = run_csim(plan, type(v)(v.x, y, v.meta), jobs=4)
    assert r.mismatches == 2 and r.mismatched_vectors == 2
    assert (r.first_mismatch.vector, r.first_mismatch.index) == (13, 1)


def test_build_flags_and_cache_key_follow_the_target(monkeypatch):
    from tritium.sim import csim
    from tritium.sim.build import cache_key
    flags, target = csim.build_flags("g++")
    assert flags[:len(csim.CXXFLAGS)] == csim.CXXFLAGS
    assert ("-march=native" in flags) == bool(target)              # the flag iff the compiler takes it
    assert csim.build_tool("g++") == ("g++", *flags, target)
    files = {"src/a.cpp": b"int x;", csim.MANIFEST: b"{}"}
    assert cache_key(files, ("g++", *flags, target)) != cache_key(files, ("g++", *flags, target + "x"))
    assert cache_key(files, csim.build_tool("g++")) != cache_key(files, csim.build_tool("g++", trace=True))
    monkeypatch.setitem(csim._TARGETS, ("/bin/false", csim.NATIVE_FLAGS), None)
    assert "-march=native" not in csim.build_flags("/bin/false")[0]   # a compiler without the flag


def test_mismatch_is_reported_precisely(tmp_path):
    g = lower(random_graph(12))
    plan, v = compile_graph(g, n=16)
    y = v.y.copy()
    y[5].reshape(-1)[3] += 1
    y[9].reshape(-1)[0] -= 2
    bad = type(v)(v.x, y, v.meta)
    r = run_csim(plan, bad)
    assert r.mismatches == 2 and r.mismatched_vectors == 2
    m = r.first_mismatch
    assert (m.vector, m.index, m.expected, m.got) == (5, 3, int(y[5].reshape(-1)[3]), int(v.y[5].reshape(-1)[3]))
    assert m.channel == 3 % g.output_node.shape[-1] and m.layer == g.output


def test_missing_compiler_is_a_tool_error(monkeypatch):
    g = lower(random_graph(2))
    plan, _ = compile_graph(g, n=4)
    monkeypatch.setenv("TRITIUM_CXX", "/nonexistent/g++")
    with pytest.raises(ToolError, match="TRITIUM_CXX"):
        build_csim(plan)
