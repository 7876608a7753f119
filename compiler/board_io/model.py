"""A software model of the board wrapper: the protocol of `tri_frame_rx.sv` and
`tri_frame_tx.sv` around the golden model, serving one TCP connection, so that
`tritium run` can be tried without a board (`socket://127.0.0.1:PORT`).

    with BoardModel(link, graph) as board:
        tritium.run(outdir, port=board.url, dataset="digits")

It answers each accepted request with the golden model's outputs and, like the
RTL, reports in each reply the requests it dropped since the previous one.
`damage_in` / `damage_out` (bytes -> bytes) alter the bytes that arrive and
that leave, to test the host against a faulty line.
"""
from __future__ import annotations

import socket
import threading
from typing import Callable

import numpy as np

from ..ir.graph import Graph
from ..ir.interp import run_golden_codes
from .framing import REPLY, REQUEST, Deframer, encode
from .link import Link

Damage = Callable[[bytes], bytes]


class BoardModel:
    """A thread that speaks the wrapper's protocol on a local TCP port."""

    def __init__(self, link: Link, graph: Graph, *, damage_in: Damage | None = None,
                 damage_out: Damage | None = None):
        self.link, self.graph = link, graph
        self.damage_in, self.damage_out = damage_in, damage_out
        self.rx = Deframer(REQUEST, link.request_bytes)
        self.answered = 0
        self._server = socket.create_server(("127.0.0.1", 0))
        self._server.settimeout(0.2)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, name="tritium-board-model", daemon=True)

    @property
    def url(self) -> str:
        return f"socket://127.0.0.1:{self._server.getsockname()[1]}"

    def __enter__(self) -> "BoardModel":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(5)
        self._server.close()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._server.accept()
            except socket.timeout:
                continue
            with conn:
                conn.settimeout(0.2)
                self._talk(conn)

    def _talk(self, conn: socket.socket) -> None:
        reported = 0
        while not self._stop.is_set():
            try:
                data = conn.recv(4096)
            except socket.timeout:
                continue
            if not data:
                return
            if self.damage_in is not None:
                data = self.damage_in(data)
            out = bytearray()
            for f in self.rx.feed(data):
                drops = sum(self.rx.dropped.values())
                out += encode(REPLY, f.seq, self.link.reply(self._golden(f.payload)),
                              min(255, drops - reported))
                reported = drops
                self.answered += 1
            if out:
                conn.sendall(self.damage_out(bytes(out)) if self.damage_out else bytes(out))

    def _golden(self, payload: bytes) -> np.ndarray:
        codes = self.link.codes(payload).reshape((1, *self.graph.input.shape))
        return run_golden_codes(self.graph, codes)[self.graph.output_node.name].reshape(-1)
