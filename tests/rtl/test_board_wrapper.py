"""The board wrapper in simulation: UART + framing + mlp-digits in Verilator under
cocotb, driven through cocotbext-uart by the host's own session code, equal to the
golden model on the digits test images; damaged request bytes are dropped by the
wrapper exactly where the Python receiver drops them, and every input is still
answered, exactly."""
from __future__ import annotations

import pytest

pytest.importorskip("cocotb")
pytest.importorskip("cocotbext.uart")

import tritium  # noqa: E402
from tritium.data import channels_last, fit_input, load_dataset  # noqa: E402
from tritium.sim.vectors import make_vectors  # noqa: E402


@pytest.fixture(scope="module")
def mlp(tmp_path_factory):
    out = tmp_path_factory.mktemp("board") / "mlp"
    return tritium.compile("zoo:mlp-digits", board="ulx3s", backend="rtl", outdir=out)


def _digits(design, n=None):
    data = load_dataset("digits").limit(n)
    g = design.model.graph
    return make_vectors(g, channels_last(fit_input(data.x, g.input.shape, data.name)), data.y)


def _run(design, v, **kw):
    from tritium.sim.board import run_wrapper
    return run_wrapper(design.outdir, v, **kw)


def test_wrapper_equals_golden_on_digits(mlp):
    v = _digits(mlp, 4)
    r = _run(mlp, v)
    assert r.answered == 4 and r.mismatches == 0 and (r.outputs == v.y).all()
    assert (r.rtl_accepted, r.rtl_dropped, r.resent, r.board_drops, r.align_err) == (4, 0, 0, 0, 0)


def test_damaged_bytes_are_dropped_and_the_stream_resynchronises(mlp):
    v = _digits(mlp, 6)
    frame = 64 + 9                    # request wire bytes of mlp-digits, about (escapes add)
    damage = [(10, "set", 0x00),            # payload byte of frame 0 changed: CRC
              (frame + 40, "drop", 0),      # frame 1 one byte short
              (2 * frame + 3, "insert", 0x7E),   # a flag inside frame 2: both halves short
              (3 * frame + 30, "insert", 0x7D),  # a stray escape in frame 3
              (4 * frame + 1, "set", 0x52)]      # frame 4's kind byte: a reply's
    r = _run(mlp, v, damage=damage)
    assert r.answered == 6 and r.mismatches == 0, "a damaged frame was accepted, or a frame lost"
    assert r.rtl_dropped == r.model_dropped >= 5 and r.rtl_accepted == r.model_accepted == 6
    assert r.board_drops == r.rtl_dropped and r.resent >= 5 and r.align_err == 0


@pytest.mark.slow
def test_wrapper_equals_golden_on_all_360_digits(mlp):
    v = _digits(mlp)
    r = _run(mlp, v)
    assert v.n == 360 and r.answered == 360 and r.mismatches == 0
    assert r.rtl_accepted == 360 and r.rtl_dropped == 0 and r.resent == 0


@pytest.mark.slow
def test_cnn_frames_of_many_beats_with_random_damage(tmp_path):
    """cnn-digits: 64 one-byte beats a frame (the multi-beat path), 20 images, a fault
    every 150 bytes or so; the wrapper and the Deframer agree on every drop."""
    import random
    d = tritium.compile("zoo:cnn-digits", board="ulx3s", backend="rtl", outdir=tmp_path / "cnn")
    v = _digits(d, 20)
    rng = random.Random(5)
    damage = [(k, rng.choice(["drop", "set", "insert"]), rng.choice([0x7E, 0x7D, rng.randrange(256)]))
              for k in sorted(rng.sample(range(20 * 80), 10))]
    r = _run(d, v, damage=damage)
    assert r.answered == 20 and r.mismatches == 0
    assert r.rtl_dropped == r.model_dropped > 0 and r.rtl_accepted == r.model_accepted == 20
