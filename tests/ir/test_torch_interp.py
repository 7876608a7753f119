import numpy as np
import pytest

torch = pytest.importorskip("torch")

from tritium.ir.interp import run_float  # noqa: E402
from tritium.ir.torch_interp import GraphModule  # noqa: E402
from tritium.zoo.random_net import random_graph  # noqa: E402


@pytest.mark.parametrize("seed", range(12))
def test_torch_view_matches_numpy_float_reference(seed):
    g = random_graph(seed)
    x = np.random.default_rng(seed).normal(size=(16,) + g.input.shape)
    m = GraphModule(g)
    m.params = {k: (w.double(), None if b is None else b.double()) for k, (w, b) in m.params.items()}
    out = m(torch.tensor(x.transpose(0, 3, 1, 2))).numpy()
    ref = run_float(g, x)
    assert np.abs(out - ref).max() < 1e-6
