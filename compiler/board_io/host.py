"""`tritium run`'s link: a `Session` over a pyserial port.

`port` is anything `serial.serial_for_url` opens: a device (`/dev/ttyUSB0`,
`COM3`), `socket://host:port` (the software board model of `model.py`, or a
UART bridged to TCP), `loop://`. The read timeout is short, so resends and
new frames go out as soon as they are due.
"""
from __future__ import annotations

import time

import numpy as np

from .link import Link
from .session import LinkError, Session

READ_TIMEOUT = 0.005      # seconds a read waits for the first byte


def reply_timeout(link: Link, window: int) -> float:
    """Seconds after which an unanswered frame is sent again: the line time of a
    window of requests and replies (10 bits a byte), four times over, plus 0.2 s
    for the USB bridge (an FTDI chip holds a short reply up to its latency timer,
    16 ms by default) and the operating system."""
    line = (link.request_bytes + link.reply_bytes + 16) * 10 / link.baud
    return 4 * window * line + 0.2


def open_port(port: str, baud: int):
    try:
        import serial
    except ImportError:  # pragma: no cover - pyserial is a dependency
        raise LinkError("`tritium run` needs pyserial: pip install pyserial") from None
    try:
        return serial.serial_for_url(port, baudrate=baud, timeout=READ_TIMEOUT, write_timeout=10)
    except (serial.SerialException, ValueError, OSError) as e:
        raise LinkError(f"cannot open port '{port}': {e}") from None


def run_link(port: str, link: Link, codes: np.ndarray, *, window: int = 2,
             timeout: float | None = None, advance=None) -> tuple[Session, float]:
    """Send every row of `codes` through `port`; (the finished session, seconds from the
    first byte sent to the last reply). `advance(k)` is told of each k answers."""
    s = Session(link, codes, window=window,
                timeout=reply_timeout(link, window) if timeout is None else timeout)
    import serial
    with open_port(port, link.baud) as ser:
        ser.reset_input_buffer()
        t0 = time.monotonic()
        try:
            while not s.done:
                out = s.poll(time.monotonic())
                if out:
                    ser.write(out)
                data = ser.read(max(1, ser.in_waiting))
                if data:
                    before = int(s.answered.sum())
                    out = s.feed(data, time.monotonic())
                    if out:
                        ser.write(out)
                    if advance is not None and s.answered.sum() > before:
                        advance(int(s.answered.sum()) - before)
        except (serial.SerialException, OSError) as e:
            raise LinkError(f"port '{port}' failed: {e}") from None
        return s, time.monotonic() - t0
