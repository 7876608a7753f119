"""PyTorch frontend: an `nn.Module` traced with torch.fx into a FLOAT-stage graph.

PyTorch is NCHW, the IR is channels-last: every value is tracked with its
torch shape (batch excluded) beside its IR node. Flattening a `(C, H, W)` map
gives the IR vector in `(H, W, C)` order, so the importer remembers the
permutation (IR index -> torch index) and applies it to the columns of the
Linear (and the parameters of a BatchNorm1d) that consume it.

The project's quantized modules (`tritium.compression.modules`) are leaves of
the trace: `QuantAct` becomes a QUANT node, ternary and integer weight
modules give TERNARY / INT weights with their exact codes and scales.
"""
from __future__ import annotations

import operator
from dataclasses import dataclass

import numpy as np

from ..errors import ModelError, UnsupportedError
from ..ir.graph import Graph, GraphBuilder
from ..ir.ops import (AddAttrs, BatchNormAttrs, ClipAttrs, GapAttrs, InputAttrs, MacAttrs, NoAttrs, Op,
                      PoolAttrs, QuantAttrs)
from ..ir.types import WeightKind, Weights

SUPPORTED = (
    "modules: Conv2d (groups 1 or depthwise), Linear, BatchNorm1d/2d, ReLU, ReLU6, Hardtanh, "
    "MaxPool2d, AvgPool2d, AdaptiveAvgPool2d(1), Flatten, Dropout, Identity, ZeroPad2d and "
    "ConstantPad2d before a Conv2d or pool, and Tritium's "
    "QuantAct, TernaryConv2d, TernaryLinear, IntConv2d, IntLinear; functions: + / torch.add, "
    "torch.flatten(x, 1), relu, x.view/reshape(N, -1), x.size(0)")


@dataclass(frozen=True)
class _Val:
    """An fx value: its IR node, torch shape (no batch), and for vectors made
    by flattening a map, `perm[i]` = the torch index of IR element i."""

    name: str
    tshape: tuple[int, ...]
    perm: np.ndarray | None = None
    pad: tuple[int, int, int, int] | None = None   # a ZeroPad2d/ConstantPad2d not yet applied
    pad_value: float = 0.0


class _Batch:
    """`x.size(0)` / `x.shape[0]`: the batch dimension in a view/reshape."""


class _Shape:
    """`x.shape`, only ever indexed at 0."""


def import_torch(module, input_shape_chw, name: str = "model") -> Graph:
    """Trace `module` for inputs of shape `(C, H, W)` (or `(K,)`) into a FLOAT graph."""
    shape = _check_shape(input_shape_chw)
    return _Importer(module, name).run(shape)


def _check_shape(s) -> tuple[int, ...]:
    try:
        shape = tuple(int(d) for d in s)
    except (TypeError, ValueError):
        raise ModelError(f"input shape {s!r} is not a tuple of integers; give (C, H, W), e.g. (1, 8, 8)")
    if len(shape) not in (1, 3) or min(shape) < 1:
        raise ModelError(f"input shape {shape} must be (C, H, W) or (K,) with positive sizes, "
                         "batch excluded")
    return shape


def _tracer():
    import torch.fx as fx

    from ..compression.modules import QUANT_MODULES

    class Tracer(fx.Tracer):
        def is_leaf_module(self, m, qualname):  # our modules are atomic layers
            return isinstance(m, QUANT_MODULES) or super().is_leaf_module(m, qualname)

    return Tracer()


def _pair(v) -> tuple[int, int]:
    return (int(v[0]), int(v[1])) if isinstance(v, (tuple, list)) else (int(v), int(v))


def _ir_name(path: str) -> str:
    return path.replace(".", "_") or "node"


