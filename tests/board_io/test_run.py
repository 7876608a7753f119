"""`tritium run` against the software model of the board wrapper, over a real
pyserial URL (socket://): exact against the golden model, robust to a damaged
line, and one clear line for every user mistake."""
from __future__ import annotations

import json

import numpy as np
import pytest

import tritium
from tritium.board_io.framing import REPLY, encode
from tritium.board_io.link import Link
from tritium.board_io.model import BoardModel
from tritium.board_io.session import LinkError, Session
from tritium.cli import main


@pytest.fixture(scope="module")
def mlp(tmp_path_factory):
    out = tmp_path_factory.mktemp("run") / "mlp"
    return tritium.compile("zoo:mlp-digits", board="ulx3s", backend="rtl", outdir=out)


def _model(design, **kw):
    return BoardModel(Link.read(design.outdir), design.model.graph, **kw)


def test_payload_layout_round_trips():
    link = Link(24, 4, 3, 4, True, 16, 3, True, 115200)
    codes = np.array([[-8, 7, 0], [1, -1, 5], [3, 2, -4], [0, 0, 0]])
    p = link.request(codes)
    assert len(p) == link.request_bytes == 12
    assert p[:6] == bytes([0x78, 0x00, 0x00, 0xF1, 0x05, 0x00])   # -8 -> 0x8 at bits 0..3, 7 at 4..7
    assert (link.codes(p) == codes).all()
    assert (link.values(link.reply([-2, 300, -32768])) == [-2, 300, -32768]).all()


def test_run_is_exact_against_the_golden_model(mlp, capsys):
    with _model(mlp) as board:
        rc = main(["run", str(mlp.outdir), "--port", board.url, "--dataset", "digits", "--limit", "40"])
    line = capsys.readouterr().out
    assert rc == 0 and "40 of 40 inputs exactly as the golden model" in line
    assert "0 output values differ" in line and "frames/s" in line
    assert board.answered == 40


def test_run_recovers_from_a_damaged_line(mlp, capsys):
    rng = np.random.default_rng(3)

    def damage(data: bytes) -> bytes:      # about one byte in 1000 lost or changed
        out = bytearray()
        for b in data:
            r = rng.random()
            if r < 1 / 2000:
                continue
            out.append(b ^ 0x10 if r < 1 / 1000 else b)
        return bytes(out)

    with _model(mlp, damage_in=damage, damage_out=damage) as board:
        rc = main(["run", str(mlp.outdir), "--port", board.url, "--limit", "60", "--json",
                   "--timeout", "0.2"])
    r = json.loads(capsys.readouterr().out)
    assert rc == 0 and r["schema_version"] == "1.0"
    assert r["exact"] == r["n"] == 60 and r["mismatches"] == 0
    assert r["accuracy"] == r["golden_accuracy"]
    assert r["resent"] > 0 and r["board_drops"] + r["rejected"] > 0


class _Wrong(BoardModel):
    def _golden(self, payload):
        y = super()._golden(payload)
        y[3] += 1
        return y


def test_a_wrong_board_is_reported(mlp, capsys):
    with _Wrong(Link.read(mlp.outdir), mlp.model.graph) as board:
        rc = main(["run", str(mlp.outdir), "--port", board.url, "--limit", "5"])
    line = capsys.readouterr().out
    assert rc == 1 and "0 of 5 inputs exactly" in line and "5 output values differ" in line
    assert "first: input 0, output 3" in line


def test_session_resends_a_frame_whose_successor_was_answered():
    link = Link(8, 2, 1, 8, False, 8, 1, False, 1_000_000)
    s = Session(link, np.array([[1, 2], [3, 4], [5, 6]]), window=2, timeout=10.0)
    first = s.poll(0.0)
    assert first.count(b"\x7e\x51") == 2                  # frames 0 and 1
    again = s.feed(encode(REPLY, 1, b"\x07", 2), 0.1)     # 1 answered: 0 was lost
    assert again.startswith(b"\x7e\x51\x00") and s.resent == 1 and s.board_drops == 2
    s.feed(encode(REPLY, 1, b"\x07"), 0.2)                # a second answer to 1
    assert s.duplicates == 1
    s.feed(encode(REPLY, 0, b"\x05"), 0.3)
    s.feed(s.poll(0.3) and encode(REPLY, 2, b"\x09"), 0.4)
    assert s.done and s.outputs.ravel().tolist() == [5, 7, 9]


def test_session_gives_up_with_a_hint():
    link = Link(8, 1, 1, 8, False, 8, 1, False, 1_000_000)
    s = Session(link, np.array([[1]]), timeout=1.0, tries=2)
    s.poll(0.0)
    s.poll(1.0)
    with pytest.raises(LinkError, match="did not answer input 0 after 2 tries.*baud 1000000"):
        s.poll(2.0)


def test_session_names_a_bitstream_of_another_design():
    link = Link(8, 1, 1, 8, False, 8, 2, False, 1_000_000)
    s = Session(link, np.array([[1]]), timeout=1.0, tries=1)
    s.poll(0.0)
    s.feed(encode(REPLY, 0, b"\x01\x02\x03"), 0.5)        # three bytes where two belong
    with pytest.raises(LinkError, match=r"another kind or length \(length: 1\): is the loaded bitstream"):
        s.poll(1.0)


def _err(capsys, *args):
    rc = main(["run", *args])
    err = capsys.readouterr().err
    assert rc == 2 and "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    return err


def test_user_errors_are_one_line(mlp, tmp_path, capsys):
    out = str(mlp.outdir)
    assert "cannot open port 'socket://127.0.0.1:1'" in _err(capsys, out, "--port", "socket://127.0.0.1:1")
    assert "is not a compile OUTDIR" in _err(capsys, str(tmp_path), "--port", "loop://")
    assert "--window must be within 1..128" in _err(capsys, out, "--port", "loop://", "--window", "0")
    assert "--timeout must be positive" in _err(capsys, out, "--port", "loop://", "--timeout", "0")
    assert "did not answer input 0 after 4 tries" in _err(capsys, out, "--port", "loop://",
                                                          "--timeout", "0.02", "--limit", "2")
    tritium.compile("zoo:mlp-digits", board="pynq-z2", backend="rtl", outdir=tmp_path / "z")
    assert "has no board wrapper" in _err(capsys, str(tmp_path / "z"), "--port", "loop://")
