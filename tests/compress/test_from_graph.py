"""`compress.from_graph`: any FLOAT graph as a trainable module, and `tritium compress` on it."""
import json

import numpy as np
import pytest

torch = pytest.importorskip("torch")
from torch import nn  # noqa: E402

from tritium.cli import main  # noqa: E402
from tritium.compression.from_graph import export_graph, from_graph  # noqa: E402
from tritium.compression.modules import set_quant_enabled  # noqa: E402
from tritium.ir.interp import run_float  # noqa: E402
from tritium.ir.ops import Op  # noqa: E402
from tritium.ir.torch_interp import GraphModule  # noqa: E402
from tritium.ir.types import WeightKind  # noqa: E402
from tritium.zoo.random_net import random_graph  # noqa: E402


@pytest.mark.parametrize("seed", range(10))
def test_matches_graph_module_and_exports_back(seed):
    g = random_graph(seed)
    x = np.random.default_rng(seed).normal(size=(16,) + g.input.shape)
    net = from_graph(g).eval()
    set_quant_enabled(net, False, acts=False)   # the graph's own (float) weights
    xt = torch.tensor(x.transpose(0, 3, 1, 2), dtype=torch.float32)
    ref = GraphModule(g)(xt).numpy()
    assert np.abs(net(xt).detach().numpy() - ref).max() < 1e-5
    back = export_graph(net)
    ops = lambda graph: [n.op for n in graph.nodes if n.op is not Op.FLATTEN]  # noqa: E731
    assert ops(back) == ops(g)  # (a flatten of a pooled vector is a no-op the importer drops)
    assert np.abs(run_float(back, x) - run_float(g, x)).max() < 1e-5


@pytest.mark.parametrize("seed", range(10))
def test_ternary_layers_keep_their_codes(seed):
    g = random_graph(seed)
    net = from_graph(g)
    back = {n.name: n for n in export_graph(net).nodes}
    macs = g.macs()
    for n in macs[1:-1]:
        w = back[n.name].attrs.weights
        assert w.kind is WeightKind.TERNARY
        if n.attrs.weights.kind is WeightKind.TERNARY:
            assert np.array_equal(w.values, n.attrs.weights.values)
            assert np.allclose(w.scale, n.attrs.weights.scale, rtol=1e-6)
    for n in (macs[0], macs[-1]):
        assert back[n.name].attrs.weights.kind is WeightKind.INT


class SmallCnn(nn.Module):
    def __init__(self):
        super().__init__()
        self.c1, self.b1 = nn.Conv2d(1, 8, 3, padding=1), nn.BatchNorm2d(8)
        self.c2, self.b2 = nn.Conv2d(8, 16, 3, padding=1), nn.BatchNorm2d(16)
        self.pool = nn.MaxPool2d(2)
        self.c3 = nn.Conv2d(16, 16, 3, padding=1)
        self.fc1 = nn.Linear(16 * 16, 32)
        self.fc2 = nn.Linear(32, 10)

    def forward(self, x):
        x = torch.relu(self.b1(self.c1(x)))
        x = self.pool(torch.relu(self.b2(self.c2(x))))
        x = torch.relu(self.c3(x))
        return self.fc2(torch.relu(self.fc1(torch.flatten(x, 1))))


@pytest.fixture(scope="module")
def float_onnx(tmp_path_factory):
    from tritium.compression.train import Fit
    from tritium.zoo.digits import digits_data
    torch.manual_seed(0)
    torch.set_num_threads(1)
    m = SmallCnn()
    Fit(3, lr=3e-3, seed=0).run(m, digits_data()[0])
    path = tmp_path_factory.mktemp("model") / "small.onnx"
    torch.onnx.export(m.eval(), torch.zeros(1, 1, 8, 8), str(path), dynamo=True)
    return path


TINY = ["--group-size", "4", "--reg-epochs", "1", "--finetune-epochs", "2", "--rates", "0,0.5,0.75"]


def _compress(out, model, *extra):
    return main(["compress", str(model), *TINY, *extra, "-o", str(out)])


