"""The interop corpus (`interop_corpus.py`) against executors nobody here wrote.

QONNX files (Brevitas's `export_qonnx`, with and without qonnx's cleanup) run in
qonnx's `execute_onnx`; float ONNX files (both torch exporters) in
onnxruntime. Tritium imports each file and its golden model must give the
reference's class on at least 99% of the 360 digits test images, and the
reference's integers exactly where the exported output is a quantizer's.
Float models with post-training ternary weights are a different network, so
their reference is the L0 fake-quant view of what was imported.
"""
import numpy as np
import pytest

pytest.importorskip("brevitas")
pytest.importorskip("qonnx")
pytest.importorskip("onnxruntime")

import tritium  # noqa: E402
from tritium.data import channels_last, fit_input  # noqa: E402
from tritium.ir.interp import run_float, run_golden  # noqa: E402

from interop_corpus import (QONNX_SOURCES, REFUSED, Case, cases, digits, export,  # noqa: E402
                            output_is_quantized, reference, trained)
from tritium.cli import main  # noqa: E402

CASES = [pytest.param(c, id=c.id, marks=() if c.default_tier else pytest.mark.slow) for c in cases()]


@pytest.mark.parametrize("case", CASES)
def test_corpus_model_agrees_with_its_reference(case, tmp_path):
    x_train, _, x_test = digits()
    path = export(case, trained(case.name, case.source in QONNX_SOURCES), tmp_path / f"{case.id}.onnx")
    m = tritium.load(str(path), weights=case.weights, calibrate=x_train[:256] if case.weights else None)
    x = channels_last(fit_input(x_test, m.graph.input.shape, "digits"))
    out = m.graph.output_node.qtype
    codes = run_golden(m.graph, x)
    if case.weights == "twn":
        ref = run_float(m.float_graph, x)
    else:
        ref = reference(case, path, x_test).reshape(codes.shape)
    agree = np.mean(codes.argmax(1) == ref.argmax(1))
    assert agree >= 0.99, f"{case.id}: golden argmax equals the reference's on {agree:.1%}"
    if case.source in QONNX_SOURCES and output_is_quantized(path):
        # the reference's last quantizer rounds a float32 Gemm: codes may flip on its ties only
        diff = np.abs(codes - np.round(ref / out.scale))
        assert diff.max() <= 1 and np.mean(diff == 0) >= 0.99


def test_issue16_mlp_compiles_and_simulates_exactly_at_every_level(tmp_path):
    """The Brevitas MLP of issue 16 (`x.view(-1, 64) / 16.0` before the first quantizer):
    its scaling becomes host preprocessing, and C-sim and RTL equal the golden model."""
    case = next(c for c in cases() if c.id == "brevitas-mlp-view-div")
    path = export(case, trained(case.name, True), tmp_path / "mlp.onnx")
    m = tritium.load(str(path))
    assert m.graph.input.attrs.pre_mul == 1 / 16 and m.graph.input.shape == (64,)
    d = tritium.compile(m, board="pynq-z2", backend="all")
    golden = d.simulate("golden", dataset="digits", limit=60)
    assert golden.float_agreement == 1.0 and golden.accuracy > 0.8
    for level in ("csim", "rtl"):
        r = d.simulate(level, dataset="digits", limit=60)
        assert r.mismatches == 0 and r.n == 60 and r.accuracy == golden.accuracy


@pytest.mark.parametrize("name, source", sorted(REFUSED))
def test_refused_export_pattern_is_one_clear_line_and_exit_2(name, source, tmp_path, capsys):
    build, words = REFUSED[(name, source)]
    path = export(Case(name, source, build), build().eval(), tmp_path / f"{name}.onnx")
    assert main(["inspect", str(path)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err
    for w in words:
        assert w in err
