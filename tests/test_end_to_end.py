"""The verification levels through the CLI, as a user runs them (DESIGN §5).

Compressed cnn-digits and mlp-digits: C-sim (with Tritium's stand-in types and
with AMD's headers) and RTL equal the golden model on all 360 digits test
images, and their printed accuracy is the golden one;
resnet8 (residual adds, stride-2 downsample): RTL equals golden on 32 vectors.
"""
from __future__ import annotations

import json

import pytest

from tritium.cli import main


def _simulate(capsys, *argv) -> dict:
    status = main(["simulate", *map(str, argv), "--json"])
    out = json.loads(capsys.readouterr().out)
    assert status == (0 if out["mismatches"] == 0 else 1)
    return out


@pytest.fixture(scope="module", params=["zoo:cnn-digits-32x", "zoo:mlp-digits"])
def compiled(request, tmp_path_factory):
    out = tmp_path_factory.mktemp("design") / request.param.split(":")[1]
    assert main(["compile", request.param, "--board", "pynq-z2", "--backend", "all",
                 "-o", str(out), "--quiet"]) == 0
    return request.param, out


def test_golden_matches_float_model(compiled, capsys):
    model, _ = compiled
    r = _simulate(capsys, model, "--level", "golden")
    assert r["n"] == 360 and r["float_agreement"] >= 0.99
    assert r["accuracy"] >= 0.95


@pytest.mark.parametrize("level", ["csim", "rtl"])
def test_design_equals_golden_on_all_test_images(compiled, level, capsys):
    model, out = compiled
    golden = _simulate(capsys, model, "--level", "golden")
    r = _simulate(capsys, out, "--level", level)
    assert r["n"] == 360 and r["mismatches"] == 0, r.get("first_mismatch")
    assert r["accuracy"] == golden["accuracy"] == r["golden_accuracy"]
    if level == "rtl":
        assert r["gaps"] and r["tlast_errors"] == 0
        assert abs(r["cycles_per_frame"] - r["schedule_cycles_per_frame"]) <= \
            0.10 * r["schedule_cycles_per_frame"]


def test_csim_with_amd_headers_equals_golden_on_all_test_images(compiled, amd_headers, capsys):
    """`--hls-include`: the same C-simulation built against AMD's ap_int.h/hls_stream.h."""
    model, out = compiled
    r = _simulate(capsys, out, "--level", "csim", "--hls-include", amd_headers)
    assert r["n"] == 360 and r["mismatches"] == 0, r.get("first_mismatch")
    assert r["accuracy"] == r["golden_accuracy"] and r["hls_include"] == str(amd_headers)
    assert r["ap_axi_sdata"] in ("tritium model", "DIR")


@pytest.mark.slow
def test_resnet8_rtl_with_residuals_and_stride2(tmp_path, capsys):
    import numpy as np
    out = tmp_path / "r8"
    assert main(["compile", "zoo:resnet8", "--board", "zcu104", "--backend", "rtl",
                 "-o", str(out), "--quiet"]) == 0
    x = np.random.default_rng(1).normal(0, 1, (32, 3, 32, 32)).astype(np.float32)
    np.savez(tmp_path / "r8.npz", x=x, y=np.zeros(32, np.int64))
    r = _simulate(capsys, out, "--level", "rtl", "--dataset", tmp_path / "r8.npz")
    assert r["n"] == 32 and r["mismatches"] == 0 and r["tlast_errors"] == 0
