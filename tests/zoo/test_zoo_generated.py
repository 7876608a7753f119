"""Generated zoo networks: architecture, exact PE-group density, determinism, speed."""
from __future__ import annotations

import time

import numpy as np
import pytest

from tritium.compression.groups import group_nonzero_np
from tritium.errors import OptionError
from tritium.ir.interp import run_float, run_golden
from tritium.ir.ops import Op
from tritium.ir.types import WeightKind
from tritium.ir.verify import verify
from tritium.passes import lower
from tritium.zoo.generated import kept_groups, resnet8, resnet18, vgg16


def pruned(g):
    return [n for n in g.macs() if n.attrs.weights.kind is WeightKind.TERNARY]


def test_resnet8_architecture():
    g = verify(resnet8())
    assert g.input.shape == (32, 32, 3) and g.output_node.shape == (10,)
    convs = [n for n in g.macs() if n.op is Op.CONV2D]
    assert [n.attrs.weights.out_channels for n in convs] == [16, 16, 16, 32, 32, 32, 64, 64, 64]
    downs = [n for n in convs if n.name.endswith("downsample")]
    assert [(n.attrs.kernel, n.attrs.stride) for n in downs] == [((1, 1), (2, 2))] * 2
    assert sum(n.op is Op.ADD for n in g.nodes) == 3
    kinds = [n.attrs.weights.kind for n in g.macs()]
    assert kinds[0] is kinds[-1] is WeightKind.INT and g.macs()[0].attrs.weights.bits == 8
    assert all(k is WeightKind.TERNARY for k in kinds[1:-1])


@pytest.mark.parametrize("density,simd", [(0.25, 16), (0.5, 8), (0.1, 7), (1.0, 16), (0.0, 16)])
def test_density_is_exact_per_layer(density, simd):
    for n in pruned(resnet8(density=density, seed=2, simd=simd)):
        v = n.attrs.weights.values
        nz = group_nonzero_np(v, simd)
        assert nz.sum() == kept_groups(density, v.shape[0], v.shape[1], simd), n.name
        assert nz.sum() == int(np.floor(density * nz.size + 0.5))


def test_first_and_last_layers_are_not_pruned():
    g = resnet8(density=0.1)
    for n in (g.macs()[0], g.macs()[-1]):
        assert group_nonzero_np(n.attrs.weights.values, 16).all()


def test_deterministic_for_a_seed():
    a, b, c = resnet8(seed=7), resnet8(seed=7), resnet8(seed=8)
    assert a == b
    assert a != c


def test_resnet18_shapes_and_speed():
    t = time.perf_counter()
    g = resnet18()
    elapsed = time.perf_counter() - t
    assert elapsed < 2.0, f"resnet18 took {elapsed:.2f}s"
    verify(g)
    assert g.input.shape == (224, 224, 3) and g.output_node.shape == (1000,)
    assert g.node("maxpool").shape == (56, 56, 64)
    assert g.node("layer4.1.quant").shape == (7, 7, 512)
    assert len(g.macs()) == 21  # 17 convs + 3 downsamples + fc
    n_params = sum(n.attrs.weights.values.size for n in g.macs())
    assert 11_600_000 < n_params < 11_700_000


def test_vgg16_shapes():
    g = verify(vgg16(hidden=64))
    assert g.node("pool5").shape == (7, 7, 512) and g.node("flatten").shape == (25088,)
    assert [n.attrs.weights.out_channels for n in g.macs()][-3:] == [64, 64, 1000]
    assert len(g.macs()) == 16


def test_lowers_without_calibration_and_stays_in_range():
    g = resnet8(seed=1)
    x = np.random.default_rng(0).normal(size=(4, 32, 32, 3))
    y = run_golden(lower(g), x)
    assert y.shape == (4, 10)
    _, env = run_float(g, x, keep=True)
    for n in g.nodes:
        if n.op is Op.QUANT:
            q = n.attrs.qtype
            codes = env[n.name] / q.scale
            assert np.mean(codes >= q.hi) < 0.01, f"{n.name} saturates"


@pytest.mark.parametrize("bad", [dict(density=1.5), dict(seed=-1), dict(simd=0)])
def test_bad_options(bad):
    with pytest.raises(OptionError):
        resnet8(**bad)
