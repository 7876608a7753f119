"""Canonicalization passes: each rewrite keeps the float model's outputs
(interp before == interp after, to float64 rounding), and a constant with no
exact fold is refused with the node, the reason and the fix."""
import numpy as np
import pytest

from tritium.errors import UnsupportedError
from tritium.ir.graph import GraphBuilder
from tritium.ir.interp import run_float, run_golden
from tritium.ir.ops import (AffineAttrs, BatchNormAttrs, ClipAttrs, InputAttrs, MacAttrs, Op, PoolAttrs,
                             QuantAttrs)
from tritium.ir.types import QType, Weights, WeightKind
from tritium.ir.verify import verify
from tritium.passes import canonicalize, flatten_input, fold_affine, fold_batchnorm, lower, sink_flatten

RNG = np.random.default_rng(7)
SHAPE = (4, 4, 3)


def _ternary(shape):
    return Weights(WeightKind.TERNARY, RNG.integers(-1, 2, shape), RNG.uniform(0.1, 0.5, shape[0]))


def _float(shape):
    return Weights(WeightKind.FLOAT, RNG.normal(0, 1, shape), np.ones(shape[0]))


def _affine(c, mul=None, add=None, source="Mul"):
    mul = np.full(c, 1.0) if mul is None else np.broadcast_to(mul, (c,))
    add = np.zeros(c) if add is None else np.broadcast_to(add, (c,))
    return AffineAttrs(mul, add, source)


def _build(steps, shape=SHAPE, quant_input=True):
    """Input, an optional input quantizer, then `steps`: (name, op, attrs) each reading the last."""
    b = GraphBuilder("t")
    last = b.add("x", Op.INPUT, [], InputAttrs(), shape=shape).name
    if quant_input:
        last = b.add("xq", Op.QUANT, [last], QuantAttrs(QType(8, False, 1 / 16))).name
    for name, op, attrs in steps:
        last = b.add(name, op, [last], attrs).name
    return verify(b.build())


def _same(before, after, shape=SHAPE):
    assert not any(n.op is Op.AFFINE for n in after.nodes)
    x = RNG.integers(0, 17, (16,) + shape).astype(np.float64)
    np.testing.assert_allclose(run_float(after, x), run_float(before, x), rtol=1e-12, atol=1e-12)


def _conv(m=5, pad=1, weights=None):
    w = weights if weights is not None else _ternary((m, SHAPE[2], 3, 3))
    return MacAttrs(w, RNG.normal(0, 1, w.out_channels), (1, 1), (pad,) * 4)


def test_affine_after_a_conv_folds_into_its_scale_and_bias():
    g = _build([("c", Op.CONV2D, _conv()),
                ("div", Op.AFFINE, _affine(5, 1 / RNG.uniform(1, 3, 5), RNG.normal(0, 1, 5), "Div")),
                ("r", Op.RELU, None)])
    after = fold_affine(g)
    assert [n.op for n in after.nodes] == [Op.INPUT, Op.QUANT, Op.CONV2D, Op.RELU]
    assert after.node("c").attrs.weights.kind is WeightKind.TERNARY
    _same(g, after)


def test_scaling_after_a_flatten_becomes_input_preprocessing():
    """`x.view(-1, 64) / 16.0` before the first quantizer (issue 16's MLP)."""
    b = GraphBuilder("mlp")
    b.add("x", Op.INPUT, [], InputAttrs(), shape=(8, 8, 1))
    b.add("view", Op.FLATTEN, ["x"])
    b.add("div", Op.AFFINE, ["view"], _affine(64, 1 / 16.0, source="Div"))
    b.add("q", Op.QUANT, ["div"], QuantAttrs(QType(8, True, 1 / 128)))
    b.add("fc", Op.DENSE, ["q"], MacAttrs(_ternary((10, 64))))
    g = verify(b.build())
    after = canonicalize(g)
    assert after.input.attrs == InputAttrs(1 / 16.0, 0.0)
    assert after.input.shape == (64,) and [n.op for n in after.nodes] == [Op.INPUT, Op.QUANT, Op.DENSE]
    x = RNG.integers(0, 17, (16, 8, 8, 1)).astype(np.float64)
    np.testing.assert_array_equal(run_float(after, x.reshape(16, 64)), run_float(g, x))


def test_affine_crosses_relu_maxpool_clip_and_flatten_forward_into_a_dense():
    g = _build([("m", Op.AFFINE, _affine(3, 0.5, 0.25)),
                ("clip", Op.CLIP, ClipAttrs(0.0, 6.0)),
                ("mp", Op.MAXPOOL, PoolAttrs((2, 2), (2, 2))),
                ("f", Op.FLATTEN, None),
                ("fc", Op.DENSE, MacAttrs(_ternary((4, 12)), np.zeros(4)))])
    after = fold_affine(g)
    assert after.node("clip").attrs == ClipAttrs(-0.5, 11.5)
    _same(g, after)


