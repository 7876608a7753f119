"""Shape-only ops as the dynamo exporter writes them: Squeeze/Unsqueeze/Reshape that only
re-view a tensor, and an NCHW -> NHWC Transpose before a flatten, import without moving
data; a Transpose that would reorder elements the machine streams is refused."""
import numpy as np
import pytest

torch = pytest.importorskip("torch")
from torch import nn  # noqa: E402

from tritium.errors import UnsupportedError  # noqa: E402
from tritium.frontend.onnx_import import import_onnx  # noqa: E402
from tritium.ir.interp import run_float  # noqa: E402
from tritium.ir.ops import Op  # noqa: E402


class Net(nn.Module):
    def __init__(self, tail):
        super().__init__()
        torch.manual_seed(0)
        self.conv = nn.Conv2d(2, 3, 3, padding=1)
        self.conv2 = nn.Conv2d(4, 2, 1)
        self.gap = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.LazyLinear(4)
        self.tail = tail

    def forward(self, x):
        y = torch.relu(self.conv(x))
        if self.tail == "squeeze":           # (N, C, 1, 1) -> (N, C)
            y = self.gap(y).squeeze(-1).squeeze(-1)
        elif self.tail == "unsqueeze":       # (N, C) -> (N, C, 1, 1) -> (N, C)
            y = self.gap(y).flatten(1).unsqueeze(-1).unsqueeze(-1).flatten(1)
        elif self.tail == "nhwc":            # Keras-style flatten
            y = y.permute(0, 2, 3, 1).reshape(y.shape[0], -1)
        elif self.tail == "bad-transpose":
            y = y.permute(0, 1, 3, 2).flatten(1)
        else:                                # a conv on an NHWC tensor
            y = self.conv2(y.permute(0, 2, 3, 1)).flatten(1)
        return self.fc(y)


def _onnx(net) -> bytes:
    net(torch.zeros(1, 2, 4, 5))   # sizes the LazyLinear
    prog = torch.onnx.export(net.eval(), (torch.zeros(1, 2, 4, 5),), dynamo=True, verbose=False)
    return prog.model_proto.SerializeToString()


@pytest.mark.parametrize("tail", ["squeeze", "unsqueeze", "nhwc"])
def test_reviews_import_without_moving_data(tail):
    net = Net(tail)
    g = import_onnx(_onnx(net))
    assert [n.op for n in g.nodes].count(Op.FLATTEN) <= 1
    x = np.random.default_rng(0).normal(size=(6, 2, 4, 5)).astype(np.float32)
    ref = net(torch.tensor(x)).detach().numpy()
    np.testing.assert_allclose(run_float(g, x.transpose(0, 2, 3, 1)), ref, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("tail, words", [
    ("bad-transpose", "only NCHW -> NHWC before a flatten"),
    ("conv-on-nhwc", "got an N,H,W,C tensor"),
])
def test_reordering_transposes_are_refused(tail, words):
    with pytest.raises(UnsupportedError, match=words):
        import_onnx(_onnx(Net(tail)))
