"""PyTorch import via torch.fx: structure, numerics against torch, errors."""
import numpy as np
import pytest
import torch
from torch import nn

from tritium.compression.modules import IntConv2d, IntLinear, QuantAct, TernaryConv2d
from tritium.errors import ModelError, UnsupportedError
from tritium.frontend.torch_import import import_torch
from tritium.ir.interp import run_float
from tritium.ir.ops import Op
from tritium.ir.types import WeightKind
from tritium.ir.verify import verify


def _ops(g):
    return [n.op for n in g.nodes]


def _same_as_torch(model, g, shape, atol=1e-5, seed=0):
    torch.manual_seed(seed)
    x = torch.rand((4,) + tuple(shape)) * 4
    ref = model.eval()(x).detach().double().numpy()
    xin = x.permute(0, 2, 3, 1).numpy() if len(shape) == 3 else x.numpy()
    got = run_float(g, xin)
    assert np.allclose(got.reshape(ref.shape) if ref.ndim == 2 else got, ref, atol=atol)


class SmallCnn(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3, padding=1)
        self.bn = nn.BatchNorm2d(8)
        self.pool = nn.MaxPool2d(2)
        self.fc = nn.Linear(8 * 3 * 4, 5)   # non-square map: catches a wrong flatten order

    def forward(self, x):
        x = self.pool(torch.relu(self.bn(self.conv(x))))
        return self.fc(torch.flatten(x, 1))


def _randomize_bn(m):
    with torch.no_grad():
        for bn in m.modules():
            if isinstance(bn, (nn.BatchNorm1d, nn.BatchNorm2d)):
                bn.running_mean.uniform_(-0.5, 0.5)
                bn.running_var.uniform_(0.5, 2)
                bn.weight.uniform_(0.5, 1.5)
                bn.bias.uniform_(-0.3, 0.3)


def test_small_cnn_graph_structure_and_numerics():
    torch.manual_seed(0)
    m = SmallCnn()
    _randomize_bn(m)
    g = verify(import_torch(m, (3, 6, 8), "small"))
    assert _ops(g) == [Op.INPUT, Op.CONV2D, Op.BATCHNORM, Op.RELU, Op.MAXPOOL, Op.FLATTEN, Op.DENSE]
    assert g.input.shape == (6, 8, 3)
    conv = g.node("conv")
    assert conv.attrs.padding == (1, 1, 1, 1) and conv.shape == (6, 8, 8)
    assert conv.attrs.weights.kind is WeightKind.FLOAT
    assert g.output_node.shape == (5,)
    _same_as_torch(m, g, (3, 6, 8))


def test_quantized_modules_import_as_quant_nodes_and_typed_weights():
    torch.manual_seed(0)
    m = nn.Sequential(QuantAct(8, scale=0.25), IntConv2d(1, 4, 3, padding=1), nn.ReLU(), QuantAct(8),
                      TernaryConv2d(4, 6, 3, stride=2), nn.ReLU6(), nn.Flatten(), IntLinear(6 * 3 * 3, 3))
    m.train()(torch.rand(8, 1, 8, 8) * 16)   # calibrate the activation scale
    g = verify(import_torch(m, (1, 8, 8), "q"))
    assert _ops(g) == [Op.INPUT, Op.QUANT, Op.CONV2D, Op.RELU, Op.QUANT, Op.CONV2D, Op.CLIP, Op.FLATTEN,
                       Op.DENSE]
    assert g.nodes[1].attrs.qtype == m[0].qtype()
    assert g.nodes[4].attrs.qtype == m[3].qtype()
    kinds = [n.attrs.weights.kind for n in g.macs()]
    assert kinds == [WeightKind.INT, WeightKind.TERNARY, WeightKind.INT]
    assert g.node("4").attrs.stride == (2, 2)
    assert np.array_equal(g.node("1").attrs.weights.values, m[1].export_weights().values)
    _same_as_torch(m, g, (1, 8, 8), atol=1e-4)


class Residual(nn.Module):
    def __init__(self):
        super().__init__()
        self.a = nn.Conv2d(4, 4, 3, padding=1)
        self.dw = nn.Conv2d(4, 4, 3, padding=1, groups=4)
        self.gap = nn.AdaptiveAvgPool2d(1)
        self.bn = nn.BatchNorm1d(4)
        self.fc = nn.Linear(4, 2)

    def forward(self, x):
        y = torch.relu(self.a(x)) + self.dw(x)
        y = self.gap(y)
        return self.fc(self.bn(y.view(y.size(0), -1)))


def test_residual_depthwise_gap_and_view():
    torch.manual_seed(1)
    m = Residual()
    _randomize_bn(m)
    g = verify(import_torch(m, (4, 5, 5), "res"))
    assert Op.ADD in _ops(g) and Op.GLOBALAVGPOOL in _ops(g) and Op.FLATTEN not in _ops(g)
    assert g.node("dw").attrs.groups == 4
    _same_as_torch(m, g, (4, 5, 5))


def test_batchnorm1d_after_flatten_is_permuted():
    torch.manual_seed(2)
    m = nn.Sequential(nn.Conv2d(2, 3, 1), nn.Flatten(), nn.BatchNorm1d(3 * 2 * 2), nn.Linear(12, 4))
    _randomize_bn(m)
    g = import_torch(m, (2, 2, 2), "bn1d")
    _same_as_torch(m, g, (2, 2, 2))


def test_avgpool_and_same_padding():
    m = nn.Sequential(nn.Conv2d(2, 3, 4, padding="same"), nn.AvgPool2d(2, stride=1, padding=1))
    g = import_torch(m, (2, 6, 6), "avg")
    assert g.node("0").attrs.padding == (1, 1, 2, 2)
    ref = m.eval()(torch.ones(1, 2, 6, 6)).detach().permute(0, 2, 3, 1).double().numpy()
    assert np.allclose(run_float(g, np.ones((1, 6, 6, 2))), ref, atol=1e-5)


def test_unsupported_module_names_op_path_and_supported_list():
    m = nn.Sequential(nn.Conv2d(1, 2, 3), nn.Sigmoid())
    with pytest.raises(UnsupportedError) as e:
        import_torch(m, (1, 5, 5), "bad")
    msg = str(e.value)
    assert "Sigmoid" in msg and "'1'" in msg and "Supported:" in msg and "Conv2d" in msg


def test_unsupported_function_and_constructs():
    class F(nn.Module):
        def forward(self, x):
            return torch.sigmoid(x)

    with pytest.raises(UnsupportedError, match="sigmoid"):
        import_torch(F(), (1, 4, 4))
    with pytest.raises(UnsupportedError, match="dilation"):
        import_torch(nn.Conv2d(1, 1, 3, dilation=2), (1, 8, 8))
    with pytest.raises(UnsupportedError, match="AdaptiveAvgPool2d"):
        import_torch(nn.AdaptiveAvgPool2d(2), (1, 8, 8))
    with pytest.raises(UnsupportedError, match="grouped"):
        import_torch(nn.Conv2d(4, 8, 3, groups=2), (4, 8, 8))


def test_control_flow_is_reported():
    class Branchy(nn.Module):
        def forward(self, x):
            return x if x.sum() > 0 else -x

    with pytest.raises(UnsupportedError, match="cannot trace"):
        import_torch(Branchy(), (1, 4, 4))


@pytest.mark.parametrize("shape", [(1, 8), (0, 8, 8), "abc", None])
def test_bad_input_shape(shape):
    with pytest.raises(ModelError, match="input shape"):
        import_torch(nn.Identity(), shape)
