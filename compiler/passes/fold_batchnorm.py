"""Fold BatchNorm into the preceding Conv2d/Dense.

BN(y) = g*(y - mean) + beta with g = gamma/sqrt(var + eps). The weights'
per-output-channel scale absorbs g and the bias absorbs the shift, so
ternary codes stay ternary (their scale may turn negative, which the
contract allows: real weight = t * scale[m]). Exact in real arithmetic.
"""
from __future__ import annotations

from dataclasses import replace

import numpy as np

from ..errors import UnsupportedError
from ..ir.graph import Graph
from ..ir.ops import Op


def fold_batchnorm(g: Graph) -> Graph:
    rename: dict[str, str] = {}
    out = []
    for n in g.nodes:
        n = replace(n, inputs=tuple(rename.get(i, i) for i in n.inputs))
        if n.op is not Op.BATCHNORM:
            out.append(n)
            continue
        pos = next(i for i, m in enumerate(out) if m.name == n.inputs[0])
        src = out[pos]
        if not src.op.is_mac or len(g.consumers(src.name)) != 1:
            raise UnsupportedError(
                f"batchnorm '{n.name}' does not directly follow a conv/dense with no other user; "
                "only BatchNorm right after Conv2d/Linear can be folded")
        a, bn = src.attrs, n.attrs
        k = bn.gamma / np.sqrt(bn.var + bn.eps)
        bias = a.bias if a.bias is not None else np.zeros_like(k)
        folded = replace(a, weights=a.weights.with_scale(a.weights.scale * k),
                         bias=(bias - bn.mean) * k + bn.beta)
        out[pos] = replace(src, attrs=folded)
        rename[n.name] = src.name
    output = rename.get(g.output, g.output)
    return g.with_nodes(out, output=output)