def test_compress_float_onnx_end_to_end(float_onnx, tmp_path, capsys):
    from tritium.frontend import load_model
    from tritium.passes import lower
    out = tmp_path / "c.onnx"
    assert _compress(out, float_onnx, "--seed", "3") == 0
    rep = json.loads((tmp_path / "c.compress.json").read_text())
    assert rep["float_accuracy"] > 0.5 and rep["pe_compression_rate"] >= 16
    assert abs(rep["golden_accuracy"] - rep["compressed_accuracy"]) <= 0.02
    g = load_model(str(out))
    kinds = [n.attrs.weights.kind for n in g.macs()]
    assert kinds[0] is kinds[-1] is WeightKind.INT and all(k is WeightKind.TERNARY for k in kinds[1:-1])
    lower(g)
    # determinism: the same seed gives byte-identical outputs
    out2 = tmp_path / "d.onnx"
    assert _compress(out2, float_onnx, "--seed", "3") == 0
    assert out.read_bytes() == out2.read_bytes()
    rep2 = json.loads((tmp_path / "d.compress.json").read_text())
    assert rep2 == rep
    assert (tmp_path / "c.compress.json").read_bytes() == (tmp_path / "d.compress.json").read_bytes()
    assert (tmp_path / "c.png").read_bytes() == (tmp_path / "d.png").read_bytes()


def test_compress_with_npz_dataset(float_onnx, tmp_path):
    from tritium.data import digits_split
    tr, _ = digits_split()
    np.savez(tmp_path / "d.npz", x=tr.x[:400], y=tr.y[:400])
    out = tmp_path / "n.onnx"
    assert _compress(out, float_onnx, "--dataset", str(tmp_path / "d.npz")) == 0
    rep = json.loads((tmp_path / "n.compress.json").read_text())
    assert rep["train_samples"] == 320 and rep["test_samples"] == 80


def _fails(capsys, tmp_path, *argv):
    out = tmp_path / "out"
    out.mkdir(exist_ok=True)
    code = main(["compress", *argv, "--group-size", "4", "-o", str(out / "m.onnx")])
    err = capsys.readouterr().err
    assert code == 2 and len(err.strip().splitlines()) == 1, err
    assert not list(out.iterdir())
    return err


def test_bad_inputs_fail_cleanly(float_onnx, tmp_path, capsys):
    from tritium.data import digits_split
    tr, _ = digits_split()
    np.savez(tmp_path / "few.npz", x=tr.x[:20], y=tr.y[:20])
    np.savez(tmp_path / "nolabels.npz", x=tr.x[:100])
    np.savez(tmp_path / "flat.npz", x=tr.x[:100].reshape(100, 1, 4, 16), y=tr.y[:100])
    np.savez(tmp_path / "labels.npz", x=tr.x[:100], y=tr.y[:100] + 20)
    assert "at least" in _fails(capsys, tmp_path, str(float_onnx), "--dataset", str(tmp_path / "few.npz"))
    assert "y" in _fails(capsys, tmp_path, str(float_onnx), "--dataset", str(tmp_path / "nolabels.npz"))
    assert "(1, 4, 16)" in _fails(capsys, tmp_path, str(float_onnx), "--dataset", str(tmp_path / "flat.npz"))
    assert "labels" in _fails(capsys, tmp_path, str(float_onnx), "--dataset", str(tmp_path / "labels.npz"))
    # a model with no MAC layer
    nomac = tmp_path / "nomac.onnx"
    torch.onnx.export(nn.Sequential(nn.MaxPool2d(2), nn.Flatten()).eval(), torch.zeros(1, 1, 8, 8),
                      str(nomac), dynamo=True)
    assert "no Conv or Dense" in _fails(capsys, tmp_path, str(nomac))
    one = tmp_path / "one.onnx"
    torch.onnx.export(nn.Sequential(nn.Flatten(), nn.Linear(64, 10)).eval(), torch.zeros(1, 1, 8, 8),
                      str(one), dynamo=True)
    assert "--edge-layers ternary" in _fails(capsys, tmp_path, str(one))
