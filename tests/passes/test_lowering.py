"""Lowering to the integer contract: exact where it is an exact rewrite, and
within the reported error bound where scales become integers."""
import math

import numpy as np
import pytest
from hypothesis import given, strategies as st

from tritium.errors import QuantizationError
from tritium.ir.graph import GraphBuilder
from tritium.ir.interp import run_float, run_golden
from tritium.ir.ops import (BatchNormAttrs, ClipAttrs, InputAttrs, MacAttrs, Op, PoolAttrs,
                             QuantAttrs, Stage)
from tritium.ir.types import QType, Weights, WeightKind
from tritium.ir.verify import verify
from tritium.passes import dce, fold_batchnorm, lower
from tritium.passes.requant_math import choose_requant
from tritium.zoo.random_net import random_graph

seeds = st.integers(0, 2**31 - 1)


def _on_grid(g, rng, n=32):
    """Inputs that the input quantizer maps exactly (so both models see the same integers)."""
    q = g.node(g.consumers(g.input.name)[0].name).attrs.qtype
    return rng.integers(q.lo, q.hi + 1, (n,) + g.input.shape) * q.scale


def _single_op_graph(rng, kind: str, quantized_out: bool):
    b = GraphBuilder(kind)
    shape = (int(rng.integers(3, 8)), int(rng.integers(3, 8)), int(rng.integers(1, 7)))
    b.add("x", Op.INPUT, [], InputAttrs(), shape=shape)
    qin = QType(int(rng.choice([4, 8])), bool(rng.random() < 0.5), float(rng.uniform(0.01, 0.5)))
    x = b.add("xq", Op.QUANT, ["x"], QuantAttrs(qin)).name
    m = int(rng.integers(1, 9))
    ternary = rng.random() < 0.6

    def weights(shp):
        if ternary:
            return Weights(WeightKind.TERNARY, rng.integers(-1, 2, shp), rng.uniform(-0.5, 0.5, shp[0]))
        return Weights(WeightKind.INT, rng.integers(-127, 128, shp), rng.uniform(1e-3, 1e-2, shp[0]), 8)

    if kind == "conv":
        k, s, p = int(rng.choice([1, 3])), int(rng.choice([1, 2])), int(rng.integers(0, 2))
        y = b.add("y", Op.CONV2D, [x], MacAttrs(weights((m, shape[2], k, k)), rng.normal(0, 1, m),
                                                (s, s), (p, p, p, p))).name
    elif kind == "dense":
        f = b.add("f", Op.FLATTEN, [x]).name
        y = b.add("y", Op.DENSE, [f], MacAttrs(weights((m, int(np.prod(shape)))), rng.normal(0, 1, m))).name
    elif kind == "avgpool":
        y = b.add("y", Op.AVGPOOL, [x], PoolAttrs((2, 2), (1, 1), (0, 0, 1, 1))).name
    elif kind == "gap":
        y = b.add("y", Op.GLOBALAVGPOOL, [x]).name
    elif kind == "add":
        # both operands exact integers (a requantized operand would carry its own rounding)
        x2 = b.add("x2", Op.MAXPOOL, [x], PoolAttrs((3, 3), (1, 1), (1, 1, 1, 1))).name
        y = b.add("y", Op.ADD, [x, x2]).name
    else:  # requant: a quantizer on an already-integer tensor
        y = b.add("y", Op.MAXPOOL, [x], PoolAttrs((2, 2), (2, 2))).name
        y = b.add("r", Op.RELU, [y]).name
    if rng.random() < 0.3:
        y = b.add("c", Op.CLIP, [y], ClipAttrs(-1.0, 2.0)).name
    if quantized_out or kind == "requant":
        y = b.add("yq", Op.QUANT, [y], QuantAttrs(QType(8, True, float(rng.uniform(0.01, 0.5))))).name
    return b.build(y)


@pytest.mark.parametrize("kind", ["conv", "dense", "avgpool", "gap", "add", "requant"])
@given(seed=seeds, quantized_out=st.booleans())
def test_integer_result_within_reported_bound(kind, seed, quantized_out):
    """|golden - float fake-quant| <= ceil(error_lsb) output LSBs, on every output."""
    rng = np.random.default_rng(seed)
    g = _single_op_graph(rng, kind, quantized_out)
    gi = lower(g)
    x = _on_grid(g, rng)
    out = gi.output_node
    err = out.attrs.requant.error_lsb
    y_int = run_golden(gi, x)
    y_f = run_float(g, x) / out.qtype.scale          # output LSBs
    if g.node(g.output).op is Op.QUANT:
        y_f, slack = np.rint(y_f), max(1, math.ceil(err))
    else:
        # the float64 reference is only good to a few ulps of its magnitude (outputs of
        # 2e7 LSBs carry 4e-9 of rounding each), so allow 16 of them, as for requant
        slack = err + 0.5 + 16 * np.spacing(np.abs(y_f).max(initial=0)) + 1e-9
    assert np.abs(y_int - y_f).max(initial=0) <= slack


