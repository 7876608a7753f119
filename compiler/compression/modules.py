"""Quantized PyTorch modules: trained by `compress`, recognised by the importer.

Each module's forward pass computes exactly what its export means:

- `QuantAct`: activations `q = clamp(floor(x/s + 1/2), lo, hi)`, real `q*s`
  (`QuantAttrs`); `.qtype()` gives the IR type.
- `TernaryConv2d` / `TernaryLinear`: codes in {-1, 0, +1} times one α per
  output channel; `export_weights()` returns those codes and α as `Weights`.
- `IntConv2d` / `IntLinear`: symmetric per-channel int8 (first/last layers).

Every weight module holds a `weight_mask` buffer (1 = kept) that the forward
pass applies before quantizing: frozen pruned groups are exact zeros. Biases
stay float (the lowering folds them into the requantization bias). A module's
`quant_enabled = False` turns it into its float counterpart (masked), which is
how the float teacher and the pruning stage share one architecture.

TTQ (two trained scales W^p, W^n) is supported for training, but the IR holds
one scale per output channel: a TTQ layer exports only when W^p == W^n, and
otherwise `export_weights` raises `QuantizationError` (train it with
`ttq_tied=True`, which learns one scale, to get an exportable TTQ layer).
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from ..errors import QuantizationError
from ..ir.types import QType, WeightKind, Weights, int_range
from .quantizers import (Threshold, fake_quant, int_quantize, per_channel, ste, ternary_alpha,
                         ternary_codes, ternary_delta)


class QuantAct(nn.Module):
    """Fake-quantize activations to `bits` (signed or not), per-tensor scale.

    The scale is fixed (`scale=` a number), calibrated as an exponential
    running max of |x| while training (`scale=None`), or learned with the LSQ
    gradient (`learn_scale=True`, initialised by calibration on the first batch).
    `freeze()` stops calibration.
    """

    def __init__(self, bits: int = 8, signed: bool = False, scale: float | None = None,
                 learn_scale: bool = False, momentum: float = 0.1):
        super().__init__()
        assert 2 <= bits <= 16, bits
        self.bits, self.signed, self.momentum = bits, signed, momentum
        self.fixed = scale is not None
        self.frozen = self.fixed
        self.quant_enabled = True
        self.learn_scale = learn_scale and not self.fixed
        init = torch.tensor(float(scale) if self.fixed else 1.0)
        self.register_buffer("running_max", init * self.hi if self.fixed else torch.tensor(0.0))
        self.log_scale = nn.Parameter(init.log()) if self.learn_scale else None
        self.register_buffer("_scale", init)

    @property
    def lo(self) -> int:
        return int_range(self.bits, self.signed)[0]

    @property
    def hi(self) -> int:
        return int_range(self.bits, self.signed)[1]

    def scale(self) -> torch.Tensor:
        return self.log_scale.exp() if self.log_scale is not None else self._scale

    def freeze(self) -> "QuantAct":
        self.frozen = True
        return self

    def _calibrate(self, x: torch.Tensor) -> None:
        m = x.detach().abs().max() if self.signed else x.detach().clamp(min=0).max()
        first = bool(self.running_max == 0)
        self.running_max.copy_(m if first else (1 - self.momentum) * self.running_max + self.momentum * m)
        s = torch.clamp(self.running_max / self.hi, min=1e-8)
        if self.log_scale is not None:
            if first:
                with torch.no_grad():
                    self.log_scale.copy_(s.log())
        else:
            self._scale.copy_(s)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.training and not self.frozen and (self.log_scale is None or bool(self.running_max == 0)):
            self._calibrate(x)  # a learned scale is only initialised by calibration
        if not self.quant_enabled:
            return x
        return fake_quant(x, self.scale(), self.lo, self.hi)

    def qtype(self) -> QType:
        return QType(self.bits, self.signed, float(self.scale().detach().float()))

    def extra_repr(self) -> str:
        return f"bits={self.bits}, signed={self.signed}, scale={float(self.scale()):.6g}"


class _MaskedWeight:
    """Mix-in: the weight mask and the float/quantized switch of weight modules."""

    weight: nn.Parameter
    quant_enabled: bool

    def _init_mask(self) -> None:
        self.register_buffer("weight_mask", torch.ones_like(self.weight))  # type: ignore[attr-defined]
        self.quant_enabled = True

    def masked_weight(self) -> torch.Tensor:
        return self.weight * self.weight_mask  # type: ignore[attr-defined]

    def effective_weight(self) -> torch.Tensor:
        """The weight tensor the forward pass uses (float or quantized)."""
        w = self.masked_weight()
        return self.quantize_weight(w) if self.quant_enabled else w

    def quantize_weight(self, w: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def codes_and_scale(self) -> tuple[torch.Tensor, torch.Tensor]:
        raise NotImplementedError

    def export_weights(self, name: str = "") -> Weights:
        """The exact codes and per-channel scales of the forward pass, as IR weights."""
        if not self.quant_enabled:
            return Weights(WeightKind.FLOAT, self.masked_weight().detach().double().numpy(),
                           1.0, name=name)
        codes, scale = self.codes_and_scale()
        return Weights(self.kind, codes.detach().numpy().astype("int64"),
                       scale.detach().double().numpy(), self.bits, name=name)


class _Ternary(_MaskedWeight):
    """Ternary quantizer state shared by the conv and linear modules."""

    kind = WeightKind.TERNARY
    bits = 2

    def _init_ternary(self, threshold: Threshold | str, t: float | None, per_channel: bool,
                      ttq: bool, ttq_tied: bool) -> None:
        self.threshold = Threshold(threshold)
        default = {Threshold.HE: 0.05, Threshold.TWN: 0.7, Threshold.SPARSITY: 0.5}
        self.t = default[self.threshold] if t is None else float(t)
        self.per_channel = per_channel
        self.ttq = ttq or ttq_tied
        self.ttq_tied = ttq_tied
        m = self.weight.shape[0]
        n = m if per_channel else 1
        self.wp = nn.Parameter(torch.ones(n)) if self.ttq else None
        self.wn = nn.Parameter(torch.ones(n)) if self.ttq and not ttq_tied else None
        self._init_mask()

    def init_ttq_scales(self) -> None:
        """Start W^p, W^n at the statistical α (call before enabling TTQ training)."""
        w = self.masked_weight()
        a = ternary_alpha(w, ternary_codes(w, self._delta(w)), self.per_channel)
        with torch.no_grad():
            for p in (self.wp, self.wn):
                if p is not None:
                    p.copy_(a if self.per_channel else a[:1])

    def _delta(self, w: torch.Tensor) -> torch.Tensor:
        return ternary_delta(w, self.threshold, self.t, self.per_channel)

    def _scales(self, w: torch.Tensor, codes: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        m = w.shape[0]
        if not self.ttq:
            a = ternary_alpha(w, codes, self.per_channel)
            return a, a
        wp = self.wp.expand(m)
        wn = (self.wn if self.wn is not None else self.wp).expand(m)
        return wp, wn

    def quantize_weight(self, w: torch.Tensor) -> torch.Tensor:
        codes = ternary_codes(w, self._delta(w))
        wp, wn = self._scales(w, codes)
        pos, neg = (codes > 0).to(w.dtype), (codes < 0).to(w.dtype)
        q = pos * per_channel(wp, w.dim()) - neg * per_channel(wn, w.dim())
        if self.ttq:  # scales get their gradient from q; the latent weight through the STE
            return q + (w - w.detach())
        return ste(w, q)  # α is a statistic of w, not trained: no gradient through it

    def codes_and_scale(self) -> tuple[torch.Tensor, torch.Tensor]:
        w = self.masked_weight().detach()
        codes = ternary_codes(w, self._delta(w))
        wp, wn = self._scales(w, codes)
        if not torch.equal(wp, wn):
            raise QuantizationError(
                "a TTQ layer with two different scales (W^p != W^n) cannot be exported: the IR holds "
                "one scale per output channel; train it with ttq_tied=True or symmetric scales")
        return codes, wp.detach().float()


class _Int(_MaskedWeight):
    kind = WeightKind.INT

    def quantize_weight(self, w: torch.Tensor) -> torch.Tensor:
        codes, scale = int_quantize(w, self.bits)
        return ste(w, codes * per_channel(scale, w.dim()))

    def codes_and_scale(self) -> tuple[torch.Tensor, torch.Tensor]:
        return int_quantize(self.masked_weight().detach(), self.bits)


def _explicit_pad(conv: nn.Conv2d, x: torch.Tensor) -> torch.Tensor:
    """A conv's `pads` (top, left, bottom, right), set when its padding is asymmetric
    (a graph's "SAME" padding), applied before the conv, whose own padding is then 0."""
    if conv.pads is None:
        return x
    top, left, bottom, right = conv.pads
    return F.pad(x, (left, right, top, bottom))


class TernaryConv2d(_Ternary, nn.Conv2d):
    pads: tuple[int, int, int, int] | None = None

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1, padding=0,
                 groups: int = 1, bias: bool = True, threshold: Threshold | str = Threshold.HE,
                 t: float | None = None, per_channel: bool = True, ttq: bool = False,
                 ttq_tied: bool = False):
        nn.Conv2d.__init__(self, in_channels, out_channels, kernel_size, stride=stride,
                           padding=padding, groups=groups, bias=bias)
        self._init_ternary(threshold, t, per_channel, ttq, ttq_tied)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self._conv_forward(_explicit_pad(self, x), self.effective_weight(), self.bias)


