"""ONNX/QONNX import and QONNX export: structure, numerics, round trip, errors."""
from __future__ import annotations

from dataclasses import replace

import numpy as np
import onnx
import pytest
from hypothesis import given, strategies as st
from onnx import TensorProto, helper, numpy_helper

from tritium.errors import ModelError, OptionError, QuantizationError, UnsupportedError
from tritium.frontend import load_model
from tritium.frontend.onnx_import import import_onnx
from tritium.frontend.qonnx_export import qonnx_bytes, write_qonnx
from tritium.ir.interp import run_float
from tritium.ir.ops import Op
from tritium.ir.types import QType, WeightKind
from tritium.zoo.generated import resnet8
from tritium.zoo.random_net import random_graph

QDOMAIN = "qonnx.custom_op.general"


# ----------------------------------------------------------------- helpers

def torch_onnx(module, shape, **kw) -> bytes:
    torch = pytest.importorskip("torch")
    prog = torch.onnx.export(module.eval(), (torch.zeros((1,) + shape),), dynamo=True, verbose=False,
                             input_names=["x"], output_names=["y"], **kw)
    return prog.model_proto.SerializeToString()


def torch_forward(module, x: np.ndarray) -> np.ndarray:
    import torch
    with torch.no_grad():
        return module.eval()(torch.from_numpy(x.astype(np.float32))).numpy().astype(np.float64)


def nhwc(x: np.ndarray) -> np.ndarray:
    return x.transpose(0, 2, 3, 1) if x.ndim == 4 else x


def model_bytes(nodes, inits, in_shape, out_name="y", annotations=(), opsets=(("", 13), (QDOMAIN, 1)),
                in_type=TensorProto.FLOAT) -> bytes:
    graph = helper.make_graph(nodes, "hand", [helper.make_tensor_value_info("x", in_type, in_shape)],
                              [helper.make_tensor_value_info(out_name, TensorProto.FLOAT, None)],
                              [numpy_helper.from_array(np.asarray(v, np.float32), k) for k, v in inits.items()])
    for tensor, dt in annotations:
        a = graph.quantization_annotation.add()
        a.tensor_name = tensor
        kv = a.quant_parameter_tensor_names.add()
        kv.key, kv.value = "finn_datatype", dt
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid(d, v) for d, v in opsets])
    return model.SerializeToString()


def quant(x, out, scale, bits, signed=1, narrow=0, zp=0.0, name=None):
    """A QONNX Quant node plus its constant inputs, as Brevitas exports it."""
    inits = {f"{out}_s": scale, f"{out}_z": np.float32(zp), f"{out}_b": np.float32(bits)}
    node = helper.make_node("Quant", [x, f"{out}_s", f"{out}_z", f"{out}_b"], [out], name=name or out,
                            domain=QDOMAIN, signed=signed, narrow=narrow, rounding_mode="ROUND")
    return node, inits


def ops(g) -> list[str]:
    return [n.op.value for n in g.nodes]


# ----------------------------------------------------------------- float PyTorch models

def _cnn():
    torch = pytest.importorskip("torch")
    nn = torch.nn

    class Cnn(nn.Module):
        def __init__(self):
            super().__init__()
            self.c1 = nn.Conv2d(3, 8, 3, padding=1)
            self.bn1 = nn.BatchNorm2d(8)
            self.dw = nn.Conv2d(8, 8, 3, stride=2, padding=1, groups=8)
            self.c2 = nn.Conv2d(8, 8, 1, bias=False)
            self.pool = nn.MaxPool2d(2)
            self.avg = nn.AvgPool2d(2)
            self.fc = nn.Linear(8 * 2 * 2, 10)

        def forward(self, x):
            x = (x - 0.5) / 0.25
            y = torch.relu(self.bn1(self.c1(x)))
            y = self.dw(y)
            y = torch.clamp(y + self.c2(y), 0.0, 6.0)
            y = self.avg(self.pool(y))
            return self.fc(y.view(y.size(0), -1))

    torch.manual_seed(0)
    m = Cnn()
    with torch.no_grad():
        m.bn1.running_mean.uniform_(-1, 1)
        m.bn1.running_var.uniform_(0.5, 2.0)
        m.bn1.weight.uniform_(0.5, 1.5)
    return m


