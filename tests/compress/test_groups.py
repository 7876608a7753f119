"""PE groups against DESIGN §3, and the WPC / group-lasso penalties."""
import numpy as np
import pytest
import torch

from tritium.compression import groups as G
from tritium.errors import OptionError


@pytest.mark.parametrize("shape,S,grid", [
    ((32, 16, 3, 3), 16, (32, 1)),
    ((32, 32, 3, 3), 16, (32, 2)),
    ((8, 20, 3, 3), 16, (8, 2)),     # 20 channels: one full group and one of 4
    ((8, 3, 1, 1), 4, (8, 1)),
    ((10, 128), 16, (10, 8)),         # dense: K is the channel axis
    ((10, 100), 16, (10, 7)),         # 100 = 6*16 + 4
])
def test_group_grid(shape, S, grid):
    assert G.group_grid(shape, S) == grid


def _reference_norms(w: np.ndarray, S: int) -> np.ndarray:
    """Straight from DESIGN §3: group (m, j) = out channel m x in channels [jS, (j+1)S) x all taps."""
    m, c = w.shape[:2]
    j = -(-c // S)
    out = np.zeros((m, j))
    for mm in range(m):
        for jj in range(j):
            out[mm, jj] = np.sqrt((w[mm, jj * S:(jj + 1) * S] ** 2).sum())
    return out


@pytest.mark.parametrize("shape,S", [((6, 20, 3, 3), 8), ((5, 16, 1, 1), 16), ((4, 37), 16), ((3, 5, 2, 2), 1)])
def test_group_norms_match_design(shape, S):
    w = np.random.default_rng(0).normal(size=shape)
    ref = _reference_norms(w, S)
    assert np.allclose(np.sqrt(G.group_sq_norms_np(w, S)), ref)
    assert np.allclose(G.group_norms(torch.tensor(w), S, eps=0).numpy(), ref)


def test_group_view_partial_last_group_is_zero_padded():
    w = torch.arange(1, 2 * 5 * 2 * 2 + 1, dtype=torch.float64).reshape(2, 5, 2, 2)
    v = G.group_view(w, 4)
    assert v.shape == (2, 2, 4, 4)
    assert torch.equal(v[1, 0], w[1, 0:4].reshape(4, 4))
    assert torch.equal(v[1, 1, 0], w[1, 4].reshape(4))
    assert torch.all(v[:, 1, 1:] == 0)


def test_group_nonzero_and_density():
    w = np.zeros((4, 20, 3, 3))
    w[0, 17, 2, 2] = 1.0    # only the partial group (channels 16..19) of row 0
    w[3, 0, 0, 0] = -2.0
    nz = G.group_nonzero_np(w, 16)
    assert nz.tolist() == [[False, True], [False, False], [False, False], [True, False]]
    assert G.group_density_np(w, 16) == 2 / 8
    assert G.group_density(torch.tensor(w), 16) == 2 / 8


def test_expand_group_mask_round_trips():
    rng = np.random.default_rng(1)
    gm = rng.random((6, 3)) > 0.5
    mask = G.expand_group_mask_np(gm, (6, 20, 3, 3), 8)
    assert mask.shape == (6, 20, 3, 3)
    assert np.array_equal(G.group_nonzero_np(mask.astype(float), 8), gm)
    tm = G.expand_group_mask(torch.tensor(gm), (6, 20, 3, 3), 8)
    assert np.array_equal(tm.numpy(), mask)


def test_wpc_gradient_is_zero_for_groups_above_tau():
    torch.manual_seed(0)
    w = torch.randn(8, 32, 3, 3)
    w[:, :16] *= 0.05             # column 0 of every row: weak groups
    w.requires_grad_(True)
    norms = G.group_norms(w.detach(), 16)
    tau = G.wpc_threshold(norms, 0.7, "mean")
    G.wpc_penalty(w, 16, 0.7, "mean").backward()
    gnorm = G.group_norms(w.grad, 16, eps=0)
    above = norms > tau
    assert above.any() and (~above).any()
    assert torch.all(gnorm[above] == 0)
    assert torch.all(gnorm[~above] > 0)
    # the weak groups get the plain group-lasso gradient w/‖w‖ (unit norm)
    assert torch.allclose(gnorm[~above], torch.ones_like(gnorm[~above]), atol=1e-5)


def test_wpc_rank_variant_penalizes_the_weakest_fraction():
    torch.manual_seed(1)
    w = torch.randn(10, 16, 3, 3, requires_grad=True)
    G.wpc_penalty(w, 16, 0.3, "rank").backward()
    n = G.group_norms(w.detach(), 16).reshape(-1)
    pulled = G.group_norms(w.grad, 16, eps=0).reshape(-1) > 0
    k = 3   # floor(0.3 * 10); τ is the k-th smallest norm, a tie whose gradient may go either way
    order = torch.argsort(n).tolist()
    got = set(torch.nonzero(pulled).reshape(-1).tolist())
    assert set(order[:k - 1]) <= got <= set(order[:k])


def test_group_lasso_is_sum_of_norms_and_finite_at_zero():
    w = torch.zeros(4, 16, 3, 3, requires_grad=True)
    G.group_lasso(w, 16).backward()
    assert torch.all(torch.isfinite(w.grad))


def test_lowest_groups_counts():
    s = torch.tensor([[3.0, 1.0], [2.0, 4.0]])
    assert G.lowest_groups(s, 0.5).tolist() == [[False, True], [True, False]]
    assert not G.lowest_groups(s, 0.0).any()


def test_bad_group_size_and_shape():
    with pytest.raises(OptionError, match="positive integer"):
        G.group_grid((4, 4, 3, 3), 0)
    with pytest.raises(OptionError, match="neither conv"):
        G.group_grid((4, 4, 3), 4)
    with pytest.raises(OptionError, match="variant"):
        G.wpc_threshold(torch.ones(3), 0.7, "median")
