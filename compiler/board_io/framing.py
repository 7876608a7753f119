"""The UART framing of the board wrapper: one module for the host, the
software board model and the cocotb testbench (docs/architecture.md, "Board
wrapper").

A frame on the wire, both directions:

    FLAG  kind seq status len_lo len_hi  payload[len]  crc_hi crc_lo  FLAG

- `FLAG` (0x7E) opens and closes every frame and appears nowhere else: every
  byte between two flags that equals 0x7E or 0x7D is sent as 0x7D followed
  by the byte XOR 0x20 (HDLC byte stuffing, RFC 1662 §4.2). The closing flag
  of one frame may open the next.
- `kind`: `REQUEST` (0x51, 'Q': input values, host to board) or `REPLY`
  (0x52, 'R': output values, board to host); a receiver accepts one kind.
- `seq`: chosen by the host, echoed by the board's reply.
- `status`: 0 in a request; in a reply, the frames the board dropped since
  its previous reply (saturating at 255).
- `len`: payload bytes, little-endian; each receiver knows the one length it
  accepts (from rtl/board/board.json).
- CRC-16/CCITT-FALSE (polynomial 0x1021, initial value 0xFFFF, no
  reflection, no final XOR) over kind..payload, unstuffed, sent high byte
  first, so the CRC run over kind..crc leaves 0.

A receiver (`Deframer` here, `tri_frame_rx.sv` on the board, the same state
machine) accepts a frame only when a closing flag follows exactly
`5 + len + 2` unstuffed bytes of the expected kind and length whose CRC
checks. Anything else is counted by reason and dropped, and the receiver
waits for the next flag. One lost, inserted or changed byte is therefore
always rejected: a lost or inserted byte changes the count (or, if it is a
flag, splits the frame), a changed byte is an error burst of at most 8 bits,
which a 16-bit CRC always detects, and an escape that is lost, inserted or
changed either breaks the escape rule or changes the count. Longer damage
passes with probability 2**-16 at most (the CRC's); the closing flag of a
damaged frame is the opening of the next, so a receiver never loses the
frame after a damaged one.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

FLAG = 0x7E
ESC = 0x7D
ESC_XOR = 0x20
REQUEST = 0x51      # 'Q'
REPLY = 0x52        # 'R'
HEADER_BYTES = 5    # kind seq status len_lo len_hi
CRC_BYTES = 2
CRC_INIT = 0xFFFF
CRC_POLY = 0x1021
MAX_PAYLOAD = 0xFFFF


def crc16(data: bytes, crc: int = CRC_INIT) -> int:
    """CRC-16/CCITT-FALSE of `data` (check value of b"123456789": 0x29B1)."""
    for byte in data:
        crc ^= byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ CRC_POLY if crc & 0x8000 else crc << 1) & 0xFFFF
    return crc


def stuff(data: bytes) -> bytes:
    """`data` with every FLAG and ESC byte escaped."""
    out = bytearray()
    for b in data:
        out += bytes((ESC, b ^ ESC_XOR)) if b in (FLAG, ESC) else bytes((b,))
    return bytes(out)


def encode(kind: int, seq: int, payload: bytes, status: int = 0) -> bytes:
    """One frame on the wire, flags included."""
    if not (0 <= seq <= 255 and 0 <= status <= 255 and 0 <= kind <= 255):
        raise ValueError(f"kind, seq and status are bytes: {kind}, {seq}, {status}")
    if len(payload) > MAX_PAYLOAD:
        raise ValueError(f"a payload holds at most {MAX_PAYLOAD} bytes, got {len(payload)}")
    body = bytes((kind, seq, status, len(payload) & 0xFF, len(payload) >> 8)) + bytes(payload)
    crc = crc16(body)
    return bytes((FLAG,)) + stuff(body + bytes((crc >> 8, crc & 0xFF))) + bytes((FLAG,))


@dataclass(frozen=True)
class Frame:
    """An accepted frame."""

    kind: int
    seq: int
    status: int
    payload: bytes


# Why a frame was dropped (the keys of `Deframer.dropped`).
DROP_REASONS = ("short", "long", "escape", "kind", "length", "crc")


@dataclass
class Deframer:
    """Incremental receiver of one frame kind and payload length.

    `feed(data)` returns the frames completed by `data`; `dropped` counts the
    rejected ones by reason (`DROP_REASONS`): `short` (a flag before the last
    byte), `long` (a byte where the closing flag belongs), `escape` (an ESC
    not followed by an escaped FLAG or ESC), `kind`, `length`, `crc`.
    Bytes outside a frame (before the first flag, after a drop) are skipped
    and counted in `skipped`.
    """

    kind: int
    length: int
    dropped: Counter = field(default_factory=Counter)
    skipped: int = 0
    _body: bytearray | None = None      # unstuffed bytes since the opening flag; None: hunting
    _esc: bool = False

    @property
    def frame_bytes(self) -> int:
        """Unstuffed bytes between the flags of an acceptable frame."""
        return HEADER_BYTES + self.length + CRC_BYTES

    def feed(self, data: bytes) -> list[Frame]:
        frames = []
        for b in data:
            frame = self._byte(b)
            if frame is not None:
                frames.append(frame)
        return frames

    def _drop(self, reason: str) -> None:
        self.dropped[reason] += 1
        self._body, self._esc = None, False

    def _byte(self, b: int) -> Frame | None:
        if b == FLAG:
            return self._flag()
        if self._body is None:
            self.skipped += 1
            return None
        if self._esc:
            self._esc = False
            b ^= ESC_XOR
            if b not in (FLAG, ESC):
                self._drop("escape")
                return None
        elif b == ESC:
            self._esc = True
            return None
        self._data(b)
        return None

    def _flag(self) -> Frame | None:
        body, esc = self._body, self._esc
        self._body, self._esc = bytearray(), False      # a flag always opens a frame
        if not body and not esc:
            return None                                  # idle flags, or the opening flag
        if esc or len(body) < self.frame_bytes:
            self.dropped["short"] += 1
            return None
        if crc16(bytes(body)) != 0:
            self.dropped["crc"] += 1
            return None
        return Frame(body[0], body[1], body[2], bytes(body[HEADER_BYTES:-CRC_BYTES]))

    def _data(self, b: int) -> None:
        body = self._body
        n = len(body)
        if n == self.frame_bytes:
            self._drop("long")
            return
        body.append(b)
        if n == 0 and b != self.kind:
            self._drop("kind")
        elif n == 4 and body[3] | body[4] << 8 != self.length:
            self._drop("length")
