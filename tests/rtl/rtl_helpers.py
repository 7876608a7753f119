"""Small networks for the RTL tests: a lowered random graph, its schedule and vectors."""
from __future__ import annotations

import numpy as np

from tritium.board import load_board
from tritium.passes import lower
from tritium.schedule import schedule_network
from tritium.zoo.random_net import random_graph
from tritium.sim.vectors import make_vectors


def small_net(seed: int, simd: int = 4, n: int = 6):
    g = lower(random_graph(seed))
    s = schedule_network(g, load_board("pynq-z2"), simd=simd)
    x = np.random.default_rng(seed).normal(0, 1, (n,) + g.input.shape)
    return g, s, make_vectors(g, x)
