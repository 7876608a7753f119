"""A FLOAT-stage graph as a PyTorch module (needs torch).

The same semantics as `interp.run_float` (fake-quant at QUANT nodes, round
half up), computed by PyTorch in NCHW: the float view of any imported model,
and the "PyTorch float inference" side of the throughput benchmark.
"""
from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from .graph import Graph, Node
from .ops import Op, Stage


def flatten_channels_last(x: torch.Tensor) -> torch.Tensor:
    """The IR's flatten of an NCHW batch: each `(C, H, W)` map becomes its
    `(H, W, C)`-ordered vector (vectors pass unchanged). Shared with the
    trainable view, `tritium.compression.from_graph`."""
    return (x.permute(0, 2, 3, 1) if x.dim() == 4 else x).reshape(len(x), -1)


class GraphModule(torch.nn.Module):
    """`forward(x)` takes NCHW (or NK) float input, returns the output (NK / NCHW)."""

    def __init__(self, g: Graph, fake_quant: bool = True):
        super().__init__()
        assert g.stage is Stage.FLOAT
        self.g, self.fake_quant = g, fake_quant
        self.params: dict[str, tuple[torch.Tensor, torch.Tensor | None]] = {}
        for n in g.macs():
            w = torch.tensor(n.attrs.weights.real(), dtype=torch.float32)
            b = None if n.attrs.bias is None else torch.tensor(n.attrs.bias, dtype=torch.float32)
            self.params[n.name] = (w, b)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        a = self.g.input.attrs
        env = {self.g.input.name: x * a.pre_mul + a.pre_add}
        for n in self.g.nodes[1:]:
            env[n.name] = self._op(n, *(env[i] for i in n.inputs))
        return env[self.g.output]

    def _op(self, n: Node, x: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        a = n.attrs
        if n.op is Op.CONV2D:
            w, b = self.params[n.name]
            pt, pl, pb, pr = a.padding
            return F.conv2d(F.pad(x, (pl, pr, pt, pb)), w, b, a.stride, 0, 1, a.groups)
        if n.op is Op.DENSE:
            w, b = self.params[n.name]
            return F.linear(x, w, b)
        if n.op is Op.BATCHNORM:
            shape = (1, -1) + (1,) * (x.dim() - 2)
            k = torch.tensor(a.gamma / np.sqrt(a.var + a.eps), dtype=x.dtype).reshape(shape)
            c = torch.tensor(a.beta - a.mean * a.gamma / np.sqrt(a.var + a.eps), dtype=x.dtype)
            return x * k + c.reshape(shape)
        if n.op is Op.AFFINE:
            shape = (1, -1) + (1,) * (x.dim() - 2)
            return (x * torch.tensor(a.mul, dtype=x.dtype).reshape(shape)
                    + torch.tensor(a.add, dtype=x.dtype).reshape(shape))
        if n.op is Op.RELU:
            return F.relu(x)
        if n.op is Op.CLIP:
            return x.clamp(a.lo, a.hi)
        if n.op in (Op.MAXPOOL, Op.AVGPOOL):
            pt, pl, pb, pr = a.padding
            if n.op is Op.MAXPOOL:
                return F.max_pool2d(F.pad(x, (pl, pr, pt, pb), value=-float("inf")), a.kernel, a.stride)
            return F.avg_pool2d(F.pad(x, (pl, pr, pt, pb)), a.kernel, a.stride)
        if n.op is Op.GLOBALAVGPOOL:
            return x.mean(dim=(2, 3))
        if n.op is Op.ADD:
            return x + y
        if n.op is Op.FLATTEN:
            return flatten_channels_last(x)
        if n.op is Op.QUANT:
            if not self.fake_quant:
                return x
            q = a.qtype
            return torch.clamp(torch.floor(x / q.scale + 0.5), q.lo, q.hi) * q.scale
        raise AssertionError(f"no torch rule for {n.op}")
