"""What a design's frames carry: its stream beats as payload bytes.

A request's payload is the frame's `in_beats` input beats in stream order,
each `in_tdata_bits / 8` bytes, little-endian (byte j of a beat is TDATA bits
`[8j, 8j+8)`); a beat holds one pixel's `in_channels` input codes, channel
`c` at bits `[c*b, (c+1)*b)` (`b` = `in_bits`, two's complement when
signed), as `in_stream` takes them (docs/architecture.md, "Top-level
ports"). A reply's payload is the `out_beats` output beats the same way,
each value sign- (or zero-) extended to `out_tdata_bits`.

`Link` is written by the RTL backend into `rtl/board/board.json` (with the
baud rate) and read back by `tritium run`, so the host needs nothing else of
the design to talk to it.
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from ..errors import OptionError

BOARD_JSON = "rtl/board/board.json"


@dataclass(frozen=True)
class Link:
    """A design's request and reply payloads, and the UART rate of its bitstream."""

    in_tdata_bits: int
    in_beats: int
    in_channels: int
    in_bits: int
    in_signed: bool
    out_tdata_bits: int
    out_beats: int
    out_signed: bool
    baud: int

    @property
    def request_bytes(self) -> int:
        return self.in_beats * self.in_tdata_bits // 8

    @property
    def reply_bytes(self) -> int:
        return self.out_beats * self.out_tdata_bits // 8

    def to_json(self) -> dict:
        return asdict(self)

    @staticmethod
    def from_json(d: dict) -> "Link":
        return Link(**{k: d[k] for k in Link.__dataclass_fields__})

    @staticmethod
    def read(outdir) -> "Link":
        """The link of a compile OUTDIR's board wrapper (`rtl/board/board.json`)."""
        p = Path(outdir) / BOARD_JSON
        if not p.is_file():
            raise OptionError(f"'{outdir}' has no board wrapper ({BOARD_JSON}); compile it for an ECP5 "
                              "board with a known pin map (e.g. --board ulx3s) with --backend rtl")
        try:
            return Link.from_json(json.loads(p.read_text())["link"])
        except (ValueError, KeyError, TypeError) as e:
            raise OptionError(f"'{p}' is damaged ({e}); compile the design again") from None

    # ------------------------------------------------------------------ payloads

    def request(self, codes: np.ndarray) -> bytes:
        """The payload of one input (integer codes, channels-last, one frame)."""
        c = np.asarray(codes, dtype=np.int64).reshape(self.in_beats, self.in_channels)
        mask = (1 << self.in_bits) - 1
        out = bytearray()
        for pixel in c:
            beat = 0
            for ch, v in enumerate(pixel):
                beat |= (int(v) & mask) << (ch * self.in_bits)
            out += beat.to_bytes(self.in_tdata_bits // 8, "little")
        return bytes(out)

    def codes(self, payload: bytes) -> np.ndarray:
        """The input codes of a request payload, (in_beats, in_channels): `request` undone."""
        nb, mask = self.in_tdata_bits // 8, (1 << self.in_bits) - 1
        rows = []
        for i in range(self.in_beats):
            beat = int.from_bytes(payload[i * nb:(i + 1) * nb], "little")
            row = [(beat >> (ch * self.in_bits)) & mask for ch in range(self.in_channels)]
            rows.append([_signed(v, self.in_bits) if self.in_signed else v for v in row])
        return np.array(rows, dtype=np.int64)

    def reply(self, values) -> bytes:
        """The payload of one frame's output values (the board's side)."""
        nb = self.out_tdata_bits // 8
        mask = (1 << self.out_tdata_bits) - 1
        return b"".join((int(v) & mask).to_bytes(nb, "little") for v in np.ravel(values))

    def values(self, payload: bytes) -> np.ndarray:
        """The output values of a reply payload, (out_beats,)."""
        nb = self.out_tdata_bits // 8
        vals = [int.from_bytes(payload[i * nb:(i + 1) * nb], "little") for i in range(self.out_beats)]
        if self.out_signed:
            vals = [_signed(v, self.out_tdata_bits) for v in vals]
        return np.array(vals, dtype=np.int64)


def _signed(v: int, bits: int) -> int:
    return v - (1 << bits) if v >> (bits - 1) else v
