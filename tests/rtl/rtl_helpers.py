"""Small networks for the RTL tests: a lowered random graph, its schedule and vectors
(lowered and scheduled by `tritium.compile`, as a user's model is)."""
from __future__ import annotations

import numpy as np

import tritium
from tritium.zoo.random_net import random_graph
from tritium.sim.vectors import make_vectors


def small_net(seed: int, simd: int = 4, n: int = 6):
    design = tritium.compile(random_graph(seed), board="pynq-z2", simd=simd)
    g = design.model.graph
    x = np.random.default_rng(seed).normal(0, 1, (n,) + g.input.shape)
    return g, design.schedule, make_vectors(g, x)
