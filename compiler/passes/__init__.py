"""Passes over the IR. The pipeline is one readable list; the verifier runs
after every pass, and a failure names the pass and those that ran before it.
"""
from __future__ import annotations

from typing import Callable

import numpy as np

from ..ir.graph import Graph
from ..ir.ops import Stage
from ..ir.verify import VerifyError, verify
from .dce import dce
from .fold_affine import fold_affine
from .fold_batchnorm import fold_batchnorm
from .flatten_input import flatten_input
from .lower_integer import lower_integer
from .place_quantizers import missing_quantizers, place_quantizers
from .quantize_weights import quantize_weights
from .sink_flatten import sink_flatten

Pass = Callable[[Graph], Graph]


def run_passes(g: Graph, passes: list[tuple[str, Pass]]) -> Graph:
    verify(g)
    done: list[str] = []
    for name, p in passes:
        g = p(g)
        try:
            verify(g)
        except VerifyError as e:
            raise VerifyError(f"after pass '{name}' (ran before it: {', '.join(done) or 'none'}): {e}") from e
        done.append(name)
    return g


CANONICALIZE: list[tuple[str, Pass]] = [
    ("dce", dce),
    ("fold_affine", fold_affine),
    ("flatten_input", flatten_input),
    ("sink_flatten", sink_flatten),
]


def canonicalize(g: Graph) -> Graph:
    """What every importer hands over, in the IR's canonical form: exporters'
    elementwise constants folded into their neighbours, a Flatten that does not
    reorder the input dropped, other Flattens moved below elementwise ops."""
    return run_passes(g, CANONICALIZE)


def prepare(g: Graph, calib: np.ndarray | None = None, weights: str | None = None,
            act_bits: int = 8) -> Graph:
    """The FLOAT-stage graph just before integer lowering: BatchNorm folded,
    float weights quantized (`weights`: 'twn' or 'int8'), missing activation
    quantizers placed from `calib` (inputs channels-last). It is the model's
    L0 view, and what `tritium compile` saves beside its outputs."""
    pipeline: list[tuple[str, Pass]] = [("dce", dce), ("fold_batchnorm", fold_batchnorm)]
    if weights:
        pipeline.append(("quantize_weights", lambda h: quantize_weights(h, weights)))
    if calib is not None:
        pipeline.append(("place_quantizers", lambda h: place_quantizers(h, calib, act_bits)))
    return run_passes(g, pipeline)


def lower(g: Graph, calib: np.ndarray | None = None, weights: str | None = None,
          act_bits: int = 8) -> Graph:
    """FLOAT-stage graph -> INTEGER-stage graph (DESIGN §2): `prepare`, then
    `lower_integer`."""
    if g.stage is Stage.INTEGER:
        return verify(g)
    return run_passes(prepare(g, calib, weights, act_bits), [("lower_integer", lower_integer)])


__all__ = ["canonicalize", "lower", "prepare", "run_passes", "dce", "fold_affine", "flatten_input", "sink_flatten", "fold_batchnorm", "quantize_weights", "place_quantizers",
           "missing_quantizers", "lower_integer"]
