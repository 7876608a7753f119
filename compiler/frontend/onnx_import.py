"""Import an ONNX or QONNX model into a FLOAT-stage graph.

ONNX is NCHW with an explicit batch; the IR is channels-last without one.
Every ONNX activation tensor maps to one IR node plus a layout:

- `map`:  (N, C, H, W) <-> (H, W, C)
- `vec`:  (N, K) <-> (K,), with an optional permutation `perm` (IR element
  `i` is ONNX element `perm[i]`). An ONNX Flatten of a (C, H, W) map orders
  its vector (c, h, w) while the IR flattens (h, w, c); rather than moving
  data, the permutation travels with the tensor and is folded into the
  columns of the Gemm/MatMul that consumes it.
- `vec4`: (N, C, 1, 1) <-> (C,), what GlobalAveragePool gives; a following
  Flatten/Reshape is then a no-op.

Constants (initializers, Constant nodes and small shape arithmetic such as
`x.view(x.size(0), -1)` exports) are folded in float64. A QONNX `Quant` node
on a constant yields integer weight codes: 2-bit signed narrow-range is
ternary, any other width integer. A `Quant` node on an activation becomes an
IR QUANT with `QType(bits, signed, scale)`; its round-to-nearest maps to the
IR's `floor(x/s + 1/2)` (the modes differ only on exact ties).
Mul/Div/Add/Sub by a scalar or per-channel constant become IR AFFINE nodes,
Identity, Dropout and float Casts of an activation vanish, and the
canonicalization passes (`tritium.passes.canonicalize`) then fold every
AFFINE into a neighbour or refuse it.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import onnx
from onnx import numpy_helper

from ..errors import ModelError, OptionError, QuantizationError, UnsupportedError
from ..ir.graph import Graph, Node
from ..ir.ops import (AddAttrs, AffineAttrs, BatchNormAttrs, ClipAttrs, GapAttrs, InputAttrs, MacAttrs, NoAttrs,
                      Op, PoolAttrs, QuantAttrs, Stage)
from ..ir.shapes import out_shape
from ..ir.types import QType, TensorType, WeightKind, Weights

QUANT_DOMAINS = ("qonnx.custom_op.general", "finn.custom_op.general", "onnx.brevitas", "finn")
QUANT_OPS = ("Quant", "IntQuant")
NEAREST = ("ROUND", "HALF_EVEN", "HALF_UP", "HALF_DOWN")
ROUNDING = {
    "ROUND": np.round, "HALF_EVEN": np.round, "FLOOR": np.floor, "CEIL": np.ceil,
    "HALF_UP": lambda v: np.sign(v) * np.floor(np.abs(v) + 0.5),
    "HALF_DOWN": lambda v: np.sign(v) * np.ceil(np.abs(v) - 0.5),
    "ROUND_TO_ZERO": np.trunc, "DOWN": np.trunc,
    "UP": lambda v: np.sign(v) * np.ceil(np.abs(v)),
}
FLOAT_TYPES = (onnx.TensorProto.FLOAT, onnx.TensorProto.DOUBLE, onnx.TensorProto.FLOAT16)


@dataclass(frozen=True, eq=False)
class QConst:
    """A constant quantized by a Quant node: real = codes * scale (broadcast)."""

    codes: np.ndarray
    scale: np.ndarray
    kind: WeightKind
    bits: int

    def transpose(self, perm) -> "QConst":
        scale = np.broadcast_to(self.scale, self.codes.shape).transpose(perm)
        return QConst(self.codes.transpose(perm), scale, self.kind, self.bits)


@dataclass(frozen=True, eq=False)
class Act:
    """An ONNX activation tensor: the IR node holding it and its layout (see module doc).
    `pad` (top, left, bottom, right) with `pad_value` is an explicit ONNX Pad not yet
    applied; only a Conv or pool takes it, into its window's padding. `dims` is an
    ONNX shape the tensor is viewed with, its elements in the layout's order, on the way
    between two layouts (`x.squeeze(-1).squeeze(-1)` passes through (N, C, 1)); only
    another re-view takes it."""

    node: str
    layout: str
    perm: np.ndarray | None = None
    pad: tuple[int, int, int, int] | None = None
    pad_value: float = 0.0
    pad_node: str = ""
    dims: tuple[int, ...] | None = None   # a pending re-view (Squeeze/Unsqueeze/Reshape)


def import_onnx(src, input_shape=None, ternarize: str | None = None, name: str | None = None) -> Graph:
    """Read an ONNX/QONNX model (path or bytes) into a verified FLOAT-stage graph.

    `input_shape` (C, H, W) or (K,), or "C,H,W", fixes a dynamic input shape.
    `ternarize` ('twn' or 'int8') quantizes float weights post-training with
    the rule of `tritium.passes.quantize_weights`.
    """
    model, label = _load(src)
    graph_name = model.graph.name if model.graph.name not in ("", "main_graph") else label
    g = _Importer(model, _parse_shape(input_shape), name or graph_name).run()
    from ..passes import canonicalize
    g = canonicalize(g)
    if ternarize:
        from ..passes.quantize_weights import quantize_weights
        g = quantize_weights(g, ternarize)
    from ..ir.verify import verify
    return verify(g)


# ------------------------------------------------------------------ loading

def _load(src) -> tuple[onnx.ModelProto, str]:
    hint = "it may be truncated or not an ONNX file; re-export it (e.g. torch.onnx.export)"
    if isinstance(src, (bytes, bytearray)):
        label = "model"
        try:
            model = onnx.load_model_from_string(bytes(src))
        except Exception as e:  # protobuf raises DecodeError, RuntimeWarning, ...
            raise ModelError(f"the model bytes are not a readable ONNX model ({type(e).__name__}); "
                             f"{hint}") from None
    else:
        path = Path(src)
        label = path.stem
        if not path.is_file():
            raise ModelError(f"model file '{path}' not found; pass an existing .onnx file or zoo:NAME")
        try:
            model = onnx.load_model(str(path))
        except Exception as e:
            raise ModelError(f"'{path}' is not a readable ONNX model ({type(e).__name__}); {hint}") from None
    if model.ir_version <= 0 or not model.graph.node or not any(
            o.domain in ("", "ai.onnx") for o in model.opset_import):
        raise ModelError(f"'{label}' is not a complete ONNX model (no graph or opset); {hint}")
    return model, label


def _parse_shape(shape) -> tuple[int, ...] | None:
    if shape is None:
        return None
    try:
        dims = tuple(int(d) for d in (shape.split(",") if isinstance(shape, str) else shape))
    except (TypeError, ValueError):
        dims = ()
    if len(dims) not in (1, 3) or min(dims) < 1:
        raise OptionError(f"input shape {shape!r} must be C,H,W (or K for a vector), positive integers")
    return dims


def _f32_attr(x: float) -> float:
    """ONNX float attributes are float32; read them as the shortest decimal that
    round-trips, so 1e-5 written by an exporter reads back as 1e-5."""
    return float(str(np.float32(x)))


def flatten_perm(c: int, h: int, w: int) -> np.ndarray:
    """perm with IR index (h, w, c) -> ONNX index (c, h, w) of a flattened map."""
    return np.arange(c * h * w).reshape(c, h, w).transpose(1, 2, 0).ravel()


def _attrs(node) -> dict:
    out = {}
    for a in node.attribute:
        v = onnx.helper.get_attribute_value(a)
        if a.type == onnx.AttributeProto.FLOAT:
            v = _f32_attr(v)
        elif isinstance(v, bytes):
            v = v.decode()
        out[a.name] = v
    return out


# ------------------------------------------------------------------ the importer

class _Importer:
    def __init__(self, model: onnx.ModelProto, input_shape, name: str):
        self.g = model.graph
        self.name = name
        self.consts: dict[str, np.ndarray | QConst] = {}
        self.acts: dict[str, Act] = {}
        self.nodes: list[Node] = []
        self.pos: dict[str, int] = {}
        self.dtype = {a.tensor_name: next((kv.value for kv in a.quant_parameter_tensor_names
                                           if kv.key == "finn_datatype"), None)
                      for a in self.g.quantization_annotation}
        self.input_shape = input_shape

    # -- driver ------------------------------------------------------------------
    def run(self) -> Graph:
        for t in self.g.initializer:
            self.consts[t.name] = self._tensor(t)
        self._input()
        for node in self.g.node:
            self._node(node)
        return self._output()

    def _tensor(self, t) -> np.ndarray:
        try:
            a = numpy_helper.to_array(t)
        except Exception as e:
            raise ModelError(f"tensor '{t.name}' cannot be read ({e}); the file may be truncated") from None
        return a.astype(np.float64) if a.dtype.kind == "f" else a

    def _input(self) -> None:
        inputs = [i for i in self.g.input if i.name not in self.consts]
        if len(inputs) != 1:
            what = "no input" if not inputs else f"{len(inputs)} inputs ({', '.join(i.name for i in inputs)})"
            raise (ModelError if not inputs else UnsupportedError)(
                f"model '{self.name}' has {what}; Tritium compiles single-input networks")
        inp = inputs[0]
        tt = inp.type.tensor_type
        if tt.elem_type not in FLOAT_TYPES:
            kind = onnx.TensorProto.DataType.Name(tt.elem_type)
            raise UnsupportedError(f"input '{inp.name}' has element type {kind}; only float inputs "
                                   "are supported")
        dims = [d.dim_value if d.HasField("dim_value") and d.dim_value > 0 else None for d in tt.shape.dim]
        chw = self._input_dims(inp.name, tt.HasField("shape"), dims)
        shape = (chw[1], chw[2], chw[0]) if len(chw) == 3 else chw
        self._emit(inp.name, Op.INPUT, [], InputAttrs(), shape=shape)
        self.acts[inp.name] = Act(self.nodes[0].name, "map" if len(chw) == 3 else "vec")

    def _input_dims(self, name: str, has_shape: bool, dims) -> tuple[int, ...]:
        given = self.input_shape
        if has_shape and len(dims) not in (2, 4):
            raise UnsupportedError(f"input '{name}' has rank {len(dims)}; supported inputs are "
                                   "N,C,H,W images and N,K vectors")
        static = tuple(dims[1:]) if has_shape else None
        if given is None:
            if static is None or None in static:
                shown = ",".join("?" if d is None else str(d) for d in (static or ()))
                raise ModelError(f"input '{name}' has a dynamic or unknown shape ({shown or 'none'}); "
                                 "pass --input-shape C,H,W (input_shape=(C, H, W))")
            return static
        if static is not None and (len(static) != len(given) or any(
                d is not None and d != g for d, g in zip(static, given))):
            raise ModelError(f"--input-shape {','.join(map(str, given))} contradicts the model's input "
                             f"shape {','.join('?' if d is None else str(d) for d in static)}")
        return given

    def _output(self) -> Graph:
        if len(self.g.output) != 1:
            raise UnsupportedError(f"model '{self.name}' has {len(self.g.output)} outputs; "
                                   "Tritium compiles single-output networks")
        out = self.g.output[0].name
        if out not in self.acts:
            raise ModelError(f"graph output '{out}' is not computed from the input")
        act = self._act(out, "the graph output")
        if act.perm is not None and not np.array_equal(act.perm, np.arange(len(act.perm))):
            raise UnsupportedError("the graph output is a flattened feature map; end the network "
                                   "with a Gemm/MatMul or a global pool")
        return Graph(self.name, tuple(self.nodes), act.node, Stage.FLOAT)

    def _node(self, node) -> None:
        for i in node.input:
            if i and i not in self.consts and i not in self.acts:
                raise ModelError(f"node '{node.name or node.op_type}' reads tensor '{i}' that no "
                                 "initializer or earlier node produces; the file may be truncated or corrupt")
        ins = [i for i in node.input if i]
        if node.op_type == "Constant":
            self.consts[node.output[0]] = self._constant(node)
        elif all(i in self.consts for i in ins) and node.op_type in CONST_FOLD:
            self.consts[node.output[0]] = self._fold(node)
        elif node.op_type in QUANT_OPS and node.domain in QUANT_DOMAINS:
            self._quant(node)
        elif node.op_type in HANDLERS and node.domain in ("", "ai.onnx"):
            getattr(self, HANDLERS[node.op_type])(node)
        else:
            where = f"{node.domain}." if node.domain else ""
            fix = FIXES.get(node.op_type, "supported ops: " + ", ".join(sorted(set(HANDLERS) | {"Constant"}))
                            + ", and QONNX Quant")
            raise UnsupportedError(f"unsupported op {where}{node.op_type} (node '{_label(node)}'); {fix}")

    # -- IR emission ---------------------------------------------------------------
    def _emit(self, base: str, op: Op, inputs, attrs=None, qtype=None, shape=None) -> str:
        attrs = NoAttrs() if attrs is None else attrs
        name, k = base or op.value, 1
        while name in self.pos:
            k += 1
            name = f"{base}_{k}"
        if shape is None:
            shape = out_shape(op, attrs, [self.nodes[self.pos[i]].shape for i in inputs], where=name)
        self.pos[name] = len(self.nodes)
        self.nodes.append(Node(name, op, tuple(inputs), TensorType(tuple(shape), qtype), attrs))
        return name

    def _ir(self, name: str) -> Node:
        return self.nodes[self.pos[name]]

    def _act(self, tensor: str, what: str, pad: bool = False, view: bool = False) -> Act:
        """The activation `tensor` as `what` reads it. Only a Conv or pool takes one under
        an explicit Pad (`pad`), only another re-view one under a pending re-view (`view`)."""
        if tensor not in self.acts:
            raise UnsupportedError(f"{what} takes the constant '{tensor}' where an activation is expected")
        x = self.acts[tensor]
        if x.pad is not None and not pad:
            raise UnsupportedError(f"Pad '{x.pad_node}' feeds '{what}'; an explicit Pad is supported "
                                   "only right before a Conv, AveragePool or MaxPool, whose window "
                                   "takes it: move the padding into that layer")
        if x.dims is not None and not view:
            raise UnsupportedError(f"'{what}' takes a tensor viewed as {x.dims}; Tritium keeps "
                                   "tensors as (N, K) vectors and (N, C, H, W) feature maps: "
                                   "reshape to one of those first")
        return x

    def _set(self, node, act: Act) -> None:
        self.acts[node.output[0]] = act

    def _unary(self, node, op: Op, attrs=None) -> None:
        x = self._act(node.input[0], _label(node))
        self._set(node, replace(x, node=self._emit(_label(node), op, [x.node], attrs)))

    def _need(self, node, x: Act, layout: str) -> Act:
        if x.layout != layout:
            kind = {"map": "an N,C,H,W feature map", "vec": "an N,K vector"}[layout]
            if x.layout == "nhwc":
                raise UnsupportedError(f"{node.op_type} '{_label(node)}' needs {kind}; got an N,H,W,C "
                                       "tensor (a Transpose to NHWC is supported only before a flatten)")
            raise UnsupportedError(f"{node.op_type} '{_label(node)}' needs {kind}; got a {x.layout} "
                                   "tensor (insert Flatten before Gemm/MatMul)")
        return x

    def _const(self, node, idx: int, what: str, default=None, finite: bool = True) -> np.ndarray | None:
        if idx >= len(node.input) or not node.input[idx]:
            return default
        name = node.input[idx]
        v = self.consts.get(name)
        if v is None:
            raise UnsupportedError(f"{node.op_type} '{_label(node)}': {what} '{name}' must be a "
                                   "constant (an initializer)")
        if isinstance(v, QConst):  # e.g. a Brevitas bias quantizer: use its real values
            v = v.codes * v.scale
        if finite and v.dtype.kind == "f" and not np.all(np.isfinite(v)):
            raise QuantizationError(f"{what} of '{_label(node)}' contains NaN or infinite values; "
                                    "fix or retrain the model before compiling it")
        return v

    # -- constants -------------------------------------------------------------------
    def _constant(self, node) -> np.ndarray:
        a = node.attribute[0]
        if a.name == "value":
            return self._tensor(a.t)
        v = onnx.helper.get_attribute_value(a)
        if a.name == "value_float":
            return np.array(_f32_attr(v))
        if a.name == "value_floats":
            return np.array([_f32_attr(f) for f in v])
        if a.name in ("value_int", "value_ints"):
            return np.array(v, dtype=np.int64)
        raise UnsupportedError(f"Constant '{_label(node)}' with attribute {a.name} is not supported")

    def _fold(self, node):
        ins = [self.consts[i] if i else None for i in node.input]
        at = _attrs(node)
        x = ins[0]
        if isinstance(x, QConst):
            if node.op_type in ("Identity", "Dropout"):
                return x
            if node.op_type == "Transpose":
                return x.transpose(at.get("perm", tuple(reversed(range(x.codes.ndim)))))
            raise UnsupportedError(f"{node.op_type} '{_label(node)}' on quantized weights is not supported")
        return CONST_FOLD[node.op_type](self, x, ins, at)

    # -- QONNX Quant -----------------------------------------------------------------------
    def _quant(self, node) -> None:
        at = _attrs(node)
        signed, narrow = bool(at.get("signed", 1)), bool(at.get("narrow", 0))
        mode = str(at.get("rounding_mode", "ROUND")).upper()
        scale = self._const(node, 1, "quantizer scale")
        zp = self._const(node, 2, "quantizer zero point")
        bw = self._const(node, 3, "quantizer bit width")
        where = f"Quant '{_label(node)}'"
        if np.any(zp != 0):
            raise UnsupportedError(f"{where} has a nonzero zero point; only zero_point 0 (symmetric "
                                   "quantization) is supported: export with zero_point=0")
        if bw.size != 1 or bw.ravel()[0] != round(bw.ravel()[0]) or bw.ravel()[0] < 2:
            raise UnsupportedError(f"{where}: bit width {bw.ravel().tolist()} must be one integer >= 2 "
                                   "(binary/bipolar quantizers are not supported)")
        bits = int(bw.ravel()[0])
        if np.any(scale <= 0):
            raise QuantizationError(f"{where} has a non-positive scale; scales must be > 0")
        if node.input[0] in self.consts:
            self._quant_weights(node, where, scale, bits, signed, narrow, mode)
        else:
            self._quant_act(node, where, scale, bits, signed, narrow, mode)

    def _quant_weights(self, node, where, scale, bits, signed, narrow, mode) -> None:
        x = self.consts[node.input[0]]
        if isinstance(x, QConst) or mode not in ROUNDING:
            what = "requantized weights" if isinstance(x, QConst) else f"rounding mode {mode}"
            raise UnsupportedError(f"{where}: {what} is not supported")
        lo = -(1 << (bits - 1)) + int(narrow) if signed else 0
        hi = (1 << (bits - 1)) - 1 if signed else (1 << bits) - 1 - int(narrow)
        with np.errstate(invalid="ignore"):
            codes = np.clip(ROUNDING[mode](x / scale), lo, hi)
        codes = np.where(np.isfinite(x), codes, x)  # keep NaN/inf for the Weights check
        ternary = bits == 2 and signed and narrow
        kind = WeightKind.TERNARY if ternary else WeightKind.INT
        declared = self.dtype.get(node.output[0])
        if declared == "TERNARY" and not ternary:
            raise QuantizationError(
                f"weights '{node.output[0]}' are declared TERNARY but {where} is a {bits}-bit "
                f"{'signed' if signed else 'unsigned'}{' narrow' if narrow else ''} quantizer; "
                "a ternary quantizer is 2-bit, signed, narrow-range")
        self.consts[node.output[0]] = QConst(codes, scale, kind, bits if signed else bits + 1)

    def _quant_act(self, node, where, scale, bits, signed, narrow, mode) -> None:
        if scale.size != 1:
            raise UnsupportedError(f"{where}: per-channel activation scales are not supported; "
                                   "use one scale per tensor")
        if narrow:
            raise UnsupportedError(f"{where}: narrow-range activation quantizers are not supported; "
                                   "export the activation quantizer with narrow_range=False")
        if mode not in NEAREST or bits > 16:
            what = f"rounding mode {mode}" if mode not in NEAREST else f"{bits} bits"
            raise UnsupportedError(f"{where}: {what} is not supported; activations round to nearest "
                                   "with 2..16 bits")
        self._unary(node, Op.QUANT, QuantAttrs(QType(bits, signed, float(scale.ravel()[0]))))

    # -- weights ---------------------------------------------------------------------------
    def _weights(self, node, idx: int, transpose: bool = False, gain: float = 1.0) -> Weights:
        """Weights with the output channel first, from a float or quantized constant."""
        name = node.input[idx]
        v = self.consts.get(name)
        if v is None:
            raise UnsupportedError(f"{node.op_type} '{_label(node)}': weights '{name}' must be constant "
                                   "(an initializer, or a Quant node on one)")
        if transpose:
            v = v.transpose((1, 0)) if isinstance(v, QConst) else v.T
        label = _label(node)
        if isinstance(v, QConst):
            per = np.broadcast_to(v.scale, v.codes.shape).reshape(len(v.codes), -1)
            if per.size and not np.all(per == per[:, :1]):
                raise UnsupportedError(f"weights of '{label}' have scales that vary within an output "
                                       "channel; use per-tensor or per-output-channel scales")
            return Weights(v.kind, v.codes, per[:, 0] * gain, v.bits, label)
        declared = self.dtype.get(name)
        if declared in (None, "FLOAT32"):
            return Weights(WeightKind.FLOAT, v * gain, np.ones(len(v)), 32, label)
        if declared in ("TERNARY", "BIPOLAR", "BINARY"):
            return Weights(WeightKind.TERNARY, v, np.full(len(v), gain), 2, label)
        for prefix, extra in (("INT", 0), ("UINT", 1)):
            if declared.startswith(prefix) and declared[len(prefix):].isdigit():
                bits = int(declared[len(prefix):]) + extra
                return Weights(WeightKind.INT, v, np.full(len(v), gain), bits, label)
        raise UnsupportedError(f"weights '{name}' have data type {declared}; supported: FLOAT32, "
                               "TERNARY, BIPOLAR, BINARY, INTn, UINTn")

    def _vec_weights(self, node, x: Act, w: Weights) -> Weights:
        """Reorder dense weight columns into the IR order of a permuted vector."""
        if x.perm is None:
            return w
        if w.values.shape[1] != len(x.perm):
            raise UnsupportedError(f"'{_label(node)}': weights of width {w.values.shape[1]} do not "
                                   f"match the input width {len(x.perm)}")
        return Weights(w.kind, w.values[:, x.perm], w.scale, w.bits, w.name)

    def _bias(self, node, idx: int, m: int, gain: float = 1.0) -> np.ndarray | None:
        b = self._const(node, idx, "bias")
        if b is None:
            return None
        if b.size not in (1, m):
            raise UnsupportedError(f"'{_label(node)}': bias of shape {b.shape} for {m} outputs")
        return np.broadcast_to(b.astype(np.float64).ravel(), (m,)) * gain

    # -- op handlers ---------------------------------------------------------------------
    def _conv(self, node) -> None:
        x = self._need(node, self._act(node.input[0], _label(node), pad=True), "map")
        at = _attrs(node)
        w = self._weights(node, 1)
        if w.values.ndim != 4:
            raise UnsupportedError(f"Conv '{_label(node)}' is not 2-D (weights {w.values.shape})")
        _no_dilation(node, at)
        stride = tuple(at.get("strides", (1, 1)))
        pads = self._window_pads(node, x, at, w.values.shape[2:], stride, 0.0)
        attrs = MacAttrs(w, self._bias(node, 2, w.out_channels), stride, pads, int(at.get("group", 1)))
        self._set(node, Act(self._emit(_label(node), Op.CONV2D, [x.node], attrs), "map"))

    def _gemm(self, node) -> None:
        at = _attrs(node)
        if at.get("transA", 0):
            raise UnsupportedError(f"Gemm '{_label(node)}' with transA=1 is not supported")
        x = self._need(node, self._act(node.input[0], _label(node)), "vec")
        alpha, beta = at.get("alpha", 1.0), at.get("beta", 1.0)
        w = self._vec_weights(node, x, self._weights(node, 1, not at.get("transB", 0), alpha))
        attrs = MacAttrs(w, self._bias(node, 2, w.out_channels, beta))
        self._set(node, Act(self._emit(_label(node), Op.DENSE, [x.node], attrs), "vec"))

    def _matmul(self, node) -> None:
        x = self._need(node, self._act(node.input[0], _label(node)), "vec")
        w = self._vec_weights(node, x, self._weights(node, 1, transpose=True))
        self._set(node, Act(self._emit(_label(node), Op.DENSE, [x.node], MacAttrs(w)), "vec"))

    def _batchnorm(self, node) -> None:
        x = self._act(node.input[0], _label(node))
        gamma, beta, mean, var = (self._const(node, i, n) for i, n in
                                  ((1, "scale"), (2, "bias"), (3, "mean"), (4, "var")))
        p = x.perm if x.perm is not None else slice(None)
        attrs = BatchNormAttrs(mean[p], var[p], gamma[p], beta[p], _attrs(node).get("epsilon", 1e-5))
        self._set(node, replace(x, node=self._emit(_label(node), Op.BATCHNORM, [x.node], attrs)))

    def _relu(self, node) -> None:
        self._unary(node, Op.RELU)

    def _clip(self, node) -> None:
        at = _attrs(node)
        lo = self._const(node, 1, "Clip min", np.array(at.get("min", -np.inf)))
        hi = self._const(node, 2, "Clip max", np.array(at.get("max", np.inf)))
        self._unary(node, Op.CLIP, ClipAttrs(float(lo.ravel()[0]), float(hi.ravel()[0])))

    def _pool(self, node) -> None:
        x = self._need(node, self._act(node.input[0], _label(node), pad=True), "map")
        at = _attrs(node)
        _no_dilation(node, at)
        op = Op.MAXPOOL if node.op_type == "MaxPool" else Op.AVGPOOL
        k = tuple(at["kernel_shape"])
        stride = tuple(at.get("strides", (1, 1)))
        own = _pads(node, at, self._padded_hw(x), k, stride)
        if op is Op.AVGPOOL and any(own) and not at.get("count_include_pad", 0):
            raise UnsupportedError(f"AveragePool '{_label(node)}' with padding excludes the padding from "
                                   "its divisor; export with count_include_pad=1")
        pads = self._window_pads(node, x, at, k, stride, -np.inf if op is Op.MAXPOOL else 0.0)
        h, w, _ = self._ir(x.node).shape
        pads = _ceil_pads(node, at, (h, w), k, stride, pads, op)
        self._set(node, Act(self._emit(_label(node), op, [x.node], PoolAttrs(k, stride, pads)), "map"))

    def _padded_hw(self, x: Act) -> tuple[int, int]:
        h, w, _ = self._ir(x.node).shape
        t, l, b, r = x.pad or (0, 0, 0, 0)
        return h + t + b, w + l + r

    def _window_pads(self, node, x: Act, at, k, stride, value: float) -> tuple[int, int, int, int]:
        """The layer's own padding (explicit, or auto_pad over the padded input) plus an
        explicit Pad in front of it, which must insert what the window inserts."""
        own = _pads(node, at, self._padded_hw(x), k, stride)
        if x.pad is None:
            return own
        if x.pad_value != value and not (value == -np.inf and x.pad_value <= -3.0e38):
            need = "0" if value == 0 else "-inf (or the lowest float)"
            raise UnsupportedError(f"Pad '{x.pad_node}' inserts {x.pad_value:g} before "
                                   f"{node.op_type} '{_label(node)}', whose window pads with {need}; "
                                   f"pad with {need} or remove the Pad")
        return tuple(a + b for a, b in zip(own, x.pad))

    def _pad(self, node) -> None:
        """An explicit constant Pad of the spatial axes, left for the Conv/pool after it."""
        x = self._need(node, self._act(node.input[0], _label(node), pad=True), "map")
        at = _attrs(node)
        where = f"Pad '{_label(node)}'"
        if at.get("mode", "constant") != "constant":
            raise UnsupportedError(f"{where} in mode '{at['mode']}'; only constant padding is "
                                   "supported (a window unit inserts a constant)")
        pads = self._const(node, 1, "pads", np.array(at.get("pads", [])))
        value = self._const(node, 2, "constant_value", np.array(at.get("value", 0.0)), finite=False)
        axes = self._const(node, 3, "axes", np.arange(4))
        full = np.zeros(8, np.int64)
        for i, a in enumerate(int(v) % 4 for v in axes.ravel()):
            full[a], full[a + 4] = pads.ravel()[i], pads.ravel()[i + len(axes.ravel())]
        if np.any(full[[0, 1, 4, 5]] != 0) or np.any(full < 0):
            raise UnsupportedError(f"{where} pads {full.tolist()}: only non-negative padding of the "
                                   "height and width axes is supported")
        mine = (int(full[2]), int(full[3]), int(full[6]), int(full[7]))
        v = float(value.ravel()[0]) if value.size else 0.0
        if x.pad is not None and x.pad_value != v:
            raise UnsupportedError(f"{where} pads with {v:g} after Pad '{x.pad_node}' with "
                                   f"{x.pad_value:g}; use one constant")
        total = tuple(a + b for a, b in zip(x.pad or (0, 0, 0, 0), mine))
        self._set(node, replace(x, pad=total, pad_value=v, pad_node=_label(node)))

    def _gap(self, node) -> None:
        x = self._need(node, self._act(node.input[0], _label(node)), "map")
        self._set(node, Act(self._emit(_label(node), Op.GLOBALAVGPOOL, [x.node], GapAttrs()), "vec4"))

    def _reduce_mean(self, node) -> None:
        """ReduceMean over height and width: what exporters write for AdaptiveAvgPool2d(1)
        and `x.mean((2, 3))`; a global average pool."""
        x = self._need(node, self._act(node.input[0], _label(node)), "map")
        at = _attrs(node)
        axes = self._const(node, 1, "axes", np.array(at.get("axes", [])))
        if sorted(int(a) % 4 for a in axes.ravel()) != [2, 3]:
            raise UnsupportedError(f"ReduceMean '{_label(node)}' over axes {axes.ravel().tolist()}; "
                                   "only the mean over height and width (axes 2, 3) is supported")
        name = self._emit(_label(node), Op.GLOBALAVGPOOL, [x.node], GapAttrs())
        self._set(node, Act(name, "vec4" if at.get("keepdims", 1) else "vec"))

    def _flatten(self, node) -> None:
        x = self._act(node.input[0], _label(node))
        if _attrs(node).get("axis", 1) != 1:
            raise UnsupportedError(f"Flatten '{_label(node)}' with axis != 1 is not supported")
        self._to_vector(node, x)

    def _to_vector(self, node, x: Act) -> None:
        if x.layout == "vec4":
            self._set(node, Act(x.node, "vec"))
            return
        perm = x.perm
        if x.layout == "map":
            h, w, c = self._ir(x.node).shape
            perm = flatten_perm(c, h, w)
        elif x.layout == "nhwc":   # (h, w, c) is the IR's own flatten order
            perm = None
        self._set(node, Act(self._emit(_label(node), Op.FLATTEN, [x.node]), "vec", perm))

    def _review(self, node, x: Act, dims) -> None:
        """Reshape, Squeeze, Unsqueeze, Flatten: the same elements in the same order under
        a new shape. Supported where the result is a layout (flattened to (N, K), or a
        vector seen as (N, C, 1, 1))."""
        x = replace(x, dims=None)
        size = int(np.prod(self._onnx_shape(x)))
        dims = tuple(int(d) for d in dims)
        if dims == self._onnx_shape(x):
            self._set(node, x)
        elif dims == (1, size):
            self._to_vector(node, x)
        elif dims == (1, size, 1, 1) and x.layout in ("vec", "vec4") and x.perm is None:
            self._set(node, Act(x.node, "vec4"))
        elif int(np.prod(dims)) == size and dims[:1] == (1,):
            self._set(node, replace(x, dims=dims))
        else:
            raise UnsupportedError(f"{node.op_type} '{_label(node)}' from {self._onnx_shape(x)} to "
                                   f"{dims} changes the batch axis; keep it first")

    def _reshape(self, node) -> None:
        x = self._act(node.input[0], _label(node), view=True)
        target = [int(d) for d in self._const(node, 1, "Reshape shape")]
        cur = self._onnx_shape(x)
        dims = [cur[i] if d == 0 else d for i, d in enumerate(target)]
        if -1 in dims:
            known = int(np.prod([d for d in dims if d != -1]))
            dims[dims.index(-1)] = int(np.prod(cur)) // known if known else 0
        self._review(node, x, dims)

    def _squeeze(self, node) -> None:
        x = self._act(node.input[0], _label(node), view=True)
        cur = self._onnx_shape(x)
        axes = self._const(node, 1, "axes", np.array(_attrs(node).get("axes", []), np.int64))
        gone = {int(a) % len(cur) for a in axes.ravel()} or {i for i, d in enumerate(cur) if d == 1 and i}
        if 0 in gone:
            raise UnsupportedError(f"Squeeze '{_label(node)}' removes the batch axis; squeeze only "
                                   "the axes after it (e.g. x.flatten(1))")
        self._review(node, x, [d for i, d in enumerate(cur) if i not in gone])

    def _unsqueeze(self, node) -> None:
        x = self._act(node.input[0], _label(node), view=True)
        axes = self._const(node, 1, "axes", np.array(_attrs(node).get("axes", []), np.int64))
        self._review(node, x, _unsqueeze(self, np.zeros(self._onnx_shape(x)), [None, axes], {}).shape)

    def _transpose(self, node) -> None:
        """A Transpose that moves only unit axes is a re-view; NCHW -> NHWC of a feature
        map (before a flatten, Keras style) reorders it into the IR's own (h, w, c) order."""
        x = self._act(node.input[0], _label(node), view=True)
        cur = self._onnx_shape(x)
        perm = [int(p) for p in _attrs(node).get("perm", reversed(range(len(cur))))]
        kept = [p for p in perm if cur[p] != 1]
        if perm[0] == 0 and kept == sorted(kept):
            self._review(node, x, [cur[p] for p in perm])
        elif x.layout == "map" and perm == [0, 2, 3, 1]:
            self._set(node, replace(x, layout="nhwc"))
        else:
            raise UnsupportedError(f"Transpose '{_label(node)}' with perm {perm} reorders the "
                                   f"{x.layout} tensor {cur}; only NCHW -> NHWC before a flatten, and "
                                   "transposes of unit axes, are supported")

    def _identity(self, node) -> None:
        self._set(node, self.acts[node.input[0]])

    def _cast_like(self, node) -> None:
        """CastLike(v, activation): the activations are float, so only a constant `v` changes."""
        if node.input[0] in self.consts:
            self.consts[node.output[0]] = np.asarray(self.consts[node.input[0]], np.float64)
        else:
            self._identity(node)

    def _cast(self, node) -> None:
        to = _attrs(node).get("to")
        if to not in FLOAT_TYPES:
            kind = onnx.TensorProto.DataType.Name(to) if to is not None else "no type"
            raise UnsupportedError(f"Cast '{_label(node)}' of an activation to {kind}; only casts "
                                   "between float types (no-ops here) are supported: remove the cast")
        self._identity(node)

    def _arith(self, node) -> None:
        """Add/Sub/Mul/Div: a residual Add, or an AFFINE by a constant that the
        canonicalization passes fold (`passes.fold_affine`)."""
        a, b = node.input[0], node.input[1]
        if a in self.acts and b in self.acts:
            if node.op_type != "Add":
                raise UnsupportedError(f"{node.op_type} '{_label(node)}' of two activations is not "
                                       "supported; only residual Add is")
            self._residual(node)
            return
        act_first = a in self.acts
        x = self._act(a if act_first else b, _label(node))
        c = self._channels(node, x, self._const(node, 1 if act_first else 0, "constant operand"))
        one, zero = np.ones_like(c), np.zeros_like(c)
        op = node.op_type
        if op == "Div" and not act_first:
            raise UnsupportedError(f"Div '{_label(node)}' of a constant by an activation is not "
                                   "supported; only division by a constant is")
        if op in ("Mul", "Div") and not np.all(np.isfinite(1 / c) & np.isfinite(c)):
            raise UnsupportedError(f"{op} '{_label(node)}' by a constant holding zero or a non-finite "
                                   "value; remove it or fix the constant")
        mul, add = {"Mul": (c, zero), "Div": (1 / c, zero), "Add": (one, c),
                    "Sub": (one, -c) if act_first else (-one, c)}[op]
        attrs = AffineAttrs(mul, add, op)
        self._set(node, replace(x, node=self._emit(_label(node), Op.AFFINE, [x.node], attrs)))

    def _channels(self, node, x: Act, c: np.ndarray) -> np.ndarray:
        """An ONNX constant broadcast against activation `x`, as one value per IR channel."""
        shape = self._onnx_shape(x)
        try:
            full = np.broadcast_to(c.astype(np.float64), shape) if c.ndim <= len(shape) else None
        except ValueError:
            full = None
        if full is None:
            raise UnsupportedError(f"{node.op_type} '{_label(node)}': a constant of shape {c.shape} "
                                   f"does not broadcast to the activation's shape {shape}")
        if x.layout == "vec":
            return full[0][x.perm] if x.perm is not None else full[0]
        per = full[0].reshape(shape[1], -1)
        if not np.all(per == per[:, :1]):
            raise UnsupportedError(f"{node.op_type} '{_label(node)}': the constant varies across the "
                                   "pixels of a channel; only scalar and per-channel constants are "
                                   "supported")
        return per[:, 0]

    def _residual(self, node) -> None:
        a = self._act(node.input[0], _label(node))
        b = self._act(node.input[1], _label(node))
        same_perm = (a.perm is None and b.perm is None) or (
            a.perm is not None and b.perm is not None and np.array_equal(a.perm, b.perm))
        if a.layout != b.layout or not same_perm:
            raise UnsupportedError(f"Add '{_label(node)}' of tensors with different layouts")
        name = self._emit(_label(node), Op.ADD, [a.node, b.node], AddAttrs())
        self._set(node, replace(a, node=name))

    def _onnx_shape(self, x: Act) -> tuple[int, ...]:
        if x.dims is not None:
            return x.dims
        s = self._ir(x.node).shape
        if x.layout == "map":
            return (1, s[2], s[0], s[1])
        if x.layout == "nhwc":
            return (1, s[0], s[1], s[2])
        return (1, s[0], 1, 1) if x.layout == "vec4" else (1, s[0])

    def _shape(self, node) -> None:
        """Shape of an activation, batch 1: feeds shape arithmetic such as x.view(x.size(0), -1)."""
        at = _attrs(node)
        shape = self._onnx_shape(self.acts[node.input[0]])[at.get("start", 0):at.get("end")]
        self.consts[node.output[0]] = np.array(shape, np.int64)