@pytest.mark.parametrize("keep_bn", [False, True])
def test_float_cnn_imports_and_matches_torch(keep_bn):
    m = _cnn()
    g = import_onnx(torch_onnx(m, (3, 16, 16), optimize=not keep_bn))
    expect = ["input", "conv2d", "batchnorm", "relu", "conv2d", "conv2d", "add", "clip", "maxpool",
              "avgpool", "flatten", "dense"]
    assert ops(g) == (expect if keep_bn else [o for o in expect if o != "batchnorm"])
    assert g.input.shape == (16, 16, 3)
    assert (g.input.attrs.pre_mul, g.input.attrs.pre_add) == (4.0, -2.0)
    dw = [n for n in g.macs() if n.attrs.groups > 1]
    assert len(dw) == 1 and dw[0].attrs.stride == (2, 2) and dw[0].attrs.padding == (1, 1, 1, 1)
    clip = next(n for n in g.nodes if n.op is Op.CLIP)
    assert (clip.attrs.lo, clip.attrs.hi) == (0.0, 6.0)
    x = np.random.default_rng(1).uniform(0, 1, (5, 3, 16, 16))
    np.testing.assert_allclose(run_float(g, nhwc(x)), torch_forward(m, x), rtol=1e-4, atol=1e-4)


def test_flatten_order_is_folded_into_dense_columns():
    """NCHW flatten then Linear: the IR flattens (h, w, c); the weights are permuted to match."""
    torch = pytest.importorskip("torch")
    nn = torch.nn
    torch.manual_seed(2)
    m = nn.Sequential(nn.Conv2d(2, 3, 3, padding=1), nn.ReLU(), nn.Flatten(), nn.BatchNorm1d(3 * 4 * 5),
                      nn.Linear(3 * 4 * 5, 7), nn.BatchNorm1d(7))
    with torch.no_grad():
        m[3].running_mean.uniform_(-1, 1)
        m[5].running_var.uniform_(0.5, 2.0)
    g = import_onnx(torch_onnx(m, (2, 4, 5), optimize=False))
    assert ops(g) == ["input", "conv2d", "relu", "flatten", "batchnorm", "dense", "batchnorm"]
    x = np.random.default_rng(3).normal(size=(4, 2, 4, 5))
    np.testing.assert_allclose(run_float(g, nhwc(x)), torch_forward(m, x), rtol=1e-4, atol=1e-4)


