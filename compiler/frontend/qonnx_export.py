"""Write a FLOAT-stage graph as a standard NCHW ONNX model with QONNX Quant nodes.

Ternary and integer weights are written as float weights (codes x scale)
behind a `Quant` node (domain `qonnx.custom_op.general`; ternary = 2-bit,
signed, narrow-range; per-output-channel scale), and every QUANT node of the
IR becomes an activation `Quant`. Quant outputs carry a `finn_datatype`
quantization annotation (TERNARY, INT8, UINT8, ...), the QONNX convention
that lets tools read the weights' nature without running the model.

`import_onnx(write_qonnx(g, path))` gives back `g`: names, attributes, weight
codes and scales compare equal. Values that float32 cannot hold exactly
(float64 scales, biases, BatchNorm statistics) are stored as double
initializers followed by a standard `Cast` to float, which the importer reads
at full precision. The flatten-order permutation (IR (h, w, c) versus ONNX
(c, h, w)) is undone in the columns of the dense layer that consumes it, as
the importer expects. Same graph, same bytes; the file is written to a
temporary name and moved into place.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from .. import __version__
from ..fileio import atomic_write
from ..errors import UnsupportedError
from ..ir.graph import Graph, Node
from ..ir.ops import Stage
from ..ir.types import WeightKind, Weights
from .onnx_import import flatten_perm

QONNX_DOMAIN = "qonnx.custom_op.general"
OPSET = 13
IR_VERSION = 8


def write_qonnx(graph: Graph, path) -> Path:
    """Write `graph` to `path` atomically; return the path."""
    path = Path(path)
    data = qonnx_bytes(graph)
    path.parent.mkdir(parents=True, exist_ok=True)
    return atomic_write(path, data)


def qonnx_bytes(graph: Graph) -> bytes:
    return to_qonnx(graph).SerializeToString(deterministic=True)


def to_qonnx(graph: Graph) -> onnx.ModelProto:
    if graph.stage is not Stage.FLOAT:
        raise UnsupportedError(f"graph '{graph.name}' is {graph.stage.value}-stage; QONNX export "
                               "writes float-stage graphs (export before lowering)")
    return _Exporter(graph).run()


def datatype(bits: int, signed: bool, ternary: bool = False) -> str:
    """FINN/QONNX datatype name of an integer type."""
    return "TERNARY" if ternary else f"{'INT' if signed else 'UINT'}{bits}"


class _Exporter:
    def __init__(self, g: Graph):
        self.g = g
        self.nodes: list[onnx.NodeProto] = []
        self.inits: list[onnx.TensorProto] = []
        self.annotations: list[tuple[str, str]] = []
        self.tensor: dict[str, str] = {}                  # IR node -> ONNX tensor
        self.perm: dict[str, np.ndarray | None] = {}      # IR vector node -> flatten permutation
        self.names: set[str] = set()

    def run(self) -> onnx.ModelProto:
        for n in self.g.nodes:
            getattr(self, f"_{n.op.value}", self._unsupported)(n)
        out = self.g.output_node
        perm = self.perm.get(out.name)
        if perm is not None and not np.array_equal(perm, np.arange(len(perm))):
            raise UnsupportedError("the graph output is a flattened feature map; QONNX export needs "
                                   "the output in (C, H, W) order: end with a dense layer or a pool")
        graph = helper.make_graph(self.nodes, self.g.name,
                                  [self._value_info(self.g.input, self.g.input.name)],
                                  [self._value_info(out, self.tensor[out.name])], self.inits)
        for tensor, dt in self.annotations:
            a = graph.quantization_annotation.add()
            a.tensor_name = tensor
            kv = a.quant_parameter_tensor_names.add()
            kv.key, kv.value = "finn_datatype", dt
        model = helper.make_model(graph, producer_name="tritium", producer_version=__version__,
                                  opset_imports=[helper.make_opsetid("", OPSET),
                                                 helper.make_opsetid(QONNX_DOMAIN, 1)])
        model.ir_version = IR_VERSION
        helper.set_model_props(model, {"tritium.stage": self.g.stage.value})
        return model

    # -- helpers --------------------------------------------------------------------------
    def _fresh(self, name: str) -> str:
        assert name not in self.names, f"QONNX export: tensor name '{name}' used twice"
        self.names.add(name)
        return name

    def _value_info(self, n: Node, tensor: str):
        s = n.shape
        dims = ["N", s[2], s[0], s[1]] if len(s) == 3 else ["N", *s]
        return helper.make_tensor_value_info(tensor, TensorProto.FLOAT, dims)

    def _node(self, op_type: str, inputs, output: str, name: str, domain: str = "", **attrs) -> str:
        self.nodes.append(helper.make_node(op_type, list(inputs), [self._fresh(output)], name=name,
                                           domain=domain, **attrs))
        return output

    def _const(self, name: str, value, exact: bool = True) -> str:
        """A float constant: float32 if that is exact (or `exact` is off), else a
        double initializer behind a Cast so the importer reads every bit."""
        v = np.asarray(value, dtype=np.float64)
        f32 = v.astype(np.float32)
        if not exact or np.array_equal(f32.astype(np.float64), v):
            self.inits.append(numpy_helper.from_array(f32, self._fresh(name)))
            return name
        self.inits.append(numpy_helper.from_array(v, self._fresh(f"{name}/f64")))
        return self._node("Cast", [f"{name}/f64"], name, f"{name}/cast", to=TensorProto.FLOAT)

    def _in(self, n: Node, i: int = 0) -> str:
        return self.tensor[n.inputs[i]]

    def _done(self, n: Node, tensor: str, perm: np.ndarray | None = None) -> None:
        self.tensor[n.name] = tensor
        self.perm[n.name] = perm

    def _weights(self, n: Node, w: Weights, perm: np.ndarray | None = None) -> str:
        """The weight tensor in ONNX layout, behind a Quant node unless float."""
        values = w.values if perm is None else w.values[:, np.argsort(perm)]
        if w.kind is WeightKind.FLOAT:
            real = values * w.scale.reshape((-1,) + (1,) * (values.ndim - 1))
            return self._const(f"{n.name}/weight", real if np.any(w.scale != 1) else values)
        if np.any(w.scale <= 0):
            raise UnsupportedError(f"weights of '{n.name}' have a non-positive scale; QONNX scales "
                                   "must be > 0")
        shape = (-1,) + (1,) * (values.ndim - 1)
        real = values * w.scale.reshape(shape)  # float32 of codes*scale rounds back to the codes
        x = self._const(f"{n.name}/weight_float", real, exact=False)
        ternary = w.kind is WeightKind.TERNARY
        scale = self._const(f"{n.name}/weight_scale", w.scale.reshape(shape))
        zero = self._const(f"{n.name}/weight_zero_point", 0.0)
        bits = self._const(f"{n.name}/weight_bit_width", float(w.bits))
        out = self._node("Quant", [x, scale, zero, bits], f"{n.name}/weight", f"{n.name}/weight_quant",
                         QONNX_DOMAIN, signed=1, narrow=int(ternary), rounding_mode="ROUND")
        self.annotations.append((out, datatype(w.bits, True, ternary)))
        return out

    # -- ops ------------------------------------------------------------------------------
    def _input(self, n: Node) -> None:
        x = self._fresh(n.name)
        a = n.attrs
        if a.pre_mul != 1.0:
            x = self._node("Mul", [x, self._const(f"{n.name}/pre_mul", a.pre_mul)],
                           f"{n.name}/scaled", f"{n.name}/pre_mul_op")
        if a.pre_add != 0.0:
            x = self._node("Add", [x, self._const(f"{n.name}/pre_add", a.pre_add)],
                           f"{n.name}/shifted", f"{n.name}/pre_add_op")
        self._done(n, x)

    def _conv2d(self, n: Node) -> None:
        a = n.attrs
        ins = [self._in(n), self._weights(n, a.weights)]
        if a.bias is not None:
            ins.append(self._const(f"{n.name}/bias", a.bias))
        kh, kw = a.kernel
        self._done(n, self._node("Conv", ins, n.name, n.name, kernel_shape=[kh, kw],
                                 strides=list(a.stride), pads=list(a.padding), group=a.groups,
                                 dilations=[1, 1]))

    def _dense(self, n: Node) -> None:
        a = n.attrs
        ins = [self._in(n), self._weights(n, a.weights, self.perm.get(n.inputs[0]))]
        if a.bias is not None:
            ins.append(self._const(f"{n.name}/bias", a.bias))
        self._done(n, self._node("Gemm", ins, n.name, n.name, transB=1))

    def _batchnorm(self, n: Node) -> None:
        a = n.attrs
        perm = self.perm.get(n.inputs[0])
        order = np.argsort(perm) if perm is not None else slice(None)
        params = [self._const(f"{n.name}/{k}", getattr(a, k)[order])
                  for k in ("gamma", "beta", "mean", "var")]
        self._done(n, self._node("BatchNormalization", [self._in(n), *params], n.name, n.name,
                                 epsilon=float(a.eps)), perm)

    def _relu(self, n: Node) -> None:
        self._done(n, self._node("Relu", [self._in(n)], n.name, n.name), self.perm.get(n.inputs[0]))

    def _clip(self, n: Node) -> None:
        lo, hi = n.attrs.lo, n.attrs.hi
        ins = [self._in(n),
               self._const(f"{n.name}/min", lo) if np.isfinite(lo) else "",
               self._const(f"{n.name}/max", hi) if np.isfinite(hi) else ""]
        while ins[-1] == "":
            ins.pop()
        self._done(n, self._node("Clip", ins, n.name, n.name), self.perm.get(n.inputs[0]))

    def _pool(self, n: Node, op_type: str, **extra) -> None:
        a = n.attrs
        self._done(n, self._node(op_type, [self._in(n)], n.name, n.name, kernel_shape=list(a.kernel),
                                 strides=list(a.stride), pads=list(a.padding), **extra))

    def _maxpool(self, n: Node) -> None:
        self._pool(n, "MaxPool")

    def _avgpool(self, n: Node) -> None:
        self._pool(n, "AveragePool", count_include_pad=1)

    def _globalavgpool(self, n: Node) -> None:
        nchw = self._node("GlobalAveragePool", [self._in(n)], f"{n.name}/nchw", n.name)
        self._done(n, self._node("Flatten", [nchw], n.name, f"{n.name}/flatten", axis=1))

    def _flatten(self, n: Node) -> None:
        src = self.g.node(n.inputs[0])
        perm = flatten_perm(src.shape[2], src.shape[0], src.shape[1]) if len(src.shape) == 3 \
            else self.perm.get(src.name)
        self._done(n, self._node("Flatten", [self._in(n)], n.name, n.name, axis=1), perm)

    def _add(self, n: Node) -> None:
        pa, pb = (self.perm.get(i) for i in n.inputs)
        if (pa is None) != (pb is None) or (pa is not None and not np.array_equal(pa, pb)):
            raise UnsupportedError(f"add '{n.name}' of vectors flattened in different orders")
        self._done(n, self._node("Add", [self._in(n, 0), self._in(n, 1)], n.name, n.name), pa)

    def _quant(self, n: Node) -> None:
        q = n.attrs.qtype
        ins = [self._in(n), self._const(f"{n.name}/scale", q.scale),
               self._const(f"{n.name}/zero_point", 0.0), self._const(f"{n.name}/bit_width", float(q.bits))]
        out = self._node("Quant", ins, n.name, n.name, QONNX_DOMAIN, signed=int(q.signed), narrow=0,
                         rounding_mode="ROUND")
        self.annotations.append((out, datatype(q.bits, q.signed)))
        self._done(n, out, self.perm.get(n.inputs[0]))

    def _unsupported(self, n: Node) -> None:
        raise UnsupportedError(f"'{n.name}' ({n.op.value}) cannot be written as QONNX")

