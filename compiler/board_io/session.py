"""The host's side of the link, without I/O: which frames to send when, and what
the replies say. `tritium run` drives it over pyserial (`host.run_link`), the
cocotb testbench over a simulated UART (`sim/tb/board_tb.py`), with the clock
each has (wall or simulated seconds).

Frame `i` goes out with sequence number `i % 256`. At most `window` frames are
unanswered at a time (the wrapper holds two: `tri_frame_rx.sv`). The wrapper
answers in order, so a reply to a frame sent after an unanswered one means
that one was lost: it is sent again at once; a frame unanswered for
`timeout` seconds is sent again too, at most `tries` times in all. A reply is
taken only if it passes the `Deframer` and its sequence number belongs to an
unanswered frame; a second reply to a frame is counted and ignored.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..errors import OptionError, TritiumError
from .framing import REPLY, REQUEST, Deframer, encode
from .link import Link


MAX_WINDOW = 128        # sequence numbers of unanswered frames stay distinct


class LinkError(TritiumError):
    """The board did not answer a frame."""


@dataclass
class _Pending:
    index: int
    stamp: int          # send order of its last copy
    sent_at: float
    tries: int


@dataclass
class Session:
    """Send `codes` (one input per row) and collect the outputs."""

    link: Link
    codes: np.ndarray
    window: int = 2
    timeout: float = 1.0
    tries: int = 4
    outputs: np.ndarray = field(init=False)
    answered: np.ndarray = field(init=False)
    board_drops: int = 0        # frames the board reports it dropped (reply status)
    resent: int = 0
    duplicates: int = 0         # replies to a frame already answered
    _next: int = 0
    _stamp: int = 0
    _pending: dict = field(default_factory=dict)     # seq -> _Pending
    _rx: Deframer = field(init=False)

    def __post_init__(self):
        if not 1 <= self.window <= MAX_WINDOW:
            raise OptionError(f"--window must be within 1..{MAX_WINDOW}, got {self.window}")
        n = len(self.codes)
        self.outputs = np.zeros((n, self.link.out_beats), dtype=np.int64)
        self.answered = np.zeros(n, dtype=bool)
        self._rx = Deframer(REPLY, self.link.reply_bytes)

    @property
    def done(self) -> bool:
        return bool(self.answered.all())

    @property
    def rejected(self) -> int:
        """Reply frames the host dropped (damaged on the way back)."""
        return sum(self._rx.dropped.values())

    def poll(self, now: float) -> bytes:
        """The bytes to send at time `now`: timed-out frames again, then new ones up to the window."""
        out = bytearray()
        for p in sorted(self._pending.values(), key=lambda p: p.stamp):
            if now - p.sent_at >= self.timeout:
                out += self._send(p.index, now, p.tries + 1)
        while self._next < len(self.codes) and len(self._pending) < self.window:
            out += self._send(self._next, now, 1)
            self._next += 1
        return bytes(out)

    def feed(self, data: bytes, now: float) -> bytes:
        """Take received bytes; returns the frames to send again at once (lost ones)."""
        out = bytearray()
        for f in self._rx.feed(data):
            p = self._pending.pop(f.seq, None)
            if p is None:
                self.duplicates += 1
                continue
            self.board_drops += f.status
            self.outputs[p.index] = self.link.values(f.payload)
            self.answered[p.index] = True
            for q in sorted(self._pending.values(), key=lambda q: q.stamp):
                if q.stamp < p.stamp:                # sent before the answered one: lost
                    out += self._send(q.index, now, q.tries + 1)
        return bytes(out)

    def _why(self) -> str:
        """What the replies so far say about a board that stopped answering."""
        bad = {k: v for k, v in self._rx.dropped.items() if v}
        if bad.get("length") or bad.get("kind"):
            seen = ", ".join(f"{k}: {v}" for k, v in sorted(bad.items()))
            return (f"; it sent frames of another kind or length ({seen}): is the loaded bitstream "
                    "built from this OUTDIR?")
        if not self.answered.any():
            return (" (nor any other: is the bitstream loaded, the port right, the baud "
                    f"{self.link.baud}?)")
        return ""

    def _send(self, index: int, now: float, tries: int) -> bytes:
        if tries > self.tries:
            raise LinkError(f"the board did not answer input {index} after {self.tries} tries"
                            + self._why())
        self.resent += tries > 1
        self._stamp += 1
        self._pending[index % 256] = _Pending(index, self._stamp, now, tries)
        return encode(REQUEST, index % 256, self.link.request(self.codes[index]))
