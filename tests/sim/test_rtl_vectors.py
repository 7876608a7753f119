"""The RTL testbench reads the golden vectors' own files, as the C-simulation does.

`compile --backend rtl` writes no copy of the vectors into `rtl/`; `tb_top.sv`
packs each pixel's int32 codes into a beat itself. These tests run a written
design from its `vectors/` folder (read in place) and from memory, and check
that vectors which do not fit the design are refused before anything hangs.
"""
from __future__ import annotations

import numpy as np
import pytest

from tritium.board import load_board
from tritium.codegen.plan import write_plan
from tritium.codegen.rtl import generate_rtl
from tritium.errors import ModelError, ToolError
from tritium.passes import lower
from tritium.schedule import schedule_network
from tritium.sim.vectors import make_vectors
from tritium.zoo.random_net import random_graph

pytestmark = pytest.mark.slow


def run(*args, **kw):
    from tritium.sim.rtl import run_rtl
    try:
        return run_rtl(*args, **kw)
    except ToolError as e:
        if "not found" in str(e):
            pytest.skip(str(e))
        raise


def test_outdir_vectors_are_read_in_place(tmp_path):
    g = lower(random_graph(4))
    assert g.input.shape[-1] > 1                     # several codes packed per input beat
    s = schedule_network(g, load_board("pynq-z2"))
    v = make_vectors(g, np.random.default_rng(4).normal(0, 1.5, (5,) + g.input.shape))
    plan = generate_rtl(g, s, vectors=v)
    write_plan({**plan, **v.files()}, tmp_path / "out")
    from_disk = run(tmp_path / "out" / "rtl", tmp_path / "out" / "vectors", gaps=False, backpressure=False)
    assert from_disk.mismatches == 0 and from_disk.tlast_errors == 0, from_disk.first_mismatch
    np.testing.assert_array_equal(from_disk.outputs, v.y)
    from_memory = run(plan, v, gaps=False, backpressure=False)
    assert from_memory.total_cycles == from_disk.total_cycles
    assert from_disk.cycles_per_frame == from_disk.model_cycles_per_frame
    bad = type(v)(v.x, v.y.copy(), v.meta)
    bad.y.reshape(-1)[7] += 1
    r = run(plan, bad, gaps=False, backpressure=False)
    assert r.mismatches == 1 and r.first_mismatch["vector"] == 7 // int(np.prod(v.y.shape[1:]))


def test_vectors_of_another_design_are_refused():
    g, other = lower(random_graph(4)), lower(random_graph(8))
    plan = generate_rtl(g, schedule_network(g, load_board("pynq-z2")))
    v = make_vectors(other, np.zeros((2,) + other.input.shape))
    with pytest.raises(ModelError, match="do not belong to the RTL design"):
        run(plan, v)
