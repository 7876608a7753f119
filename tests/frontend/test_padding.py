"""Asymmetric and "SAME" padding: an explicit Pad (ONNX, ZeroPad2d) in front of a
Conv or pool folds into its window's padding, compress trains such a model, and
the window units of both backends build it bit-exact."""
import numpy as np
import pytest

torch = pytest.importorskip("torch")
from torch import nn  # noqa: E402

import tritium  # noqa: E402
from tritium.compression.from_graph import export_graph, from_graph  # noqa: E402
from tritium.compression.modules import set_quant_enabled  # noqa: E402
from tritium.errors import UnsupportedError  # noqa: E402
from tritium.frontend.onnx_import import import_onnx  # noqa: E402
from tritium.frontend.torch_import import import_torch  # noqa: E402
from tritium.ir.interp import run_float  # noqa: E402
from tritium.ir.ops import Op  # noqa: E402

X = np.random.default_rng(3).uniform(0, 16, (8, 1, 8, 8)).astype(np.float32)


def _same_net():
    torch.manual_seed(0)
    return nn.Sequential(nn.ZeroPad2d((0, 1, 0, 1)), nn.Conv2d(1, 4, 2), nn.ReLU(),
                         nn.Conv2d(4, 4, 4, padding="same"), nn.ReLU(),
                         nn.ConstantPad2d((1, 0, 1, 0), -float("inf")), nn.MaxPool2d(3, 2),
                         nn.ZeroPad2d((0, 1, 0, 1)), nn.AvgPool2d(2), nn.Flatten(), nn.Linear(16, 10)).eval()


def _onnx(net) -> bytes:
    prog = torch.onnx.export(net, (torch.zeros(1, 1, 8, 8),), dynamo=True, verbose=False)
    return prog.model_proto.SerializeToString()


def _pads(g):
    return [n.attrs.padding for n in g.nodes if n.op in (Op.CONV2D, Op.MAXPOOL, Op.AVGPOOL)]


def test_explicit_pads_fold_into_windows_in_both_importers():
    net = _same_net()
    ref = net(torch.tensor(X)).detach().numpy()
    xl = X.transpose(0, 2, 3, 1)
    for g in (import_onnx(_onnx(net)), import_torch(net, (1, 8, 8), "same")):
        assert _pads(g) == [(0, 0, 1, 1), (1, 1, 2, 2), (1, 1, 0, 0), (0, 0, 1, 1)]
        np.testing.assert_allclose(run_float(g, xl), ref, rtol=1e-5, atol=1e-4)


def test_a_pad_before_anything_but_a_window_is_refused():
    net = nn.Sequential(nn.ZeroPad2d(1), nn.ReLU(), nn.Conv2d(1, 2, 3)).eval()
    with pytest.raises(UnsupportedError, match=r"Pad '.*' feeds .*only right before a Conv"):
        import_onnx(_onnx(net))
    bad = nn.Sequential(nn.ConstantPad2d(1, 1.0), nn.Conv2d(1, 2, 3)).eval()
    with pytest.raises(UnsupportedError, match=r"inserts 1 before Conv .* pad with 0 or remove the Pad"):
        import_onnx(_onnx(bad))


def test_compress_trains_and_exports_asymmetric_padding():
    g = import_onnx(_onnx(_same_net()))
    net = from_graph(g).eval()
    set_quant_enabled(net, False)          # the graph's float weights, no placed quantizers
    xt = torch.tensor(X)
    np.testing.assert_allclose(net(xt).detach().numpy(), run_float(g, X.transpose(0, 2, 3, 1)),
                               rtol=1e-5, atol=1e-4)
    assert _pads(export_graph(net)) == _pads(g)


@pytest.mark.slow
def test_asymmetric_windows_are_bit_exact_in_csim_and_rtl():
    m = tritium.load(_same_net(), input_shape=(1, 8, 8), weights="int8", calibrate=X)
    d = tritium.compile(m, board="pynq-z2", backend="all")
    for level in ("csim", "rtl"):
        r = d.simulate(level, dataset="digits", limit=40)
        assert r.mismatches == 0 and r.n == 40
