"""A float PyTorch CNN and its ONNX export import to equivalent IR (issue 2), and the
two torch exporters (dynamo, the default since PyTorch 2.9, and the legacy TorchScript
one) import to the same IR (issue 16)."""
import io
import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch")
from torch import nn  # noqa: E402

from tritium.frontend.onnx_import import import_onnx  # noqa: E402
from tritium.frontend.torch_import import import_torch  # noqa: E402
from tritium.ir.interp import run_float  # noqa: E402
from tritium.ir.ops import Op  # noqa: E402
from tritium.passes import fold_batchnorm  # noqa: E402


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv2d(1, 6, 3, padding=1)
        self.b1 = nn.BatchNorm2d(6)
        self.c2 = nn.Conv2d(6, 6, 3, padding=1)
        self.c3 = nn.Conv2d(6, 10, 3, stride=2, padding=1)
        self.pool = nn.MaxPool2d(2)
        self.fc = nn.Linear(10 * 2 * 2, 7)   # 2x2 map: a wrong flatten order shows

    def forward(self, x):
        x = torch.relu(self.b1(self.c1(x)))
        x = torch.relu(self.c2(x) + x)
        x = self.pool(torch.relu(self.c3(x)))
        return self.fc(torch.flatten(x, 1))


def _net() -> Net:
    torch.manual_seed(0)
    m = Net().eval()
    with torch.no_grad():
        m.b1.running_mean.uniform_(-0.5, 0.5)
        m.b1.running_var.uniform_(0.5, 2)
    return m


def _export(m, dynamo: bool, **kw) -> bytes:
    args = (torch.zeros(1, 1, 8, 8),)
    if dynamo:   # the ONNXProgram it returns (writing to a BytesIO is deprecated)
        return torch.onnx.export(m, args, dynamo=True, verbose=False, **kw).model_proto.SerializeToString()
    buf = io.BytesIO()
    torch.onnx.export(m, args, buf, dynamo=False, **kw)
    return buf.getvalue()


@pytest.mark.parametrize("bn_node", [False, True])
def test_torch_and_onnx_import_agree(bn_node):
    m = _net()
    # without its optimizer the dynamo exporter keeps BatchNormalization as a node
    from_torch = fold_batchnorm(import_torch(m, (1, 8, 8), "net"))
    from_onnx = fold_batchnorm(import_onnx(_export(m, dynamo=True, optimize=not bn_node)))
    ops = [Op.INPUT, Op.CONV2D, Op.RELU, Op.CONV2D, Op.ADD, Op.RELU, Op.CONV2D, Op.RELU,
           Op.MAXPOOL, Op.FLATTEN, Op.DENSE]
    assert [n.op for n in from_torch.nodes] == ops
    assert [n.op for n in from_onnx.nodes] == ops
    assert [n.shape for n in from_torch.nodes] == [n.shape for n in from_onnx.nodes]
    for a, b in zip(from_torch.macs(), from_onnx.macs()):
        assert np.allclose(a.attrs.weights.real(), b.attrs.weights.real(), atol=1e-6)
        assert a.attrs.padding == b.attrs.padding and a.attrs.stride == b.attrs.stride
    x = np.random.default_rng(0).normal(size=(8, 8, 8, 1))
    assert np.allclose(run_float(from_torch, x), run_float(from_onnx, x), atol=1e-5)


def test_dynamo_and_legacy_exports_import_to_the_same_ir():
    m = _net()
    with warnings.catch_warnings():   # the legacy exporter's deprecation warning, here only
        warnings.filterwarnings("ignore", category=DeprecationWarning)
        legacy = import_onnx(_export(m, dynamo=False), name="net")
    dynamo = import_onnx(_export(m, dynamo=True), name="net")
    assert [(n.op, n.shape) for n in legacy.nodes] == [(n.op, n.shape) for n in dynamo.nodes]
    for a, b in zip(legacy.nodes, dynamo.nodes):
        if a.op.is_mac:
            assert a.attrs.weights.kind is b.attrs.weights.kind
            np.testing.assert_allclose(a.attrs.weights.real(), b.attrs.weights.real(), rtol=1e-6, atol=1e-7)
            np.testing.assert_allclose(a.attrs.bias, b.attrs.bias, rtol=1e-6, atol=1e-7)
            assert (a.attrs.stride, a.attrs.padding, a.attrs.groups) == \
                (b.attrs.stride, b.attrs.padding, b.attrs.groups)
        else:
            assert a.attrs == b.attrs
    x = np.random.default_rng(0).normal(size=(8, 8, 8, 1))
    np.testing.assert_allclose(run_float(legacy, x), run_float(dynamo, x), rtol=1e-6, atol=1e-6)
