import numpy as np
import pytest

from tritium.errors import QuantizationError
from tritium.ir.types import QType, Weights, WeightKind, signed_width


def test_qtype_ranges():
    assert (QType(8, True, 1.0).lo, QType(8, True, 1.0).hi) == (-128, 127)
    assert (QType(4, False, 1.0).lo, QType(4, False, 1.0).hi) == (0, 15)
    assert QType(8, True, 1.0).max_abs == 128


@pytest.mark.parametrize("bound,bits", [(0, 2), (1, 2), (2, 3), (127, 8), (128, 9), (255, 9)])
def test_signed_width_is_minimal(bound, bits):
    assert signed_width(bound) == bits
    assert -(1 << (bits - 1)) <= -bound and bound <= (1 << (bits - 1)) - 1


def test_weights_are_immutable_copies():
    src = np.array([[1, 0, -1]])
    w = Weights(WeightKind.TERNARY, src, [0.5])
    src[0, 0] = 0
    assert w.values[0, 0] == 1
    with pytest.raises(ValueError):
        w.values[0, 0] = 0


def test_declared_ternary_but_not():
    with pytest.raises(QuantizationError, match=r"declared ternary .* outside \[-1, 1\]"):
        Weights(WeightKind.TERNARY, np.array([[2, 0]]), [1.0], name="conv3")


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_weights(bad):
    with pytest.raises(QuantizationError, match="NaN or infinite"):
        Weights(WeightKind.FLOAT, np.array([[0.1, bad]]), [1.0])


def test_weights_equality_compares_numbers():
    a = Weights(WeightKind.INT, [[3, -4]], [0.1], 8)
    assert a == Weights(WeightKind.INT, [[3, -4]], [0.1], 8)
    assert a != Weights(WeightKind.INT, [[3, -5]], [0.1], 8)
    assert np.array_equal(a.real(), [[0.1 * 3, 0.1 * -4]])
