"""The trained digits zoo models: accuracy, and golden model agreement (L0 vs L1)."""
import numpy as np
import pytest

from tritium.compression.train import accuracy
from tritium.ir.interp import run_golden
from tritium.passes import lower
from tritium.zoo.digits import digits_data, train_digits_model


def _check(name, min_acc):
    model, graph = train_digits_model(name, seed=0)
    _, test = digits_data()
    acc = accuracy(model, test)
    x = test.x.numpy()
    x = x.transpose(0, 2, 3, 1) if len(graph.input.shape) == 3 else x.reshape(len(x), -1)
    golden = run_golden(lower(graph), np.ascontiguousarray(x)).argmax(1)
    torch_pred = model(test.x).argmax(1).numpy()
    assert acc >= min_acc
    assert (golden == torch_pred).mean() >= 0.99


def test_cnn_digits_trains_and_golden_agrees():
    _check("cnn-digits", 95.0)


@pytest.mark.slow
def test_mlp_digits_trains_and_golden_agrees():
    _check("mlp-digits", 93.0)