def test_mlp_with_matmul_add_bias_and_gap():
    torch = pytest.importorskip("torch")
    nn = torch.nn

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2d(1, 6, 3)
            self.w = nn.Parameter(torch.randn(6, 4))
            self.b = nn.Parameter(torch.randn(4))

        def forward(self, x):
            y = nn.functional.adaptive_avg_pool2d(torch.relu(self.conv(x * 2.0)), 1).flatten(1)
            return y @ self.w + self.b

    torch.manual_seed(4)
    m = Net()
    g = import_onnx(torch_onnx(m, (1, 6, 6)))
    assert ops(g) == ["input", "conv2d", "relu", "globalavgpool", "dense"]
    assert g.output_node.attrs.bias is not None and g.input.attrs.pre_mul == 2.0
    x = np.random.default_rng(5).normal(size=(3, 1, 6, 6))
    np.testing.assert_allclose(run_float(g, nhwc(x)), torch_forward(m, x), rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("size", [7, 8])
def test_maxpool_ceil_mode_and_padded_avgpool(size):
    torch = pytest.importorskip("torch")
    nn = torch.nn
    m = nn.Sequential(nn.MaxPool2d(3, 2, ceil_mode=True), nn.AvgPool2d(3, 1, padding=1),
                      nn.MaxPool2d(2, 2, padding=1))
    g = import_onnx(torch_onnx(m, (2, size, size)))
    x = np.random.default_rng(6).normal(size=(3, 2, size, size))
    np.testing.assert_allclose(run_float(g, nhwc(x)), nhwc(torch_forward(m, x)), rtol=1e-5, atol=1e-6)


def test_twn_ternarizes_float_weights_at_import():
    g = import_onnx(torch_onnx(_cnn(), (3, 16, 16)), ternarize="twn")
    kinds = [n.attrs.weights.kind for n in g.macs()]
    assert kinds[0] is WeightKind.INT and kinds[-1] is WeightKind.INT
    assert all(k is WeightKind.TERNARY for k in kinds[1:-1])
    w = g.macs()[1].attrs.weights
    assert set(np.unique(w.values)) <= {-1, 0, 1} and np.all(w.scale > 0)


# ----------------------------------------------------------------- QONNX (Brevitas style)

def _brevitas_like(w_bits=2, narrow=1, act_zp=0.0, act_scale=0.05, annotate=()):
    rng = np.random.default_rng(0)
    w1 = rng.normal(0, 1, (4, 2, 3, 3)).astype(np.float32)
    s1 = np.array([0.5, 0.25, 1.0, 0.75], np.float32).reshape(4, 1, 1, 1)
    w2 = rng.normal(0, 1, (16, 3)).astype(np.float32)  # MatMul layout (K, M)
    s2 = np.float32(0.125)
    nodes, inits = [], {"w1": w1, "w2": w2}
    for node, extra in (quant("x", "xq", np.float32(1 / 64), 8, signed=1),
                        quant("w1", "w1q", s1, w_bits, signed=1, narrow=narrow),
                        quant("r", "rq", np.float32(act_scale), 8, signed=0, zp=act_zp),
                        quant("w2", "w2q", s2, 4, signed=1, narrow=0)):
        nodes.append(node)
        inits.update(extra)
    nodes.insert(2, helper.make_node("Conv", ["xq", "w1q"], ["c"], name="conv", pads=[1, 1, 1, 1],
                                     strides=[2, 2], kernel_shape=[3, 3]))
    nodes.insert(3, helper.make_node("Relu", ["c"], ["r"], name="relu"))
    nodes += [helper.make_node("Flatten", ["rq"], ["f"], name="flat"),
              helper.make_node("MatMul", ["f", "w2q"], ["y"], name="fc")]
    return model_bytes(nodes, inits, [1, 2, 4, 4], annotations=annotate), w1, s1, w2, s2


def test_brevitas_style_qonnx_imports_ternary_and_int_weights():
    data, w1, s1, w2, s2 = _brevitas_like()
    g = import_onnx(data)
    assert ops(g) == ["input", "quant", "conv2d", "relu", "quant", "flatten", "dense"]
    conv, fc = g.macs()
    w = conv.attrs.weights
    assert w.kind is WeightKind.TERNARY and w.bits == 2
    np.testing.assert_array_equal(w.values, np.clip(np.round(w1 / s1), -1, 1))
    np.testing.assert_array_equal(w.scale, s1.ravel().astype(np.float64))
    assert fc.attrs.weights.kind is WeightKind.INT and fc.attrs.weights.bits == 4
    perm = np.arange(16).reshape(4, 2, 2).transpose(1, 2, 0).ravel()  # (c,h,w) -> (h,w,c) columns
    np.testing.assert_array_equal(fc.attrs.weights.values, np.clip(np.round(w2 / s2), -8, 7).T[:, perm])
    assert g.nodes[1].attrs.qtype == QType(8, True, float(np.float32(1 / 64)))
    assert g.nodes[4].attrs.qtype == QType(8, False, float(np.float32(0.05)))


def test_two_bit_wide_range_weights_are_int2_not_ternary():
    g = import_onnx(_brevitas_like(w_bits=2, narrow=0)[0])
    w = g.macs()[0].attrs.weights
    assert w.kind is WeightKind.INT and w.bits == 2 and w.values.min() >= -2


def test_pruned_ternary_stays_ternary_in_round_trip(tmp_path):
    """{0, +1}-only ternary weights must not be narrowed to binary (a FINN bug)."""
    g = resnet8(density=0.1, seed=3)
    node = g.macs()[1]
    w = node.attrs.weights
    positive = replace(w, values=np.abs(w.values))
    g = g.with_nodes([replace(n, attrs=replace(n.attrs, weights=positive)) if n is node else n
                      for n in g.nodes])
    back = import_onnx(write_qonnx(g, tmp_path / "m.onnx"))
    assert back.node(node.name).attrs.weights.kind is WeightKind.TERNARY
    assert back == g


def test_brevitas_bias_quantizer_is_dequantized():
    node, inits = quant("b", "bq", np.float32(0.25), 16)
    inits.update(w=np.ones((2, 3)), b=[1.0, -0.3])
    nodes = [node, helper.make_node("Gemm", ["x", "w", "bq"], ["y"], name="fc", transB=1)]
    g = import_onnx(model_bytes(nodes, inits, [1, 3]))
    np.testing.assert_array_equal(g.macs()[0].attrs.bias, [1.0, -0.25])


# ----------------------------------------------------------------- QONNX round trip

@given(st.integers(0, 10_000))
def test_qonnx_round_trip_random_graphs(seed):
    g = random_graph(seed)
    data = qonnx_bytes(g)
    back = import_onnx(data)
    assert back == g
    assert qonnx_bytes(back) == data


def test_qonnx_round_trip_zoo_file(tmp_path):
    g = resnet8(seed=5)
    path = write_qonnx(g, tmp_path / "r8.onnx")
    assert not [p for p in tmp_path.iterdir() if p.name != "r8.onnx"]  # no temp files left
    model = onnx.load(str(path))
    onnx.checker.check_model(model)
    assert model.opset_import[0].version >= 13
    types = {a.tensor_name: a.quant_parameter_tensor_names[0].value
             for a in model.graph.quantization_annotation}
    assert types["layer1.0.conv1/weight"] == "TERNARY" and types["conv1/weight"] == "INT8"
    assert types["conv1.quant"] == "UINT8" and types["input.quant"] == "INT8"
    assert import_onnx(path) == g
    assert load_model(str(path)) == g
    assert write_qonnx(g, tmp_path / "again.onnx").read_bytes() == path.read_bytes()


def test_qonnx_export_rejects_integer_graphs():
    from tritium.passes import lower
    with pytest.raises(UnsupportedError, match="float-stage"):
        qonnx_bytes(lower(resnet8()))


# ----------------------------------------------------------------- bad input

def one_line(e) -> str:
    msg = str(e.value)
    assert "\n" not in msg and msg
    return msg


def test_truncated_file(tmp_path):
    data = qonnx_bytes(resnet8())
    for cut in (len(data) // 7, len(data) // 2, len(data) - 3):
        p = tmp_path / f"cut{cut}.onnx"
        p.write_bytes(data[:cut])
        with pytest.raises(ModelError) as e:
            import_onnx(p)
        assert "ONNX" in one_line(e) or "truncated" in one_line(e)


@pytest.mark.parametrize("content", [b"this is not an onnx model\n", b"\x00\xff" * 50, b""])
def test_not_onnx(tmp_path, content):
    p = tmp_path / "bad.onnx"
    p.write_bytes(content)
    with pytest.raises(ModelError) as e:
        import_onnx(p)
    assert "re-export" in one_line(e)


def test_missing_file(tmp_path):
    with pytest.raises(ModelError, match="not found"):
        load_model(str(tmp_path / "nope.onnx"))
    with pytest.raises(ModelError, match="zoo:resnet8"):
        load_model("resnet8")


def test_unsupported_op_names_op_node_and_supported_list():
    nodes = [helper.make_node("Sigmoid", ["x"], ["y"], name="act7")]
    with pytest.raises(UnsupportedError) as e:
        import_onnx(model_bytes(nodes, {}, [1, 4]))
    msg = one_line(e)
    assert "Sigmoid" in msg and "act7" in msg and "Conv" in msg and "Quant" in msg


def test_unsupported_torch_op():
    torch = pytest.importorskip("torch")
    m = torch.nn.Sequential(torch.nn.Conv2d(1, 2, 3), torch.nn.Sigmoid())
    with pytest.raises(UnsupportedError, match="Sigmoid"):
        import_onnx(torch_onnx(m, (1, 5, 5)))


def test_dynamic_shape_needs_input_shape():
    torch = pytest.importorskip("torch")
    m = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3), torch.nn.ReLU())
    dyn = torch.export.Dim.DYNAMIC
    data = torch_onnx(m, (3, 8, 8), dynamic_shapes=({0: dyn, 2: dyn, 3: dyn},))
    with pytest.raises(ModelError) as e:
        import_onnx(data)
    assert "--input-shape C,H,W" in one_line(e)
    assert import_onnx(data, input_shape="3,10,9").input.shape == (10, 9, 3)
    with pytest.raises(ModelError, match="contradicts"):
        import_onnx(data, input_shape=(4, 10, 9))
    with pytest.raises(OptionError):
        import_onnx(data, input_shape="3,x")


