"""A trainable PyTorch module from any FLOAT-stage graph (what `compress` trains).

`from_graph(g)` maps every node of an imported model onto the project's
modules, in the graph's order and with its names:

- Conv2d / Dense: the first and the last MAC become `IntConv2d` / `IntLinear`
  (int8, never pruned: issue 3's default, as in the zoo digits models), every
  MAC between them `TernaryConv2d` / `TernaryLinear`; all start from the
  graph's real weights (float, ternary or integer), so a ternary layer keeps
  its codes and scales.
- BatchNorm: `nn.BatchNorm2d` / `nn.BatchNorm1d` with the graph's statistics
  (adaptive BN re-estimates them); ReLU, Clip, pools, add as in
  `ir.torch_interp.GraphModule`.
- QUANT: `QuantAct` with the node's fixed scale. A model that lacks
  quantizers gets them where the lowering needs them (`place_quantizers`'
  rule: the input and the end of every MAC/add chain); with `calib` inputs
  their scales start from a calibration, and they keep calibrating (running
  max) while training until `freeze_act_scales`.
- FLATTEN: channels-last order, as in the IR (permute, then flatten), so the
  columns of a Dense, and therefore its PE groups, are in IR order.

`export_graph(module)` turns the (trained) module back into a FLOAT graph with
the torch importer. The importer flattens NCHW and permutes the Linear
columns it feeds; the export traces a twin whose flatten is torch's and whose
downstream columns are pre-permuted, so the importer lands on the IR order
exactly (a column permutation changes no ternary or int8 code: both are
per output row).
"""
from __future__ import annotations

import copy
import re
from dataclasses import dataclass, replace

import numpy as np
import torch
from torch import nn

from ..errors import ModelError, UnsupportedError
from ..ir.graph import Graph, Node
from ..ir.ops import InputAttrs, Op, Stage
from ..ir.torch_interp import flatten_channels_last
from ..passes.place_quantizers import missing_quantizers
from .modules import IntConv2d, IntLinear, QuantAct, TernaryConv2d, TernaryLinear

EDGE_POLICIES = ("int8", "ternary")


class FlattenHWC(nn.Module):
    """The IR's flatten: a `(C, H, W)` map becomes its `(H, W, C)`-ordered vector."""

    def __init__(self):
        super().__init__()
        self.channels_last = True

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.channels_last:
            return flatten_channels_last(x)
        return torch.flatten(x, 1)  # the export twin: torch order, columns pre-permuted


@dataclass(frozen=True)
class _Step:
    name: str            # IR node name (the module attribute is `key`)
    op: Op
    key: str | None
    inputs: tuple[str, ...]


