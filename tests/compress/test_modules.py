"""Quantized modules: integer contracts, threshold rules, exact export."""
import numpy as np
import pytest
import torch

from tritium.compression.modules import (IntConv2d, IntLinear, QuantAct, TernaryConv2d, TernaryLinear,
                                       set_quant_enabled)
from tritium.compression.quantizers import Threshold
from tritium.errors import QuantizationError
from tritium.ir.types import storage_dtype, WeightKind


def test_quantact_integer_contract_unsigned():
    q = QuantAct(bits=4, signed=False, scale=0.5).eval()
    x = torch.tensor([-1.0, 0.0, 0.24, 0.25, 0.26, 0.75, 3.0, 7.5, 100.0])
    codes = torch.clamp(torch.floor(x / 0.5 + 0.5), 0, 15)
    assert torch.equal(q(x), codes * 0.5)
    t = q.qtype()
    assert (t.bits, t.signed, t.scale, t.lo, t.hi) == (4, False, 0.5, 0, 15)


def test_quantact_signed_and_ste():
    q = QuantAct(bits=3, signed=True, scale=1.0).eval()
    x = torch.tensor([-9.0, -4.5, -0.5, 0.5, 2.4, 9.0], requires_grad=True)
    y = q(x)
    assert y.tolist() == [-4.0, -4.0, 0.0, 1.0, 2.0, 3.0]
    y.sum().backward()
    assert x.grad.tolist() == [0.0, 1.0, 1.0, 1.0, 1.0, 0.0]  # clipped STE


def test_quantact_calibrates_then_freezes():
    q = QuantAct(bits=8).train()
    q(torch.tensor([0.0, 2.55]))
    assert q.qtype().scale == pytest.approx(0.01)
    q.freeze()
    q(torch.tensor([100.0]))
    assert q.qtype().scale == pytest.approx(0.01)


def test_quantact_learned_scale_gets_gradient():
    q = QuantAct(bits=8, learn_scale=True).train()
    x = torch.rand(64) * 3
    q(x).sum().backward()
    assert q.log_scale.grad is not None


@pytest.mark.parametrize("rule,t", [("he", 0.05), ("twn", 0.7), ("sparsity", 0.5)])
def test_ternary_threshold_rules(rule, t):
    torch.manual_seed(0)
    m = TernaryLinear(64, 4, threshold=rule, per_channel=False)
    w = m.weight.detach()
    a = w.abs()
    codes, alpha = m.codes_and_scale()
    if rule == "he":
        delta = t * a.max()
    elif rule == "twn":
        delta = t * a.mean()
    else:
        delta = torch.sort(a.reshape(-1)).values[int(0.5 * a.numel())]
        assert int((codes == 0).sum()) == int(0.5 * a.numel())
    assert torch.equal(codes, torch.sign(w) * (a >= delta))
    assert torch.allclose(alpha, a[codes != 0].mean().expand(4))


def test_ternary_per_channel_alpha():
    torch.manual_seed(0)
    m = TernaryConv2d(8, 4, 3, threshold="twn", per_channel=True)
    codes, alpha = m.codes_and_scale()
    w = m.weight.detach()
    for o in range(4):
        nz = codes[o] != 0
        assert torch.isclose(alpha[o], w[o].abs()[nz].mean())


@pytest.mark.parametrize("make", [
    lambda: TernaryConv2d(8, 6, 3, padding=1),
    lambda: TernaryLinear(20, 5, threshold="twn"),
    lambda: IntConv2d(3, 6, 3),
    lambda: IntLinear(20, 5),
])
def test_export_round_trips_exactly(make):
    torch.manual_seed(3)
    m = make()
    m.weight_mask[0].zero_()
    exp = m.export_weights("layer")
    assert exp.kind in (WeightKind.TERNARY, WeightKind.INT)
    eff = m.effective_weight().detach().double().numpy()
    assert np.array_equal(exp.real(), eff)                # codes * scales == what forward uses
    assert np.all(exp.values[0] == 0)                      # the mask is exported
    assert exp.scale.dtype == np.float64
    assert exp.values.dtype == storage_dtype(exp.kind, exp.bits)  # int8 ternary, int16 int8


def test_int_codes_are_symmetric_int8():
    torch.manual_seed(0)
    exp = IntLinear(50, 7).export_weights()
    assert exp.bits == 8 and np.abs(exp.values).max() == 127


def test_forward_uses_exported_weights():
    torch.manual_seed(0)
    m = TernaryConv2d(4, 3, 3, padding=1).eval()
    x = torch.randn(2, 4, 5, 5)
    w = torch.tensor(m.export_weights().real(), dtype=torch.float32)
    assert torch.allclose(m(x), torch.nn.functional.conv2d(x, w, m.bias, padding=1), atol=1e-6)


def test_ternary_ste_reaches_latent_weights_but_not_masked_ones():
    m = TernaryLinear(8, 2)
    m.weight_mask[1].zero_()
    m(torch.randn(4, 8)).sum().backward()
    assert torch.all(m.weight.grad[1] == 0) and torch.any(m.weight.grad[0] != 0)


def test_ttq_asymmetric_refuses_export_and_tied_exports():
    m = TernaryLinear(8, 2, ttq=True)
    m.init_ttq_scales()
    with torch.no_grad():
        m.wn.add_(0.1)
    with pytest.raises(QuantizationError, match="W\\^p != W\\^n"):
        m.export_weights()
    tied = TernaryLinear(8, 2, ttq_tied=True)
    tied.init_ttq_scales()
    exp = tied.export_weights()
    assert np.array_equal(exp.real(), tied.effective_weight().detach().double().numpy())


def test_ttq_scales_are_trained():
    m = TernaryLinear(8, 2, ttq=True)
    m(torch.randn(4, 8)).pow(2).sum().backward()
    assert m.wp.grad is not None and m.wn.grad is not None


def test_quant_disabled_is_float():
    m = TernaryLinear(8, 2)
    set_quant_enabled(m, False)
    assert m.export_weights().kind is WeightKind.FLOAT
    assert torch.equal(m.effective_weight(), m.weight * m.weight_mask)


def test_threshold_enum_rejects_unknown():
    with pytest.raises(ValueError):
        Threshold("median")
