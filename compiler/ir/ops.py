"""The ops of the IR and their typed attributes.

A graph lives in one of two stages (`Stage`):

- FLOAT: what the importers build. Weights may be float, ternary or integer,
  activations are float, `QUANT` nodes mark where the network quantizes
  activations, `BATCHNORM`/`RELU`/`CLIP` are separate ops. `AFFINE` (an
  exporter's Mul/Div/Add/Sub by a constant) exists only between an importer
  and the canonicalization passes, which fold it away or refuse the model.
- INTEGER: what the lowering passes produce and what the golden model and both
  backends consume. Every tensor has a `QType`; BatchNorm, ReLU, Clip and Quant
  are gone (folded into weights' scales, biases and `Requant` clamps); every
  MAC, pool-average and add carries its `Requant` (DESIGN §2).
"""
from __future__ import annotations

import enum
from dataclasses import dataclass

import numpy as np

from .types import QType, Requant, Weights, arrays_equal, frozen_array


class Stage(enum.Enum):
    FLOAT = "float"
    INTEGER = "integer"


class Op(enum.Enum):
    INPUT = "input"
    CONV2D = "conv2d"
    DENSE = "dense"
    BATCHNORM = "batchnorm"
    RELU = "relu"
    CLIP = "clip"
    MAXPOOL = "maxpool"
    AVGPOOL = "avgpool"
    GLOBALAVGPOOL = "globalavgpool"
    ADD = "add"
    FLATTEN = "flatten"
    QUANT = "quant"
    REQUANT = "requant"
    AFFINE = "affine"

    @property
    def is_mac(self) -> bool:
        return self in (Op.CONV2D, Op.DENSE)


# Ops allowed in each stage; the verifier enforces this.
FLOAT_ONLY = frozenset({Op.BATCHNORM, Op.RELU, Op.CLIP, Op.QUANT, Op.AFFINE})
INTEGER_ONLY = frozenset({Op.REQUANT})


@dataclass(frozen=True)
class InputAttrs:
    """Graph input. `x_model = x * pre_mul + pre_add` is applied on the host
    before quantization (constant Div/Mul/Sub/Add on the input fold here)."""

    pre_mul: float = 1.0
    pre_add: float = 0.0


@dataclass(frozen=True, eq=False)
class MacAttrs:
    """Conv2d and Dense. Dense is a 1x1 conv over a `(K,)` vector.

    `bias` is real-valued (float stage); after lowering it lives in
    `requant.bias`. `acc_bits` is set by lowering: the smallest signed width
    that holds every row's worst case (DESIGN §2).
    """

    weights: Weights
    bias: np.ndarray | None = None
    stride: tuple[int, int] = (1, 1)
    padding: tuple[int, int, int, int] = (0, 0, 0, 0)  # top, left, bottom, right
    groups: int = 1
    requant: Requant | None = None
    acc_bits: int | None = None

    def __post_init__(self) -> None:
        if self.bias is not None:
            object.__setattr__(self, "bias", frozen_array(self.bias, np.float64))

    @property
    def kernel(self) -> tuple[int, int]:
        v = self.weights.values
        return (v.shape[2], v.shape[3]) if v.ndim == 4 else (1, 1)

    @property
    def depthwise(self) -> bool:
        return self.groups > 1

    def __eq__(self, other: object) -> bool:
        return (isinstance(other, MacAttrs) and self.weights == other.weights
                and arrays_equal(self.bias, other.bias) and self.stride == other.stride
                and self.padding == other.padding and self.groups == other.groups
                and self.requant == other.requant and self.acc_bits == other.acc_bits)

    __hash__ = None  # type: ignore[assignment]


@dataclass(frozen=True, eq=False)
class BatchNormAttrs:
    mean: np.ndarray
    var: np.ndarray
    gamma: np.ndarray
    beta: np.ndarray
    eps: float = 1e-5

    def __post_init__(self) -> None:
        for f in ("mean", "var", "gamma", "beta"):
            object.__setattr__(self, f, frozen_array(getattr(self, f), np.float64))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, BatchNormAttrs) and self.eps == other.eps and all(
            arrays_equal(getattr(self, f), getattr(other, f)) for f in ("mean", "var", "gamma", "beta"))

    __hash__ = None  # type: ignore[assignment]


@dataclass(frozen=True, eq=False)
class AffineAttrs:
    """`y = x * mul[c] + add[c]` per channel (the last axis): an elementwise
    Mul/Div/Add/Sub by a constant as an exporter wrote it. `source` is the
    ONNX op it came from ("Div", ...), kept for the messages of the pass that
    folds it (`passes.fold_affine`)."""

    mul: np.ndarray
    add: np.ndarray
    source: str = "Mul"

    def __post_init__(self) -> None:
        for f in ("mul", "add"):
            object.__setattr__(self, f, frozen_array(getattr(self, f), np.float64))

    def __eq__(self, other: object) -> bool:
        return (isinstance(other, AffineAttrs) and self.source == other.source
                and arrays_equal(self.mul, other.mul) and arrays_equal(self.add, other.add))

    __hash__ = None  # type: ignore[assignment]


@dataclass(frozen=True)
class ClipAttrs:
    lo: float
    hi: float


@dataclass(frozen=True)
class PoolAttrs:
    """MaxPool / AvgPool. AvgPool divides by the full window (padding counted).
    Max-pool padding uses the type's minimum, which never wins a max."""

    kernel: tuple[int, int]
    stride: tuple[int, int]
    padding: tuple[int, int, int, int] = (0, 0, 0, 0)
    requant: Requant | None = None


@dataclass(frozen=True)
class GapAttrs:
    requant: Requant | None = None


@dataclass(frozen=True, eq=False)
class AddAttrs:
    """Residual add; lowered: `y = clamp((a*Ma + b*Mb + B) >> sh, lo, hi)`."""

    requant: Requant | None = None  # mult = [Ma, Mb], bias = [B]

    def __eq__(self, other: object) -> bool:
        return isinstance(other, AddAttrs) and self.requant == other.requant

    __hash__ = None  # type: ignore[assignment]


@dataclass(frozen=True)
class QuantAttrs:
    """Fake-quantize to `qtype`: q = clamp(floor(x/scale + 1/2), lo, hi)."""

    qtype: QType


@dataclass(frozen=True)
class RequantAttrs:
    """Standalone per-tensor requantization of an integer tensor."""

    requant: Requant


@dataclass(frozen=True)
class NoAttrs:
    pass


Attrs = (InputAttrs | MacAttrs | BatchNormAttrs | AffineAttrs | ClipAttrs | PoolAttrs | GapAttrs
         | AddAttrs | QuantAttrs | RequantAttrs | NoAttrs)

ATTRS_OF: dict[Op, type] = {
    Op.INPUT: InputAttrs, Op.CONV2D: MacAttrs, Op.DENSE: MacAttrs,
    Op.BATCHNORM: BatchNormAttrs, Op.RELU: NoAttrs, Op.CLIP: ClipAttrs,
    Op.MAXPOOL: PoolAttrs, Op.AVGPOOL: PoolAttrs, Op.GLOBALAVGPOOL: GapAttrs,
    Op.ADD: AddAttrs, Op.FLATTEN: NoAttrs, Op.QUANT: QuantAttrs, Op.REQUANT: RequantAttrs,
    Op.AFFINE: AffineAttrs,
}