class TernaryLinear(_Ternary, nn.Linear):
    def __init__(self, in_features: int, out_features: int, bias: bool = True,
                 threshold: Threshold | str = Threshold.HE, t: float | None = None,
                 per_channel: bool = True, ttq: bool = False, ttq_tied: bool = False):
        nn.Linear.__init__(self, in_features, out_features, bias=bias)
        self._init_ternary(threshold, t, per_channel, ttq, ttq_tied)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.linear(x, self.effective_weight(), self.bias)


class IntConv2d(_Int, nn.Conv2d):
    pads: tuple[int, int, int, int] | None = None

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1, padding=0,
                 groups: int = 1, bias: bool = True, bits: int = 8):
        nn.Conv2d.__init__(self, in_channels, out_channels, kernel_size, stride=stride,
                           padding=padding, groups=groups, bias=bias)
        self.bits = bits
        self._init_mask()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self._conv_forward(_explicit_pad(self, x), self.effective_weight(), self.bias)


class IntLinear(_Int, nn.Linear):
    def __init__(self, in_features: int, out_features: int, bias: bool = True, bits: int = 8):
        nn.Linear.__init__(self, in_features, out_features, bias=bias)
        self.bits = bits
        self._init_mask()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.linear(x, self.effective_weight(), self.bias)


WEIGHT_MODULES = (TernaryConv2d, TernaryLinear, IntConv2d, IntLinear)
QUANT_MODULES = WEIGHT_MODULES + (QuantAct,)


def ternary_layers(model: nn.Module) -> list[tuple[str, nn.Module]]:
    return [(n, m) for n, m in model.named_modules() if isinstance(m, (TernaryConv2d, TernaryLinear))]


def set_quant_enabled(model: nn.Module, enabled: bool, acts: bool = True, weights: bool = True) -> None:
    """Switch fake quantization of weights and/or activations on or off."""
    for m in model.modules():
        if isinstance(m, QuantAct) and acts or isinstance(m, WEIGHT_MODULES) and weights:
            m.quant_enabled = enabled


def freeze_act_scales(model: nn.Module) -> None:
    for m in model.modules():
        if isinstance(m, QuantAct):
            m.freeze()