def test_nan_and_inf_weights():
    for bad in (np.nan, np.inf):
        w = np.ones((2, 3), np.float32)
        w[1, 2] = bad
        nodes = [helper.make_node("Gemm", ["x", "w"], ["y"], name="fc", transB=1)]
        with pytest.raises(QuantizationError) as e:
            import_onnx(model_bytes(nodes, {"w": w}, [1, 3]))
        assert "NaN or infinite" in one_line(e)
    nodes = [helper.make_node("Gemm", ["x", "w", "b"], ["y"], name="fc", transB=1)]
    with pytest.raises(QuantizationError, match="NaN"):
        import_onnx(model_bytes(nodes, {"w": np.ones((2, 3)), "b": [0.0, np.nan]}, [1, 3]))


def test_declared_ternary_but_not():
    nodes = [helper.make_node("Gemm", ["x", "w"], ["y"], name="fc", transB=1)]
    w = np.array([[1, 0, -1], [0.5, 1, 0]], np.float32)
    with pytest.raises(QuantizationError) as e:
        import_onnx(model_bytes(nodes, {"w": w}, [1, 3], annotations=[("w", "TERNARY")]))
    assert "ternary" in one_line(e)
    ok = import_onnx(model_bytes(nodes, {"w": np.round(w)}, [1, 3], annotations=[("w", "TERNARY")]))
    assert ok.macs()[0].attrs.weights.kind is WeightKind.TERNARY
    data = _brevitas_like(w_bits=4, narrow=0, annotate=[("w1q", "TERNARY")])[0]
    with pytest.raises(QuantizationError, match="declared TERNARY"):
        import_onnx(data)


def test_nonzero_zero_point_is_unsupported():
    with pytest.raises(UnsupportedError) as e:
        import_onnx(_brevitas_like(act_zp=3.0)[0])
    assert "zero point" in one_line(e)


def test_multiple_inputs_and_non_float_input():
    nodes = [helper.make_node("Relu", ["x"], ["y"], name="r")]
    with pytest.raises(UnsupportedError, match="element type"):
        import_onnx(model_bytes(nodes, {}, [1, 3], in_type=TensorProto.INT64))
    model = onnx.load_from_string(model_bytes([helper.make_node("Add", ["x", "x2"], ["y"])], {}, [1, 3]))
    model.graph.input.append(helper.make_tensor_value_info("x2", TensorProto.FLOAT, [1, 3]))
    with pytest.raises(UnsupportedError, match="2 inputs"):
        import_onnx(model.SerializeToString())


def test_graph_name_from_file(tmp_path):
    p = tmp_path / "mynet.onnx"
    p.write_bytes(torch_onnx(_cnn(), (3, 16, 16)))
    assert import_onnx(p).name == "mynet"