class GraphNet(nn.Module):
    """The trainable view of a FLOAT graph; `forward` takes NCHW (or NK) input."""

    def __init__(self, g: Graph, edge: str = "int8", act_bits: int = 8, threshold: str = "he"):
        super().__init__()
        self.graph_name = g.name
        self.input_shape = _torch_shape(g.input.shape)
        self.pre_mul, self.pre_add = g.input.attrs.pre_mul, g.input.attrs.pre_add
        self.input_name, self.output_name = g.input.name, g.output
        macs = [n.name for n in g.macs()]
        self._int_layers = {macs[0], macs[-1]} if edge == "int8" else set()
        self._threshold = threshold
        self.ir_nodes = {n.name: n for n in g.nodes}
        steps = []
        for n in g.nodes[1:]:
            mod = self._module(n)
            key = None
            if mod is not None:
                key = _key(n.name, self)
                self.add_module(key, mod)
            steps.append(_Step(n.name, n.op, key, n.inputs))
        self.steps = tuple(steps)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.pre_mul != 1.0 or self.pre_add != 0.0:
            x = x * self.pre_mul + self.pre_add
        env = {self.input_name: x}
        for s in self.steps:
            if s.op is Op.ADD:
                env[s.name] = env[s.inputs[0]] + env[s.inputs[1]]
            elif s.key is None:  # a no-op in torch (a flatten of a vector)
                env[s.name] = env[s.inputs[0]]
            else:
                env[s.name] = getattr(self, s.key)(env[s.inputs[0]])
        return env[self.output_name]

    # -- node -> module --------------------------------------------------------
    def _module(self, n: Node) -> nn.Module | None:
        a = n.attrs
        if n.op is Op.CONV2D:
            return self._conv(n)
        if n.op is Op.DENSE:
            return self._dense(n)
        if n.op is Op.BATCHNORM:
            return _batchnorm(n)
        if n.op is Op.RELU:
            return nn.ReLU()
        if n.op is Op.CLIP:
            return nn.Hardtanh(float(a.lo), float(a.hi))
        if n.op is Op.MAXPOOL:
            return _padded(nn.MaxPool2d(a.kernel, a.stride, _sym(a.padding)), a.padding, -float("inf"))
        if n.op is Op.AVGPOOL:
            pool = nn.AvgPool2d(a.kernel, a.stride, _sym(a.padding), count_include_pad=True)
            return _padded(pool, a.padding, 0.0)
        if n.op is Op.GLOBALAVGPOOL:
            return nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten())
        if n.op is Op.FLATTEN:
            return FlattenHWC() if len(self.ir_nodes[n.inputs[0]].shape) == 3 else None
        if n.op is Op.QUANT:
            q = a.qtype
            return QuantAct(q.bits, q.signed, scale=q.scale)
        if n.op is Op.ADD:
            return None
        raise UnsupportedError(f"node '{n.name}': op {n.op.value} has no trainable module "
                               "(compress takes FLOAT-stage graphs)")

    def _conv(self, n: Node) -> nn.Module:
        a = n.attrs
        w = a.weights.real()
        m, cg, kh, kw = w.shape
        c_in = cg * a.groups
        common = dict(stride=a.stride, padding=_sym(a.padding), groups=a.groups,
                      bias=a.bias is not None)
        if n.name in self._int_layers:
            mod = IntConv2d(c_in, m, (kh, kw), **common)
        else:
            mod = TernaryConv2d(c_in, m, (kh, kw), threshold=self._threshold, **common)
        if _sym(a.padding) == (0, 0) and any(a.padding):
            mod.pads = tuple(a.padding)
        return _load(mod, w, a.bias)

    def _dense(self, n: Node) -> nn.Module:
        a = n.attrs
        w = a.weights.real()
        if n.name in self._int_layers:
            mod = IntLinear(w.shape[1], w.shape[0], bias=a.bias is not None)
        else:
            mod = TernaryLinear(w.shape[1], w.shape[0], bias=a.bias is not None, threshold=self._threshold)
        return _load(mod, w, a.bias)


def _key(name: str, owner: nn.Module) -> str:
    key = re.sub(r"\W", "_", name) or "node"
    if key[0].isdigit():
        key = "n_" + key
    while hasattr(owner, key):
        key += "_"
    return key


def _torch_shape(shape: tuple[int, ...]) -> tuple[int, ...]:
    return (shape[2], shape[0], shape[1]) if len(shape) == 3 else tuple(shape)


def _sym(pad: tuple[int, int, int, int]) -> tuple[int, int]:
    """A torch layer's own (symmetric) padding; (0, 0) when the graph's is asymmetric
    ("SAME"), which an explicit pad in front of the layer then inserts."""
    pt, pl, pb, pr = pad
    return (pt, pl) if (pt, pl) == (pb, pr) else (0, 0)


def _padded(pool: nn.Module, pad: tuple[int, int, int, int], value: float) -> nn.Module:
    if _sym(pad) != (0, 0) or not any(pad):
        return pool
    pt, pl, pb, pr = pad
    return nn.Sequential(nn.ConstantPad2d((pl, pr, pt, pb), value), pool)


def _load(mod: nn.Module, w: np.ndarray, bias: np.ndarray | None) -> nn.Module:
    with torch.no_grad():
        mod.weight.copy_(torch.tensor(np.array(w), dtype=torch.float32))
        if bias is not None:
            mod.bias.copy_(torch.tensor(np.array(bias), dtype=torch.float32))
    return mod


def _batchnorm(n: Node) -> nn.Module:
    a = n.attrs
    c = len(a.mean)
    mod = nn.BatchNorm2d(c, eps=a.eps) if len(n.shape) == 3 else nn.BatchNorm1d(c, eps=a.eps)
    with torch.no_grad():
        for p, v in ((mod.running_mean, a.mean), (mod.running_var, a.var), (mod.weight, a.gamma),
                     (mod.bias, a.beta)):
            p.copy_(torch.tensor(np.array(v), dtype=torch.float32))
    return mod


# -- quantizers a float model lacks -------------------------------------------------



