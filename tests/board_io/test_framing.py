"""The UART framing: every single lost, inserted or changed byte is rejected, and
the frame after the damage is still received (exhaustively over one frame)."""
from __future__ import annotations

import random

import pytest

from tritium.board_io.framing import (ESC, FLAG, REPLY, REQUEST, Deframer, Frame, crc16, encode,
                                      stuff)

PAYLOAD = bytes([0x7E, 0x01, 0x7D, 0x5E, 0x00, 0xFF])   # both escapes, and their escaped forms


def _frames():
    return [Frame(REQUEST, seq, 0, bytes((b + seq) & 0xFF for b in PAYLOAD) if seq != 1 else PAYLOAD)
            for seq in range(3)]


def _wire(frames):
    return [encode(f.kind, f.seq, f.payload, f.status) for f in frames]


def test_crc_is_ccitt_false_and_leaves_zero_over_itself():
    assert crc16(b"123456789") == 0x29B1
    body = b"\x51\x07\x00\x02\x00ab"
    c = crc16(body)
    assert crc16(body + bytes((c >> 8, c & 0xFF))) == 0


def test_stuffing_hides_every_flag():
    wire = encode(REQUEST, FLAG, bytes(range(256)) * 2, ESC)
    assert wire[0] == wire[-1] == FLAG and FLAG not in wire[1:-1]
    assert stuff(bytes([FLAG, ESC, 1])) == bytes([ESC, FLAG ^ 0x20, ESC, ESC ^ 0x20, 1])


def test_frames_round_trip_back_to_back_and_split_anywhere():
    frames = _frames()
    stream = b"\x00junk" + b"".join(_wire(frames)) + bytes([FLAG, FLAG])
    for cut in range(len(stream)):
        d = Deframer(REQUEST, len(PAYLOAD))
        assert d.feed(stream[:cut]) + d.feed(stream[cut:]) == frames
        assert not d.dropped and d.skipped == 5


def _faults(wire: bytes):
    """Every single-byte fault of `wire`: (description, byte index, damaged bytes)."""
    for i in range(len(wire) + 1):
        for v in range(256):
            yield f"insert {v:#x} at {i}", i, wire[:i] + bytes((v,)) + wire[i:]
        if i == len(wire):
            break
        yield f"drop {i}", i, wire[:i] + wire[i + 1:]
        for v in range(256):
            if v != wire[i]:
                yield f"set {i} to {v:#x}", i, wire[:i] + bytes((v,)) + wire[i + 1:]


def test_no_single_byte_fault_is_accepted_and_the_next_frame_survives():
    a, b, c = _frames()
    wa, wb, wc = _wire([a, b, c])
    n = 0
    for what, i, damaged in _faults(wb):
        d = Deframer(REQUEST, len(PAYLOAD))
        got = d.feed(wa + damaged + wc)
        assert got[0] == a and got[-1] == c, what
        assert got in ([a, c], [a, b, c]), what
        if got == [a, b, c]:      # b survives only damage to its flags, or beside them
            assert i in (0, 1, len(wb) - 1, len(wb)), what
        else:
            assert sum(d.dropped.values()) >= 1, what
        n += 1
    assert n == 18 * 256 + 17 * 256      # 17 wire bytes: inserts at 18 places, drops and changes at 17


def test_random_damage_never_yields_a_frame_that_was_not_sent():
    rng = random.Random(7)
    frames = [Frame(REPLY, s, s % 3, bytes(rng.randrange(256) for _ in range(40))) for s in range(200)]
    stream = bytearray(b"".join(_wire(frames)))
    for _ in range(300):                     # drops, inserts and bit flips
        i = rng.randrange(len(stream))
        op = rng.randrange(3)
        if op == 0:
            del stream[i]
        elif op == 1:
            stream.insert(i, rng.choice([FLAG, ESC, rng.randrange(256)]))
        else:
            stream[i] ^= 1 << rng.randrange(8)
    d = Deframer(REPLY, 40)
    got = d.feed(bytes(stream))
    assert set(got) <= set(frames) and len(set(got)) == len(got)
    assert 0 < len(got) < len(frames) and sum(d.dropped.values()) > 0


@pytest.mark.parametrize("wire,reason", [
    (encode(REPLY, 1, PAYLOAD), "kind"),
    (encode(REQUEST, 1, PAYLOAD + b"x"), "length"),
    (encode(REQUEST, 1, PAYLOAD)[:-3] + bytes([FLAG]), "short"),
    (encode(REQUEST, 1, PAYLOAD)[:-1] + b"\x00" + bytes([FLAG]), "long"),
    (encode(REQUEST, 1, PAYLOAD)[:5] + bytes([ESC, 0x00]) + encode(REQUEST, 1, PAYLOAD)[6:], "escape"),
    (encode(REQUEST, 1, PAYLOAD)[:8] + bytes([0x33]) + encode(REQUEST, 1, PAYLOAD)[9:], "crc"),
])
def test_each_drop_reason_is_counted(wire, reason):
    d = Deframer(REQUEST, len(PAYLOAD))
    assert d.feed(wire) == [] and dict(d.dropped) == {reason: 1}