def test_per_channel_scale_enters_float_weights_and_a_depthwise_conv_scale():
    c = SHAPE[2]
    mul, add = RNG.uniform(0.5, 2, c), RNG.normal(0, 1, c)
    dense = _build([("m", Op.AFFINE, _affine(c, mul, add)), ("f", Op.FLATTEN, None),
                    ("fc", Op.DENSE, MacAttrs(_float((4, 48))))])
    _same(dense, fold_affine(dense))
    dw = _build([("m", Op.AFFINE, _affine(c, mul, add)),
                 ("dw", Op.CONV2D, MacAttrs(_ternary((c, 1, 3, 3)), None, (1, 1), (0, 0, 0, 0), c))])
    after = fold_affine(dw)
    assert after.node("dw").attrs.weights.kind is WeightKind.TERNARY
    _same(dw, after)


def test_two_affines_compose_and_an_average_pool_takes_the_scale():
    g = _build([("a", Op.AFFINE, _affine(3, 2.0, 1.0, "Add")),
                ("b", Op.AFFINE, _affine(3, 0.75, None)),
                ("ap", Op.AVGPOOL, PoolAttrs((2, 2), (1, 1))),
                ("c", Op.CONV2D, _conv(pad=0))])
    _same(g, fold_affine(g))


def _bn(c):
    return BatchNormAttrs(RNG.normal(0, 1, c), RNG.uniform(0.5, 2, c), RNG.uniform(0.5, 2, c),
                          RNG.normal(0, 1, c))


def test_batchnorm_after_a_quantizer_folds_into_float_weights_after_it():
    g = _build([("bn", Op.BATCHNORM, _bn(3)), ("c", Op.CONV2D, _conv(pad=0, weights=_float((5, 3, 3, 3))))])
    _same(g, fold_batchnorm(g))


def test_batchnorm_between_two_quantizers_becomes_one_per_channel_requantizer():
    g = _build([("bn", Op.BATCHNORM, _bn(3)), ("r", Op.RELU, None),
                ("q2", Op.QUANT, QuantAttrs(QType(4, False, 0.25))), ("c", Op.CONV2D, _conv(pad=0))])
    folded = fold_batchnorm(g)
    assert folded.node("bn").op is Op.AFFINE      # kept for the requantizer
    low = lower(folded)
    rq = low.node("bn")
    assert rq.op is Op.REQUANT and rq.attrs.requant.mult.shape == (3,) and rq.qtype == QType(4, False, 0.25)
    x = RNG.integers(0, 256, (64,) + SHAPE) / 16
    codes = run_golden(low, x, keep=True)[1]["bn"]
    ref = run_float(folded, x, keep=True)[1]["q2"] / 0.25
    assert np.abs(codes - ref).max() <= max(1, np.ceil(rq.attrs.requant.error_lsb))
    assert np.mean(codes == ref) > 0.99


@pytest.mark.parametrize("steps, words", [
    # after a quantizer, then only a max pool: no Conv/Dense, input or requantizer to take it
    ([("s", Op.AFFINE, _affine(3, 0.5, None, "Mul")), ("mp", Op.MAXPOOL, PoolAttrs((1, 1), (1, 1)))],
     ["Mul 's' by a constant has no exact fold", "quant 'xq'", "it is the graph output"]),
    # an offset in front of a zero-padded conv
    ([("s", Op.AFFINE, _affine(3, None, 1.0, "Sub")), ("c", Op.CONV2D, _conv(pad=1))],
     ["Sub 's'", "conv2d 'c' (its zero padding does not take the offset)"]),
    # a per-channel scale in front of ternary weights
    ([("s", Op.AFFINE, _affine(3, [1.0, 2.0, 3.0])), ("c", Op.CONV2D, _conv(pad=0))],
     ["per-channel scale cannot enter its ternary weights"]),
    # BatchNorm after a quantizer, in front of ternary weights
    ([("bn", Op.BATCHNORM, _bn(3)), ("c", Op.CONV2D, _conv(pad=0))],
     ["BatchNormalization 'bn' has no exact fold", "between two quantizers into a requantizer"]),
    # a negative scale cannot cross a ReLU
    ([("s", Op.AFFINE, _affine(3, -1.0)), ("r", Op.RELU, None), ("c", Op.CONV2D, _conv(pad=0))],
     ["relu 'r' (only a positive scale without offset commutes with it)"]),
])
def test_affine_without_an_exact_fold_is_refused_with_the_reason(steps, words):
    with pytest.raises(UnsupportedError) as e:
        fold_batchnorm(_build(steps))
    assert "\n" not in str(e.value)
    for w in words:
        assert w in str(e.value)


def test_flatten_of_a_multichannel_input_stays_and_sinks_below_the_quantizer():
    b = GraphBuilder("t")
    b.add("x", Op.INPUT, [], InputAttrs(), shape=SHAPE)
    b.add("f", Op.FLATTEN, ["x"])
    b.add("q", Op.QUANT, ["f"], QuantAttrs(QType(8, False, 1 / 16)))
    b.add("r", Op.RELU, ["q"])
    b.add("fc", Op.DENSE, ["r"], MacAttrs(_ternary((4, 48))))
    g = verify(b.build())
    assert flatten_input(g) is g                   # (h, w, c) != (c, h, w) with 3 channels
    after = verify(sink_flatten(g))
    assert [(n.name, n.op) for n in after.nodes] == [
        ("x", Op.INPUT), ("q", Op.QUANT), ("r", Op.RELU), ("f", Op.FLATTEN), ("fc", Op.DENSE)]
    assert after.node("q").shape == SHAPE
    _same(g, after)
