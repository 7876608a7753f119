"""The golden model against DESIGN §2, on cases small enough to do by hand."""
import numpy as np
import pytest

from tritium.ir.graph import GraphBuilder
from tritium.ir.interp import apply_requant, quantize, run_golden, windows
from tritium.ir.ops import InputAttrs, MacAttrs, Op, PoolAttrs, Stage
from tritium.ir.types import QType, Requant, Weights, WeightKind


def test_quantize_rounds_half_up_and_saturates():
    q = QType(4, True, 0.5)
    assert quantize(np.array([0.25, -0.25, 0.74, 100.0, -100.0]), q).tolist() == [1, 0, 1, 7, -8]


def test_requant_is_floor_shift_then_clamp():
    r = Requant([3, -3], [2, 2], 2, -4, 5)
    acc = np.array([[5, 5], [-5, -5], [100, 100]])
    # (5*3+2)>>2 = 4, (5*-3+2)>>2 = floor(-13/4) = -4, clamps to [-4, 5]
    assert apply_requant(acc, r).tolist() == [[4, -4], [-4, 4], [5, -4]]


def test_windows_channels_last_with_padding():
    x = np.arange(9).reshape(1, 3, 3, 1)
    w = windows(x, (2, 2), (2, 2), (1, 1, 0, 0), pad_value=-7)
    assert w.shape == (1, 2, 2, 2, 2, 1)
    assert w[0, 0, 0, :, :, 0].tolist() == [[-7, -7], [-7, 0]]
    assert w[0, 1, 1, :, :, 0].tolist() == [[4, 5], [7, 8]]


def _conv_graph(codes, rq, stride=1, pad=0, in_shape=(3, 3, 2), acc_bits=16):
    b = GraphBuilder("hand")
    b.add("x", Op.INPUT, [], InputAttrs(), QType(8, True, 1.0), in_shape)
    w = Weights(WeightKind.TERNARY, codes, 1.0)
    b.add("c", Op.CONV2D, ["x"], MacAttrs(w, None, (stride, stride), (pad,) * 4, 1, rq, acc_bits),
          QType(8, True, 1.0))
    return b.build(stage=Stage.INTEGER)


def test_conv_adds_and_subtracts_by_hand():
    x = np.arange(18, dtype=float).reshape(1, 3, 3, 2) - 9  # channels last
    codes = np.zeros((1, 2, 2, 2), int)
    codes[0, 0, 0, 0] = 1      # + x[h, w, c0]
    codes[0, 1, 1, 1] = -1     # - x[h+1, w+1, c1]
    g = _conv_graph(codes, Requant([1], [0], 0, -128, 127))
    y = run_golden(g, x)
    xi = x[0].astype(int)
    want = [[xi[h, w, 0] - xi[h + 1, w + 1, 1] for w in range(2)] for h in range(2)]
    assert y[0, :, :, 0].tolist() == want


def test_zero_padding_inserts_integer_zero():
    x = np.full((1, 1, 1, 1), 5.0)
    codes = np.ones((1, 1, 3, 3), int)
    g = _conv_graph(codes, Requant([1], [0], 0, -128, 127), pad=1, in_shape=(1, 1, 1))
    assert run_golden(g, x).tolist() == [[[[5]]]]


def test_golden_asserts_accumulator_width():
    x = np.full((1, 3, 3, 2), 100.0)
    codes = np.ones((1, 2, 3, 3), int)            # 18 * 100 = 1800 needs 12 bits
    g = _conv_graph(codes, Requant([1], [0], 0, -128, 127), acc_bits=8)
    with pytest.raises(AssertionError, match="overflows its 8 bits"):
        run_golden(g, x)


def test_maxpool_padding_never_wins():
    b = GraphBuilder("mp")
    q = QType(8, True, 1.0)
    b.add("x", Op.INPUT, [], InputAttrs(), q, (2, 2, 1))
    b.add("p", Op.MAXPOOL, ["x"], PoolAttrs((2, 2), (2, 2), (1, 1, 1, 1)), q)
    y = run_golden(b.build(stage=Stage.INTEGER), -np.ones((1, 2, 2, 1)) * 5)
    assert (y == -5).all()


def test_int64_path_agrees_with_blas_path(monkeypatch):
    """Past 2**52 the golden matmul leaves float64 for int64; both must agree."""
    from tritium.ir import interp
    from tritium.passes import lower
    from tritium.zoo.random_net import random_graph
    g = lower(random_graph(3))
    x = np.random.default_rng(0).normal(0, 1, (16,) + g.input.shape)
    fast = run_golden(g, x)
    monkeypatch.setattr(interp, "EXACT_FLOAT_BOUND", 1)
    assert np.array_equal(run_golden(g, x), fast)
