"""Shape rules, one per op. Used by the builder to type new nodes and by the
verifier to check existing ones."""
from __future__ import annotations

from ..errors import UnsupportedError
from .ops import MacAttrs, Op, PoolAttrs


def window_out(size: int, k: int, stride: int, pad_a: int, pad_b: int) -> int:
    return (size + pad_a + pad_b - k) // stride + 1


def out_shape(op: Op, attrs, ins: list[tuple[int, ...]], where: str = "") -> tuple[int, ...]:
    """Output shape of `op` for input shapes `ins` (batch excluded)."""
    if op is Op.CONV2D:
        return _conv_shape(attrs, ins[0], where)
    if op is Op.DENSE:
        (k,) = _rank(ins[0], 1, op, where)
        w = attrs.weights.values
        if w.ndim != 2 or w.shape[1] != k:
            raise UnsupportedError(f"{where}: dense weights {w.shape} do not match input width {k}")
        return (w.shape[0],)
    if op in (Op.MAXPOOL, Op.AVGPOOL):
        return _pool_shape(attrs, ins[0], op, where)
    if op is Op.GLOBALAVGPOOL:
        return (_rank(ins[0], 3, op, where)[2],)
    if op is Op.FLATTEN:
        n = 1
        for d in ins[0]:
            n *= d
        return (n,)
    if op is Op.ADD:
        if ins[0] != ins[1]:
            raise UnsupportedError(f"{where}: add of shapes {ins[0]} and {ins[1]} (no broadcasting)")
        return ins[0]
    if op is Op.BATCHNORM:
        if attrs.mean.shape != (ins[0][-1],):
            raise UnsupportedError(f"{where}: batchnorm over {attrs.mean.shape[0]} channels, "
                                   f"input has {ins[0][-1]}")
        return ins[0]
    if op is Op.AFFINE:
        if attrs.mul.shape != (ins[0][-1],) or attrs.add.shape != (ins[0][-1],):
            raise UnsupportedError(f"{where}: per-channel constants of shape {attrs.mul.shape} for "
                                   f"{ins[0][-1]} channels")
        return ins[0]
    return ins[0]  # elementwise: relu, clip, quant, requant


def _rank(shape, rank, op, where):
    if len(shape) != rank:
        kind = "a (H, W, C) feature map" if rank == 3 else "a vector"
        raise UnsupportedError(f"{where}: {op.value} needs {kind}, got shape {shape}")
    return shape


def _conv_shape(a: MacAttrs, shape, where):
    h, w, c = _rank(shape, 3, Op.CONV2D, where)
    m, cg, kh, kw = a.weights.values.shape
    if c % a.groups or cg != c // a.groups:
        raise UnsupportedError(f"{where}: conv weights {a.weights.values.shape} with groups={a.groups} "
                               f"do not match {c} input channels")
    if a.groups != 1 and (a.groups != c or m != c):
        raise UnsupportedError(f"{where}: grouped conv with groups={a.groups}; only groups=1 and "
                               "depthwise (groups = in = out channels) are supported")
    pt, pl, pb, pr = a.padding
    ho = window_out(h, kh, a.stride[0], pt, pb)
    wo = window_out(w, kw, a.stride[1], pl, pr)
    if ho < 1 or wo < 1:
        raise UnsupportedError(f"{where}: conv window {kh}x{kw} does not fit input {h}x{w}")
    return (ho, wo, m)


def _pool_shape(a: PoolAttrs, shape, op, where):
    h, w, c = _rank(shape, 3, op, where)
    pt, pl, pb, pr = a.padding
    ho = window_out(h, a.kernel[0], a.stride[0], pt, pb)
    wo = window_out(w, a.kernel[1], a.stride[1], pl, pr)
    if ho < 1 or wo < 1:
        raise UnsupportedError(f"{where}: pool window {a.kernel} does not fit input {h}x{w}")
    return (ho, wo, c)