class _Importer:
    def __init__(self, module, name: str):
        self.module = module
        self.b = GraphBuilder(name)
        self.vals: dict[str, object] = {}
        self.mods = dict(module.named_modules())

    # -- driver -------------------------------------------------------------
    def run(self, shape: tuple[int, ...]) -> Graph:
        from torch import nn
        tracer = _tracer()
        if tracer.is_leaf_module(self.module, ""):  # a bare layer: trace it as a one-layer model
            self.module = nn.Sequential(self.module)
            self.mods = dict(self.module.named_modules())
        try:
            graph = tracer.trace(self.module)
        except Exception as e:  # fx raises many types for untraceable code
            raise UnsupportedError(
                f"torch.fx cannot trace '{type(self.module).__name__}': {e}; data-dependent control "
                f"flow is not supported. Supported: {SUPPORTED}") from e
        out = None
        for n in graph.nodes:
            if n.op == "placeholder":
                out = self._input(n, shape)
            elif n.op == "output":
                out = self._output(n)
            elif n.op == "get_attr":
                self._unsupported(n, f"parameter access '{n.target}'")
            else:
                handler = {"call_module": self._module, "call_function": self._function,
                           "call_method": self._method}[n.op]
                self.vals[n.name] = handler(n)
        return self.b.build(output=out)

    def _input(self, n, shape) -> str:
        if self.vals:
            self._unsupported(n, "a second model input")
        hwc = (shape[1], shape[2], shape[0]) if len(shape) == 3 else shape
        node = self.b.add("input", Op.INPUT, [], InputAttrs(), shape=hwc)
        self.vals[n.name] = _Val(node.name, shape)
        return node.name

    def _output(self, n) -> str:
        v = self.vals.get(getattr(n.args[0], "name", None))
        if not isinstance(v, _Val):
            self._unsupported(n, "an output that is not a single tensor")
        return v.name

    def _arg(self, n, a, windowed: bool = False) -> _Val:
        import torch.fx as fx
        v = self.vals.get(a.name) if isinstance(a, fx.Node) else None
        if not isinstance(v, _Val):
            self._unsupported(n, f"argument {a!r} (only tensors produced by the model are accepted)")
        if v.pad is not None and not windowed:
            self._unsupported(n, "input from a ZeroPad2d/ConstantPad2d (a pad is supported only right "
                              "before a Conv2d, AvgPool2d or MaxPool2d, whose window takes it)")
        return v

    def _unsupported(self, n, what: str):
        where = f"module '{n.target}'" if n.op == "call_module" else f"node '{n.name}'"
        raise UnsupportedError(f"unsupported {what} at {where} of '{self.b.name}'. Supported: {SUPPORTED}")

    def _add(self, n, op: Op, ins: list[_Val], attrs, tshape, perm=None, base=None) -> _Val:
        node = self.b.add(_ir_name(base or str(n.target if n.op == "call_module" else n.name)), op,
                          [v.name for v in ins], attrs)
        return _Val(node.name, tuple(tshape), perm)

    # -- modules ------------------------------------------------------------
    def _module(self, n):
        from torch import nn

        from ..compression.modules import QuantAct
        m = self.mods[n.target]
        windowed = isinstance(m, (nn.Conv2d, nn.MaxPool2d, nn.AvgPool2d, nn.ConstantPad2d))
        x = self._arg(n, n.args[0], windowed) if n.args else self._unsupported(n, "a module without input")
        if isinstance(m, nn.ConstantPad2d):   # ZeroPad2d too
            return self._pad_module(n, m, x)
        if isinstance(m, QuantAct):
            if not m.quant_enabled:
                return x
            return self._add(n, Op.QUANT, [x], QuantAttrs(m.qtype()), x.tshape, x.perm)
        if isinstance(m, nn.Conv2d):
            return self._conv(n, m, x)
        if isinstance(m, nn.Linear):
            return self._linear(n, m, x)
        if isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)):
            return self._batchnorm(n, m, x)
        if isinstance(m, nn.ReLU):
            return self._add(n, Op.RELU, [x], NoAttrs(), x.tshape, x.perm)
        if isinstance(m, nn.Hardtanh):  # ReLU6 is a Hardtanh(0, 6)
            return self._add(n, Op.CLIP, [x], ClipAttrs(float(m.min_val), float(m.max_val)),
                             x.tshape, x.perm)
        if isinstance(m, (nn.MaxPool2d, nn.AvgPool2d)):
            return self._pool(n, m, x)
        if isinstance(m, nn.AdaptiveAvgPool2d):
            if _pair(m.output_size) != (1, 1):
                self._unsupported(n, f"AdaptiveAvgPool2d(output_size={m.output_size}) (only 1)")
            return self._gap(n, x)
        if isinstance(m, nn.Flatten):
            if m.start_dim != 1 or m.end_dim != -1:
                self._unsupported(n, f"Flatten(start_dim={m.start_dim}, end_dim={m.end_dim})")
            return self._flatten(n, x)
        if isinstance(m, (nn.Dropout, nn.Identity)):
            return x
        self._unsupported(n, f"module type {type(m).__name__}")

    def _weights(self, m, name: str) -> Weights:
        from ..compression.modules import WEIGHT_MODULES
        if isinstance(m, WEIGHT_MODULES):
            return m.export_weights(name)
        return Weights(WeightKind.FLOAT, m.weight.detach().double().numpy(), 1.0, name=name)

    @staticmethod
    def _bias(m):
        return None if m.bias is None else m.bias.detach().double().numpy()

    def _conv(self, n, m, x: _Val) -> _Val:
        if len(x.tshape) != 3:
            self._unsupported(n, f"Conv2d on a tensor of shape {x.tshape}")
        if _pair(m.dilation) != (1, 1) or m.padding_mode != "zeros":
            self._unsupported(n, f"Conv2d with dilation={m.dilation}, padding_mode='{m.padding_mode}'")
        if m.groups not in (1, m.in_channels) or (m.groups > 1 and m.out_channels != m.in_channels):
            self._unsupported(n, f"grouped Conv2d (groups={m.groups}; only 1 or depthwise)")
        kh, kw = _pair(m.kernel_size)
        if getattr(m, "pads", None) is not None:    # compression modules' asymmetric padding
            pad = tuple(m.pads)
        elif m.padding == "valid":
            pad = (0, 0, 0, 0)
        elif m.padding == "same":
            th, tw = kh - 1, kw - 1
            pad = (th // 2, tw // 2, th - th // 2, tw - tw // 2)
        else:
            ph, pw = _pair(m.padding)
            pad = (ph, pw, ph, pw)
        pad = _with_pad(self, n, x, pad, 0.0)
        w = self._weights(m, n.target)
        attrs = MacAttrs(w, self._bias(m), _pair(m.stride), pad, m.groups)
        v = self._add(n, Op.CONV2D, [x], attrs, ())
        h, wd, c = self.b[v.name].shape
        return _Val(v.name, (c, h, wd))

    def _linear(self, n, m, x: _Val) -> _Val:
        if len(x.tshape) != 1:
            self._unsupported(n, f"Linear on a tensor of shape {x.tshape}; flatten it first")
        w = self._weights(m, n.target)
        if x.perm is not None:  # torch columns are (C, H, W) order, the IR vector (H, W, C)
            w = Weights(w.kind, w.values[:, x.perm], w.scale, w.bits, w.name)
        v = self._add(n, Op.DENSE, [x], MacAttrs(w, self._bias(m)), ())
        return _Val(v.name, (m.out_features,))

    def _batchnorm(self, n, m, x: _Val) -> _Val:
        if m.running_mean is None:
            self._unsupported(n, "BatchNorm without running statistics (track_running_stats=False)")
        rank = 3 if type(m).__name__ == "BatchNorm2d" else 1
        if len(x.tshape) != rank:
            self._unsupported(n, f"{type(m).__name__} on a tensor of shape {x.tshape}")
        c = m.num_features
        gamma = m.weight.detach().double().numpy() if m.affine else np.ones(c)
        beta = m.bias.detach().double().numpy() if m.affine else np.zeros(c)
        p = [m.running_mean.detach().double().numpy(), m.running_var.detach().double().numpy(),
             gamma, beta]
        if x.perm is not None:
            p = [a[x.perm] for a in p]
        return self._add(n, Op.BATCHNORM, [x], BatchNormAttrs(*p, eps=float(m.eps)), x.tshape, x.perm)

    def _pool(self, n, m, x: _Val) -> _Val:
        from torch import nn
        if len(x.tshape) != 3:
            self._unsupported(n, f"{type(m).__name__} on a tensor of shape {x.tshape}")
        kind = type(m).__name__
        if m.ceil_mode:
            self._unsupported(n, f"{kind}(ceil_mode=True)")
        ph, pw = _pair(m.padding)
        if isinstance(m, nn.MaxPool2d):
            if _pair(m.dilation) != (1, 1):
                self._unsupported(n, f"MaxPool2d(dilation={m.dilation})")
            op = Op.MAXPOOL
        else:
            if m.divisor_override is not None or (not m.count_include_pad and (ph or pw)):
                self._unsupported(n, "AvgPool2d that excludes padding from the divisor")
            op = Op.AVGPOOL
        k = _pair(m.kernel_size)
        s = _pair(m.stride if m.stride is not None else m.kernel_size)
        pad = _with_pad(self, n, x, (ph, pw, ph, pw), -np.inf if op is Op.MAXPOOL else 0.0)
        v = self._add(n, op, [x], PoolAttrs(k, s, pad), ())
        h, w, c = self.b[v.name].shape
        return _Val(v.name, (c, h, w))

    def _pad_module(self, n, m, x: _Val) -> _Val:
        if len(x.tshape) != 3 or len(m.padding) != 4 or min(m.padding) < 0:
            self._unsupported(n, f"{type(m).__name__}(padding={m.padding}) on a tensor of shape {x.tshape}")
        left, right, top, bottom = m.padding
        v = float(m.value)
        if x.pad is not None and x.pad_value != v:
            self._unsupported(n, f"{type(m).__name__} with value {v:g} after one with {x.pad_value:g}")
        old = x.pad or (0, 0, 0, 0)
        c, h, w = x.tshape
        return _Val(x.name, (c, h + top + bottom, w + left + right), x.perm,
                    (old[0] + top, old[1] + left, old[2] + bottom, old[3] + right), v)

    def _gap(self, n, x: _Val, base=None) -> _Val:
        if len(x.tshape) != 3:
            self._unsupported(n, f"global average pool on a tensor of shape {x.tshape}")
        v = self._add(n, Op.GLOBALAVGPOOL, [x], GapAttrs(), (), base=base)
        return _Val(v.name, (x.tshape[0], 1, 1))

    def _flatten(self, n, x: _Val) -> _Val:
        if len(x.tshape) == 1:
            return x
        c, h, w = x.tshape
        if len(self.b[x.name].shape) == 1:  # after global pooling the IR already holds (C,)
            return _Val(x.name, (c,))
        perm = None if h * w == 1 else np.arange(c * h * w).reshape(c, h, w).transpose(1, 2, 0).reshape(-1)
        v = self._add(n, Op.FLATTEN, [x], NoAttrs(), (), base="flatten")
        return _Val(v.name, (c * h * w,), perm)

    # -- functions and methods -----------------------------------------------
    def _function(self, n):
        import torch
        import torch.nn.functional as F
        t = n.target
        if t in (operator.add, operator.iadd, torch.add):
            if "alpha" in n.kwargs or len(n.args) != 2:
                self._unsupported(n, "add with alpha or more than two operands")
            return self._residual(n, self._arg(n, n.args[0]), self._arg(n, n.args[1]))
        if t in (torch.relu, F.relu):
            x = self._arg(n, n.args[0])
            return self._add(n, Op.RELU, [x], NoAttrs(), x.tshape, x.perm, base="relu")
        if t is torch.flatten:
            return self._flatten_call(n, n.args[1:], n.kwargs)
        if t is getattr and n.args[1] == "shape":
            return _Shape()
        if t is operator.getitem and isinstance(self.vals.get(n.args[0].name), _Shape) and n.args[1] == 0:
            return _Batch()
        self._unsupported(n, f"function {getattr(t, '__name__', t)}")

    def _method(self, n):
        name = n.target
        if name == "size" and n.args[1:] in ((0,),):
            return _Batch()
        if name in ("view", "reshape"):
            return self._view(n)
        if name == "flatten":
            return self._flatten_call(n, n.args[1:], n.kwargs)
        if name == "relu":
            x = self._arg(n, n.args[0])
            return self._add(n, Op.RELU, [x], NoAttrs(), x.tshape, x.perm, base="relu")
        if name == "add" and len(n.args) == 2 and not n.kwargs:
            return self._residual(n, self._arg(n, n.args[0]), self._arg(n, n.args[1]))
        if name == "contiguous":
            return self._arg(n, n.args[0])
        self._unsupported(n, f"tensor method .{name}()")

    def _residual(self, n, a: _Val, b: _Val) -> _Val:
        if a.tshape != b.tshape:
            self._unsupported(n, f"add of shapes {a.tshape} and {b.tshape} (no broadcasting)")
        if (a.perm is None) != (b.perm is None) or (a.perm is not None and not np.array_equal(a.perm, b.perm)):
            self._unsupported(n, "add of vectors flattened in different orders")
        return self._add(n, Op.ADD, [a, b], AddAttrs(), a.tshape, a.perm, base="add")

    def _flatten_call(self, n, args, kwargs) -> _Val:
        start = kwargs.get("start_dim", args[0] if args else 0)
        end = kwargs.get("end_dim", args[1] if len(args) > 1 else -1)
        if start != 1 or end != -1:
            self._unsupported(n, f"flatten(start_dim={start}, end_dim={end}) (only (1, -1))")
        return self._flatten(n, self._arg(n, n.args[0]))

    def _view(self, n) -> _Val:
        x = self._arg(n, n.args[0])
        dims = n.args[1:]
        if len(dims) == 1 and isinstance(dims[0], (tuple, list)):
            dims = tuple(dims[0])
        size = int(np.prod(x.tshape))
        resolved = [self.vals.get(d.name) if hasattr(d, "name") else d for d in dims]
        ok = len(resolved) == 2 and (
            (isinstance(resolved[0], _Batch) and resolved[1] in (-1, size))
            or (resolved[0] == -1 and resolved[1] == size))
        if not ok:
            self._unsupported(n, f".{n.target}{tuple(dims)} (only (N, -1) flattening to a vector)")
        return self._flatten(n, x)


def _with_pad(imp, n, x: _Val, pad, value: float) -> tuple[int, int, int, int]:
    """A layer's own padding plus a pad module in front of it, which must insert
    what the layer's window inserts (0 for Conv2d/AvgPool2d, -inf for MaxPool2d)."""
    if x.pad is None:
        return tuple(pad)
    if x.pad_value != value:
        imp._unsupported(n, f"padding with {x.pad_value:g} before a layer that pads with {value:g}")
    return tuple(a + b for a, b in zip(pad, x.pad))
