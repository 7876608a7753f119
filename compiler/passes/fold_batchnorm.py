"""Fold BatchNorm into the preceding Conv2d/Dense, or fold it like any constant.

BN(y) = g*(y - mean) + beta with g = gamma/sqrt(var + eps). The weights'
per-output-channel scale absorbs g and the bias absorbs the shift, so
ternary codes stay ternary (their scale may turn negative, which the
contract allows: real weight = t * scale[m]). Exact in real arithmetic.
A BatchNorm with no such Conv/Dense before it (after an activation quantizer,
or before the first layer) is the per-channel map `x * g + (beta - mean * g)`
and goes to `fold_affine`, which folds it forward into the next layer or
refuses it with the reason.
"""
from __future__ import annotations

from dataclasses import replace

import numpy as np

from ..ir.graph import Graph
from ..ir.ops import AffineAttrs, Op
from .fold_affine import fold_affine


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
        bn = n.attrs
        k = bn.gamma / np.sqrt(bn.var + bn.eps)
        if not src.op.is_mac or len(g.consumers(src.name)) != 1:
            affine = AffineAttrs(k, bn.beta - bn.mean * k, "BatchNormalization")
            out.append(replace(n, op=Op.AFFINE, attrs=affine))
            continue
        a = src.attrs
        bias = a.bias if a.bias is not None else np.zeros_like(k)
        folded = replace(a, weights=a.weights.with_scale(a.weights.scale * k),
                         bias=(bias - bn.mean) * k + bn.beta)
        out[pos] = replace(src, attrs=folded)
        rename[n.name] = src.name
    output = rename.get(g.output, g.output)
    return fold_affine(g.with_nodes(out, output=output))
