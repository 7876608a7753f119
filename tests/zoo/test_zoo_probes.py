"""The generated probe nets of bench/synth_vs_estimate.py: what they must contain, cheaply."""
from __future__ import annotations

import numpy as np

from tritium.frontend import load_model
from tritium.ir.interp import run_golden
from tritium.ir.ops import Op
from tritium.ir.verify import verify
from tritium.passes import lower
from tritium.zoo.generated import probe_a, probe_b


def test_probes_hold_a_residual_add_a_stride_2_conv_and_a_5x5_kernel():
    a, b = verify(probe_a()), verify(probe_b())
    convs = [n for g in (a, b) for n in g.macs() if n.op is Op.CONV2D]
    assert any(n.op is Op.ADD for n in a.nodes)
    assert any(n.attrs.stride == (2, 2) and n.attrs.kernel == (3, 3) for n in convs)
    assert any(n.attrs.stride == (2, 2) and n.attrs.kernel == (5, 5) for n in convs)
    assert a.input.shape == b.input.shape == (16, 16, 3)
    assert a.output_node.shape == b.output_node.shape == (10,)


def test_probes_are_fixed_by_their_seed_and_reachable_from_the_zoo():
    assert load_model("zoo:probe-a:seed=1") == probe_a(seed=1) == probe_a()
    assert load_model("zoo:probe-b:seed=2") == probe_b(seed=2) == probe_b()
    assert probe_a(seed=3) != probe_a()


def test_probes_lower_and_run():
    x = np.random.default_rng(0).normal(size=(2, 16, 16, 3))
    for g in (probe_a(), probe_b()):
        assert run_golden(lower(g), x).shape == (2, 10)
