"""Small networks for the RTL tests: a lowered random graph, its schedule and vectors."""
from __future__ import annotations

import numpy as np

from compiler.board import load_board
from compiler.passes import lower
from compiler.schedule import schedule_network
from compiler.zoo.random_net import random_graph
from sim.vectors import make_vectors


def small_net(seed: int, simd: int = 4, n: int = 6):
    g = lower(random_graph(seed))
    s = schedule_network(g, load_board("pynq-z2"), simd=simd)
    x = np.random.default_rng(seed).normal(0, 1, (n,) + g.input.shape)
    return g, s, make_vectors(g, x)