def with_quantizers(g: Graph, calib: np.ndarray | None, bits: int = 8) -> tuple[Graph, set[str]]:
    """`g` with a QUANT node wherever the lowering needs one and `g` has none;
    returns the graph and the names of the added nodes, whose modules keep
    calibrating while training. Scales and signs come from the float model on
    `calib` (channels-last inputs) or, without it, on a standard-normal batch."""
    from ..ir.graph import GraphBuilder
    from ..ir.interp import run_float
    from ..ir.ops import QuantAttrs
    from ..passes.place_quantizers import qtype_for
    todo = set(missing_quantizers(g))
    if not todo:
        return g, set()
    if calib is None:
        calib = np.random.default_rng(0).normal(size=(8,) + g.input.shape)
    _, env = run_float(g, calib, keep=True)
    b = GraphBuilder(g.name)
    rename: dict[str, str] = {}
    added = set()
    for n in g.nodes:
        b.add(n.name, n.op, [rename.get(i, i) for i in n.inputs], n.attrs, n.qtype, n.shape)
        if n.name in todo:
            q = b.add(f"{n.name}_quant", Op.QUANT, [n.name], QuantAttrs(qtype_for(env[n.name], bits)))
            rename[n.name] = q.name
            added.add(q.name)
    return b.build(g.output), added


def from_graph(g: Graph, calib: np.ndarray | None = None, edge: str = "int8", act_bits: int = 8,
               threshold: str = "he") -> GraphNet:
    """The trainable module of FLOAT graph `g` (see the module doc).

    `calib`: channels-last inputs that set the initial scales of the
    quantizers `g` lacks; `edge`: 'int8' (first and last MAC int8, unpruned)
    or 'ternary' (every MAC ternary)."""
    if g.stage is not Stage.FLOAT:
        raise ModelError(f"'{g.name}' is an INTEGER-stage graph; compress takes the imported "
                         "(FLOAT-stage) model")
    if edge not in EDGE_POLICIES:
        raise ModelError(f"edge layer policy '{edge}' unknown; use one of {', '.join(EDGE_POLICIES)}")
    if not g.macs():
        raise ModelError(f"'{g.name}' has no Conv or Dense layer: there is nothing to prune or "
                         "ternarize")
    placed, added = with_quantizers(g, calib, act_bits)
    net = GraphNet(placed, edge, act_bits, threshold)
    for s in net.steps:
        if s.name in added:  # a calibrated quantizer: scale from the data, still adapting
            q = getattr(net, s.key)
            q.fixed = q.frozen = False
            with torch.no_grad():
                q.running_max.fill_(q.scale().item() * q.hi)
    return net


# -- export ------------------------------------------------------------------------

def export_graph(net: GraphNet, name: str | None = None) -> Graph:
    """The FLOAT graph of `net` (its exact codes and scales), via the torch importer."""
    from ..frontend.torch_import import import_torch
    twin = copy.deepcopy(net).eval()
    perm_of: dict[str, np.ndarray | None] = {twin.input_name: None}
    for s in twin.steps:
        n = twin.ir_nodes[s.name]
        perm = perm_of[s.inputs[0]] if s.inputs else None
        mod = getattr(twin, s.key) if s.key else None
        if isinstance(mod, FlattenHWC):
            mod.channels_last = False
            c, h, w = _torch_shape(twin.ir_nodes[s.inputs[0]].shape)
            perm = np.arange(c * h * w).reshape(c, h, w).transpose(1, 2, 0).reshape(-1) if h * w > 1 else None
        elif perm is not None and n.op is Op.DENSE:
            _unpermute(mod, perm, ("weight", "weight_mask"), cols=True)
            perm = None
        elif perm is not None and n.op is Op.BATCHNORM:
            _unpermute(mod, perm, ("weight", "bias", "running_mean", "running_var"), cols=False)
        elif n.op.is_mac or n.op is Op.GLOBALAVGPOOL:
            perm = None
        perm_of[s.name] = perm
    twin.pre_mul, twin.pre_add = 1.0, 0.0
    g = import_torch(twin, twin.input_shape, name or net.graph_name)
    inp = replace(g.input, attrs=InputAttrs(net.pre_mul, net.pre_add))
    return g.with_nodes((inp,) + g.nodes[1:])


def _unpermute(mod: nn.Module, perm: np.ndarray, names: tuple[str, ...], cols: bool) -> None:
    """Store IR-ordered parameters in torch order: `t[..., perm] = ir`, which the
    importer's `t[..., perm]` reads back exactly."""
    idx = torch.as_tensor(perm)
    with torch.no_grad():
        for k in names:
            t = getattr(mod, k, None)
            if t is None:
                continue
            out = torch.empty_like(t)
            if cols:
                out[:, idx] = t
            else:
                out[idx] = t
            t.copy_(out)
