"""Value types of the IR: activation quantization, tensor types and weights.

Activations are integers `q` with a per-tensor scale: real value `q * scale`
(zero-point 0, DESIGN §2). Feature maps are channels-last `(H, W, C)` and
vectors `(C,)`; the batch dimension is implicit and never part of a type.

Weights are stored as `values` with one scale per output channel: the real
weight is `values[m, ...] * scale[m]`. Ternary codes are in {-1, 0, +1}
(`bits == 2`), integer weights are signed `bits`-wide, float weights carry
their real values with unit scales (only before compression or import-time
ternarization).
"""
from __future__ import annotations

import enum
import math
from dataclasses import dataclass

import numpy as np

from ..errors import QuantizationError


@dataclass(frozen=True)
class QType:
    """Integer activation type: `bits` wide, `signed` or not, real = q * scale."""

    bits: int
    signed: bool
    scale: float

    def __post_init__(self) -> None:
        assert 1 <= self.bits <= 48, f"activation width {self.bits} out of range"
        assert math.isfinite(self.scale) and self.scale > 0, f"bad scale {self.scale}"

    @property
    def lo(self) -> int:
        return int_range(self.bits, self.signed)[0]

    @property
    def hi(self) -> int:
        return int_range(self.bits, self.signed)[1]

    @property
    def max_abs(self) -> int:
        return max(-self.lo, self.hi)

    def __str__(self) -> str:
        return f"{'i' if self.signed else 'u'}{self.bits}*{self.scale:.6g}"


@dataclass(frozen=True)
class TensorType:
    """Shape without batch, plus quantization (`None` while still float)."""

    shape: tuple[int, ...]
    qtype: QType | None = None

    @property
    def channels(self) -> int:
        return self.shape[-1]

    @property
    def size(self) -> int:
        return int(np.prod(self.shape))

    def __str__(self) -> str:
        dims = "x".join(str(d) for d in self.shape)
        return f"{self.qtype if self.qtype else 'f32'}[{dims}]"


REQUANT_MULT_BITS = 16   # a requantizer's M is a signed integer of this width (DESIGN §2)


class WeightKind(enum.Enum):
    FLOAT = "float"
    TERNARY = "ternary"
    INT = "int"


def frozen_array(a, dtype) -> np.ndarray:
    """A read-only copy, so that IR values stay immutable."""
    out = np.array(a, dtype=dtype, copy=True)
    out.setflags(write=False)
    return out


def arrays_equal(a: np.ndarray | None, b: np.ndarray | None) -> bool:
    if a is None or b is None:
        return a is b
    return a.shape == b.shape and a.dtype == b.dtype and bool(np.array_equal(a, b))


@dataclass(frozen=True, eq=False)
class Weights:
    """Weights of a Conv2d `(M, C_in/groups, kh, kw)` or Dense `(M, K)`.

    `scale` has one entry per output channel `M`; a per-layer scale is the case
    of all entries equal. Validation here is the user's contract: a layer
    declared ternary whose values are not in {-1, 0, +1} is a user error.
    """

    kind: WeightKind
    values: np.ndarray
    scale: np.ndarray
    bits: int = 32
    name: str = ""

    def __post_init__(self) -> None:
        dtype = storage_dtype(self.kind, self.bits)
        values = np.asarray(self.values)
        where = f" of '{self.name}'" if self.name else ""
        if not np.all(np.isfinite(values)) or not np.all(np.isfinite(self.scale)):
            raise QuantizationError(
                f"weights{where} contain NaN or infinite values; "
                "fix or retrain the model before compiling it")
        if self.kind is not WeightKind.FLOAT:
            if not np.all(values == np.round(values)):
                raise QuantizationError(
                    f"weights{where} are declared {self.kind.value} but hold non-integer codes")
            lo, hi = (-1, 1) if self.kind is WeightKind.TERNARY else (
                -(1 << (self.bits - 1)), (1 << (self.bits - 1)) - 1)
            if values.size and (values.min() < lo or values.max() > hi):
                raise QuantizationError(
                    f"weights{where} are declared {self.kind.value}"
                    f"{'' if self.kind is WeightKind.TERNARY else f' {self.bits}-bit'}"
                    f" but hold values in [{values.min()}, {values.max()}], outside [{lo}, {hi}]; "
                    "quantize them first (e.g. `tritium compress`) or declare them float")
        object.__setattr__(self, "values", frozen_array(values, dtype))
        scale = np.broadcast_to(np.asarray(self.scale, dtype=np.float64), (values.shape[0],))
        object.__setattr__(self, "scale", frozen_array(scale, np.float64))
        if self.kind is WeightKind.TERNARY:
            object.__setattr__(self, "bits", 2)

    @property
    def out_channels(self) -> int:
        return self.values.shape[0]

    def real(self) -> np.ndarray:
        """Real-valued weights, `values * scale` per output channel."""
        s = self.scale.reshape((-1,) + (1,) * (self.values.ndim - 1))
        return self.values.astype(np.float64) * s

    def with_scale(self, scale: np.ndarray) -> "Weights":
        return Weights(self.kind, self.values, scale, self.bits, self.name)

    def __eq__(self, other: object) -> bool:
        return (isinstance(other, Weights) and self.kind is other.kind and self.bits == other.bits
                and arrays_equal(self.values, other.values)
                and arrays_equal(self.scale, other.scale))

    __hash__ = None  # type: ignore[assignment]

    def __str__(self) -> str:
        shape = "x".join(str(d) for d in self.values.shape)
        return f"{self.kind.value}{'' if self.kind is WeightKind.TERNARY else self.bits}[{shape}]"


