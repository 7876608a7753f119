"""A float PyTorch CNN and its ONNX export import to equivalent IR (issue 2)."""
import io

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


@pytest.mark.parametrize("training_bn", [False, True])
def test_torch_and_onnx_import_agree(training_bn):
    torch.manual_seed(0)
    m = Net().eval()
    with torch.no_grad():
        m.b1.running_mean.uniform_(-0.5, 0.5)
        m.b1.running_var.uniform_(0.5, 2)
    buf = io.BytesIO()
    # training=TRAINING keeps BatchNormalization as a node instead of folding it into the conv
    kw = {"training": torch.onnx.TrainingMode.PRESERVE} if training_bn else {}
    torch.onnx.export(m, (torch.zeros(1, 1, 8, 8),), buf, dynamo=False, **kw)
    from_torch = fold_batchnorm(import_torch(m, (1, 8, 8), "net"))
    from_onnx = fold_batchnorm(import_onnx(buf.getvalue()))
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