def _label(node) -> str:
    return node.name or (node.output[0] if node.output else node.op_type.lower())


def _no_dilation(node, at) -> None:
    if any(d != 1 for d in at.get("dilations", (1, 1))):
        raise UnsupportedError(f"{node.op_type} '{_label(node)}' with dilation "
                               f"{tuple(at['dilations'])} is not supported")


def _pads(node, at, hw, k, stride) -> tuple[int, int, int, int]:
    auto = at.get("auto_pad", "NOTSET")
    if auto in ("NOTSET", ""):
        p = tuple(at.get("pads", (0, 0, 0, 0)))
        if len(p) != 4:
            raise UnsupportedError(f"{node.op_type} '{_label(node)}' is not 2-D (pads {p})")
        return p  # ONNX order (x1_begin, x2_begin, x1_end, x2_end) = (top, left, bottom, right)
    if auto == "VALID":
        return (0, 0, 0, 0)
    begin, end = [], []
    for size, kk, s in zip(hw, k, stride):
        total = max((-(-size // s) - 1) * s + kk - size, 0)
        small, large = total // 2, total - total // 2
        begin.append(small if auto == "SAME_UPPER" else large)
        end.append(large if auto == "SAME_UPPER" else small)
    return (begin[0], begin[1], end[0], end[1])


def _ceil_pads(node, at, hw, k, stride, pads, op):
    """ceil_mode=1 as extra bottom/right padding (exact for max-pool)."""
    if not at.get("ceil_mode", 0):
        return pads
    extra = []
    for i, (size, kk, s) in enumerate(zip(hw, k, stride)):
        span = size + pads[i] + pads[i + 2] - kk
        out = -(-span // s) + 1
        if (out - 1) * s >= size + pads[i]:
            out -= 1
        extra.append(max((out - 1) * s + kk - (size + pads[i] + pads[i + 2]), 0))
    if any(extra) and op is Op.AVGPOOL:
        raise UnsupportedError(f"AveragePool '{_label(node)}' with ceil_mode=1 changes the output "
                               "size; export with ceil_mode=0")
    return (pads[0], pads[1], pads[2] + extra[0], pads[3] + extra[1])


# ------------------------------------------------------------------ constant folding

def _cast(imp, x, ins, at):
    to = at["to"]
    if to in FLOAT_TYPES:
        return x.astype(np.float64)  # keep full precision: an exporter's Cast of a double
    return x.astype(onnx.helper.tensor_dtype_to_np_dtype(to))


def _axes(ins, at):
    if len(ins) > 1 and ins[1] is not None:
        return [int(a) for a in ins[1]]
    return list(at.get("axes", []))


def _unsqueeze(imp, x, ins, at):
    for a in sorted(a % (x.ndim + len(_axes(ins, at))) for a in _axes(ins, at)):
        x = np.expand_dims(x, a)
    return x


def _squeeze(imp, x, ins, at):
    axes = _axes(ins, at)
    return np.squeeze(x, axis=tuple(axes) if axes else None)


def _slice(imp, x, ins, at):
    starts, ends = ins[1], ins[2]
    axes = ins[3] if len(ins) > 3 and ins[3] is not None else range(len(starts))
    steps = ins[4] if len(ins) > 4 and ins[4] is not None else [1] * len(starts)
    sl = [slice(None)] * x.ndim
    for s, e, a, st in zip(starts, ends, axes, steps):
        sl[int(a)] = slice(int(s), int(e), int(st))
    return x[tuple(sl)]


def _reshape_const(imp, x, ins, at):
    shape = [x.shape[i] if d == 0 else int(d) for i, d in enumerate(ins[1])]
    return x.reshape(shape)


CONST_FOLD = {
    "Identity": lambda imp, x, ins, at: x,
    "Dropout": lambda imp, x, ins, at: x,
    "Cast": _cast,
    "Transpose": lambda imp, x, ins, at: x.transpose(at.get("perm")),
    "Reshape": _reshape_const,
    "Unsqueeze": _unsqueeze,
    "Squeeze": _squeeze,
    "Slice": _slice,
    "Concat": lambda imp, x, ins, at: np.concatenate([np.atleast_1d(i) for i in ins], axis=at["axis"]),
    "Gather": lambda imp, x, ins, at: np.take(x, ins[1].astype(np.int64), axis=at.get("axis", 0)),
    "Add": lambda imp, x, ins, at: x + ins[1],
    "Sub": lambda imp, x, ins, at: x - ins[1],
    "Mul": lambda imp, x, ins, at: x * ins[1],
    "Div": lambda imp, x, ins, at: x / ins[1] if x.dtype.kind == "f" else x // ins[1],
    "Sqrt": lambda imp, x, ins, at: np.sqrt(x),
    # what the dynamo exporter leaves without its optimizer (optimize=False)
    "Shape": lambda imp, x, ins, at: np.array(x.shape[at.get("start", 0):at.get("end")], np.int64),
    "Expand": lambda imp, x, ins, at: x * np.ones([int(d) for d in ins[1]], x.dtype),
    "CastLike": lambda imp, x, ins, at: x.astype(np.float64 if ins[1].dtype.kind == "f" else ins[1].dtype),
    "Neg": lambda imp, x, ins, at: -x,
}

# What to change in the model for ops that exporters commonly write and Tritium refuses.
FIXES = {
    "Trunc": "a QONNX Trunc (Brevitas TruncAvgPool2d) rounds down, which no activation quantizer "
             "here does: use nn.AvgPool2d (its exact sum is kept) followed by a QuantIdentity",
    "BipolarQuant": "binary/bipolar activations are not supported: quantize with Quant of 2 or more "
                    "bits (ternary weights are 2-bit narrow Quant)",
}

HANDLERS = {
    "Conv": "_conv", "Gemm": "_gemm", "MatMul": "_matmul", "BatchNormalization": "_batchnorm",
    "Relu": "_relu", "Clip": "_clip", "MaxPool": "_pool", "AveragePool": "_pool",
    "GlobalAveragePool": "_gap", "ReduceMean": "_reduce_mean", "Pad": "_pad",
    "Flatten": "_flatten", "Reshape": "_reshape", "Squeeze": "_squeeze", "Unsqueeze": "_unsqueeze",
    "Transpose": "_transpose", "Identity": "_identity", "Dropout": "_identity", "Cast": "_cast",
    "CastLike": "_cast_like", "Add": "_arith", "Sub": "_arith", "Mul": "_arith", "Div": "_arith",
    "Shape": "_shape",
}