@dataclass(frozen=True, eq=False)
class Requant:
    """Integer requantization, DESIGN §2: `y = clamp((acc*M + B) >> shift, lo, hi)`.

    `mult` and `bias` have one entry per output channel (or one for a scalar
    requant). `error_lsb` is the worst-case deviation, in output LSBs, of the
    value before flooring against the exact real-valued computation; it is
    computed once by the lowering pass and reported.
    """

    mult: np.ndarray
    bias: np.ndarray
    shift: int
    lo: int
    hi: int
    error_lsb: float = 0.0

    def __post_init__(self) -> None:
        object.__setattr__(self, "mult", frozen_array(self.mult, np.int64))
        object.__setattr__(self, "bias", frozen_array(self.bias, np.int64))
        assert 0 <= self.shift <= 31, self.shift
        assert self.lo <= self.hi
        assert np.all(np.abs(self.mult) < (1 << (REQUANT_MULT_BITS - 1))), \
            f"M must fit a signed {REQUANT_MULT_BITS}-bit integer"

    def __eq__(self, other: object) -> bool:
        return (isinstance(other, Requant) and self.shift == other.shift
                and self.lo == other.lo and self.hi == other.hi
                and arrays_equal(self.mult, other.mult) and arrays_equal(self.bias, other.bias))

    __hash__ = None  # type: ignore[assignment]

    @property
    def bias_bits(self) -> int:
        """Signed width of the largest |B| (at least 2): the hardware's B field."""
        return bias_bits(self.bias)

    def __str__(self) -> str:
        return f"requant(>>{self.shift}, [{self.lo},{self.hi}], err<={self.error_lsb:.3g}lsb)"


def storage_dtype(kind: WeightKind, bits: int) -> type:
    """Weight storage: int8 for ternary codes (a 100M-weight layer stays 100 MB),
    int16 for integer weights up to 15 bits (room for abs and masks), else int64."""
    if kind is WeightKind.FLOAT:
        return np.float64
    if kind is WeightKind.TERNARY:
        return np.int8
    return np.int16 if bits <= 15 else np.int64


def int_range(bits: int, signed: bool) -> tuple[int, int]:
    """(lowest, highest) integer of a `bits`-wide two's-complement or unsigned code."""
    return (-(1 << (bits - 1)), (1 << (bits - 1)) - 1) if signed else (0, (1 << bits) - 1)


def signed_width(bound: int) -> int:
    """Smallest two's-complement width holding every integer in [-bound, bound]."""
    return max(int(bound).bit_length() + 1, 2)


def bias_bits(bias) -> int:
    """Signed width of a requantizer's B table (its largest |B|, at least 2 bits)."""
    return signed_width(max((abs(int(b)) for b in np.ravel(bias)), default=0))
