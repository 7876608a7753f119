"""Pipeline stages: rate choice, pruning, adaptive BN, KD, FlipOut."""
import pytest
import torch
from torch import nn

from tritium.compression.adabn import adaptive_bn
from tritium.compression.flipout import FlipTracker
from tritium.compression.groups import group_density
from tritium.compression.kd import KDConfig, kd_loss
from tritium.compression.knee import find_knee
from tritium.compression.modules import TernaryConv2d
from tritium.compression.pipeline import CompressConfig, Method, choose_rate, prune, rate_for_target
from tritium.compression.train import Split
from tritium.errors import OptionError


def test_rate_for_target_and_unreachable_target():
    cfg = CompressConfig()
    assert rate_for_target(32, cfg) == pytest.approx(0.5)
    assert rate_for_target(8, cfg) == 0.0
    with pytest.raises(OptionError, match=r"cannot be reached: the best reachable PE-wise rate is 320\.0x"):
        rate_for_target(1000, cfg)
    with pytest.raises(OptionError):
        CompressConfig(target_compression=-1)


def test_knee_of_flat_then_falling_curve():
    rates = [0.0, 0.2, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9]
    accs = [99.0, 99.0, 98.8, 98.5, 97.0, 80.0, 40.0, 10.0]
    rate, how = find_knee(rates, accs)
    assert how == "kneedle" and 0.5 <= rate <= 0.7
    assert find_knee([0, 0.5, 1], [90, 90, 90]) == (1, "fallback")
    # a sigmoid with a noisy chance-level tail: the knee is before the fall, not in the tail
    sig = [99.3, 99.3, 93.0, 86.8, 64.8, 37.3, 13.2, 12.9, 7.0, 17.4]
    r = [0.0, 0.2, 0.4, 0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.95]
    assert find_knee(r, sig)[0] <= 0.6
    assert choose_rate(list(zip(rates, accs)), CompressConfig(target_compression=64))[1] == "target"


class Tiny(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = TernaryConv2d(32, 8, 3, padding=1)
        self.bn = nn.BatchNorm2d(8)

    def forward(self, x):
        return self.bn(self.conv(x)).mean((2, 3))


def test_prune_freezes_the_requested_fraction_of_groups():
    torch.manual_seed(0)
    m = Tiny()
    scores = {"conv": torch.rand(8, 2)}
    prune(m, scores, 0.5, 16)
    assert group_density(m.conv.weight_mask, 16) == 0.5
    codes = torch.tensor(m.conv.export_weights().values, dtype=torch.float)
    assert group_density(codes, 16) <= 0.5       # ternary zeros may empty more groups


def test_adaptive_bn_reestimates_statistics():
    torch.manual_seed(0)
    m = Tiny()
    x = torch.randn(128, 32, 4, 4) * 3 + 1
    adaptive_bn(m, Split(x, torch.zeros(128, dtype=torch.long)), n_batches=4, batch=32)
    assert not m.training
    with torch.no_grad():
        pre = m.conv(x)
    assert torch.allclose(m.bn.running_mean, pre.mean((0, 2, 3)), atol=0.05 * pre.abs().mean())


def test_kd_loss_reduces_to_ce_and_rejects_bad_config():
    s, t = torch.randn(4, 10), torch.randn(4, 10)
    y = torch.tensor([1, 2, 3, 4])
    assert torch.isclose(kd_loss(s, t, y, KDConfig(alpha=0.0)), nn.functional.cross_entropy(s, y))
    assert kd_loss(s, s, y, KDConfig(alpha=1.0)).abs() < 1e-6
    with pytest.raises(OptionError):
        KDConfig(temperature=0)


def test_flipout_counts_flips_and_groups_saliency():
    m = Tiny()
    tr = FlipTracker({"conv": m.conv}, noise=1.0, seed=0)
    tr.before_step()
    with torch.no_grad():
        m.conv.weight[0].neg_()
    tr.after_step()
    assert int(tr.flips["conv"][0].sum()) == (m.conv.weight[0] != 0).sum()
    sal = tr.saliency("conv")
    assert torch.allclose(sal[1], m.conv.weight[1].detach() ** 2)
    gs = tr.group_saliency("conv", 16)
    assert gs.shape == (8, 2)
    assert torch.isclose(gs[1, 0], sal[1, :16].sum())


def test_methods_parse():
    assert [m.value for m in Method] == ["magnitude", "group-lasso", "wpc", "flipout"]