@given(seed=seeds)
def test_random_networks_lower_verify_and_run(seed):
    g = random_graph(seed)
    gi = verify(lower(g))
    assert gi.stage is Stage.INTEGER
    assert not any(n.op in (Op.BATCHNORM, Op.RELU, Op.CLIP, Op.QUANT) for n in gi.nodes)
    x = np.random.default_rng(seed).normal(0, 1, (8,) + g.input.shape)
    y = run_golden(gi, x)          # asserts every accumulator fits its declared width
    assert y.shape == (8,) + gi.output_node.shape


@given(seed=seeds)
def test_dce_is_exact(seed):
    g = random_graph(seed)
    b = GraphBuilder(g.name)
    for n in g.nodes:
        b.add(n.name, n.op, n.inputs, n.attrs, n.qtype, n.shape)
    q = next(n for n in g.nodes if n.op is Op.QUANT)
    b.add("dead", Op.RELU, [q.name])                 # a branch nobody reads
    dead = b.build(g.output)
    x = np.random.default_rng(seed).normal(0, 1, (8,) + g.input.shape)
    assert "dead" not in dce(dead)
    assert np.array_equal(run_golden(lower(dead), x), run_golden(lower(g), x))


@given(seed=seeds)
def test_fold_batchnorm_preserves_float_semantics(seed):
    rng = np.random.default_rng(seed)
    b = GraphBuilder("bn")
    b.add("x", Op.INPUT, [], InputAttrs(), shape=(5, 5, 3))
    w = Weights(WeightKind.TERNARY, rng.integers(-1, 2, (4, 3, 3, 3)), rng.uniform(0.1, 1, 4))
    b.add("c", Op.CONV2D, ["x"], MacAttrs(w, rng.normal(size=4), (1, 1), (1, 1, 1, 1)))
    b.add("bn", Op.BATCHNORM, ["c"], BatchNormAttrs(rng.normal(size=4), rng.uniform(0.1, 2, 4),
                                                   rng.normal(size=4), rng.normal(size=4)))
    g = b.build()
    folded = verify(fold_batchnorm(g))
    assert [n.op for n in folded.nodes] == [Op.INPUT, Op.CONV2D]
    assert folded.node("c").attrs.weights.kind is WeightKind.TERNARY
    x = rng.normal(size=(4, 5, 5, 3))
    assert np.allclose(run_float(folded, x), run_float(g, x), rtol=1e-10, atol=1e-10)


@given(r=st.floats(1e-4, 3e4), b=st.floats(-100, 100), bound=st.integers(1, 1 << 20))
def test_requant_formula_matches_its_error_bound(r, b, bound):
    rq = choose_requant([r], [b], bound, -(1 << 40), 1 << 40, "t")
    assert abs(int(rq.mult[0])) < (1 << 15) and 0 <= rq.shift <= 31
    acc = np.unique(np.linspace(-bound, bound, 101).astype(np.int64))
    got = (acc * int(rq.mult[0]) + int(rq.bias[0])) >> rq.shift
    exact = acc * r + b + 0.5
    # floor(exact + e) with |e| <= error_lsb; the float64 reference itself is only
    # good to a few ulps of its magnitude, so allow 16 of them
    slack = 16 * np.spacing(np.abs(exact) + rq.error_lsb) + 1e-9
    assert np.all(got >= np.floor(exact - rq.error_lsb - slack))
    assert np.all(got <= np.floor(exact + rq.error_lsb + slack))


def test_missing_quantizer_is_a_user_error():
    b = GraphBuilder("nq")
    b.add("x", Op.INPUT, [], InputAttrs(), shape=(4,))
    b.add("d", Op.DENSE, ["x"], MacAttrs(Weights(WeightKind.INT, np.ones((2, 4)), 1.0, 8)))
    with pytest.raises(QuantizationError, match="input has no activation quantizer.*--calibrate"):
        lower(b.build())


def test_float_weights_need_quantizing_first():
    b = GraphBuilder("fw")
    b.add("x", Op.INPUT, [], InputAttrs(), shape=(4,))
    b.add("q", Op.QUANT, ["x"], QuantAttrs(QType(8, True, 0.1)))
    b.add("d", Op.DENSE, ["q"], MacAttrs(Weights(WeightKind.FLOAT, np.ones((2, 4)), 1.0)))
    g = b.build()
    with pytest.raises(QuantizationError, match="float weights.*--weights twn"):
        lower(g)
    gi = lower(g, weights="int8")
    assert gi.node("d").attrs.weights.kind is WeightKind.INT
