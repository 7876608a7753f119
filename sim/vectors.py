"""Golden vectors: the one set of expected values every level is checked against.

`make_vectors` runs the golden model once; the C-simulation testbench
(`hls/tb/<top>_tb.cpp`) and the RTL testbench (`sim/tb/tb_top.sv`) both read
these same files, and `Vectors.files` is the only writer of them:

    vectors/meta.json      n, shapes, widths, signedness, model fingerprint
    vectors/input.bin      int32 little-endian, (N, H, W, C) channels-last input codes
    vectors/expected.bin   int32 little-endian, (N, *output shape) golden outputs

Input codes are the integers after the input quantizer: every level starts
from the same integers, so a mismatch is the design's, never the host's.
Each testbench packs a pixel's codes into its stream beat itself (channel `c`
at bits `[c*b, (c+1)*b)`, the port spec of docs/architecture.md), so no
backend-specific image of the vectors (hex, packed beats) is ever written.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tritium.codegen.plan import write_plan
from tritium.errors import DatasetError, ModelError
from tritium.ir.graph import Graph
from tritium.ir.interp import quantize_input, run_golden

INT32 = np.dtype("<i4")


@dataclass(frozen=True)
class Vectors:
    x: np.ndarray          # (N, H, W, C) int input codes
    y: np.ndarray          # (N, ...) int golden outputs
    meta: dict

    @property
    def n(self) -> int:
        return len(self.x)

    def files(self) -> dict[str, bytes]:
        """`{name: bytes}` for a codegen plan (`vectors/...`)."""
        return {"vectors/meta.json": (json.dumps(self.meta, indent=2, sort_keys=True) + "\n").encode(),
                "vectors/input.bin": _int32(self.x).tobytes(),
                "vectors/expected.bin": _int32(self.y).tobytes()}

    def check_model(self, g: Graph) -> None:
        """`ModelError` unless these vectors fit `g`'s input and output (a backend's guard)."""
        if self.meta.get("input_shape") != list(g.input.shape) or \
                self.meta.get("output_shape") != list(g.output_node.shape):
            raise ModelError(f"the golden vectors (input {self.meta.get('input_shape')}) do not belong to "
                             f"the model '{g.name}'; make them with tritium.sim.vectors.make_vectors")

    def take(self, start: int, stop: int) -> "Vectors":
        """Vectors `start..stop-1` (a chunk for one process, one vector to diagnose)."""
        x, y = self.x[start:stop], self.y[start:stop]
        return Vectors(x, y, {**self.meta, "n": int(len(x))})

    def write(self, directory: str | Path) -> Path:
        """Write the three files into a new folder `directory` (atomically); returns it."""
        return write_plan({Path(k).name: v for k, v in self.files().items()}, directory)

    @staticmethod
    def read(directory: str | Path) -> "Vectors":
        d = Path(directory)
        try:
            meta = json.loads((d / "meta.json").read_text())
            n = meta["n"]
            x = np.fromfile(d / "input.bin", INT32).reshape([n] + meta["input_shape"])
            y = np.fromfile(d / "expected.bin", INT32).reshape([n] + meta["output_shape"])
        except (OSError, ValueError, KeyError, TypeError) as e:
            raise DatasetError(f"'{d}' does not hold complete golden vectors ({e}); compile the "
                               "design again with --backend, or pass the vectors explicitly") from None
        return Vectors(x.astype(np.int64), y.astype(np.int64), meta)


def vectors_on_disk(vectors: "Vectors | str | Path", scratch: Path) -> tuple[Vectors, Path]:
    """(the vectors, a folder holding their files) for a testbench to read.

    A `vectors/` folder is read (checked) and used in place; in-memory
    `Vectors` are written to `scratch/vectors`.
    """
    if isinstance(vectors, Vectors):
        return vectors, vectors.write(Path(scratch) / "vectors")
    return Vectors.read(vectors), Path(vectors)


def _int32(a: np.ndarray) -> np.ndarray:
    assert a.size == 0 or (a.min() >= -(1 << 31) and a.max() < (1 << 31)), "value exceeds int32"
    return np.ascontiguousarray(a, dtype=INT32)


def make_vectors(g: Graph, x_float: np.ndarray, labels: np.ndarray | None = None) -> Vectors:
    """Quantize `x_float` (channels-last) and run the golden model on it."""
    x = quantize_input(g, x_float)
    y = run_golden(g, x_float)
    qi, qo = g.input.qtype, g.output_node.qtype
    meta = {"n": int(len(x)), "model": g.fingerprint(),
            "input_shape": list(g.input.shape), "input_bits": qi.bits, "input_signed": qi.signed,
            "output_shape": list(g.output_node.shape), "output_bits": qo.bits,
            "output_signed": qo.signed}
    if labels is not None:
        meta["labels"] = [int(v) for v in labels]
    return Vectors(x, y, meta)
