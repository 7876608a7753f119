"""C-simulation (level L2): build the generated HLS C++ with g++ and run every vector.

`run_csim(hls, vectors)` takes the project (an `OUTDIR/hls` directory or the
in-memory `Plan` of `compiler.codegen.hls.generate_hls`) and golden vectors
(a `Vectors` or a `vectors/` directory). It builds the testbench once per
content hash of the sources into a cache directory (`$TRITIUM_CACHE/csim/<hash>`,
default `~/.cache/tritium/csim/<hash>`), runs all vectors in one process (the
testbench reads input, expected and output paths from argv), and compares the
outputs with the golden model's in numpy: no per-sample Python loop.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from compiler.errors import ToolError
from compiler.toolchain import find_tool
from sim.vectors import INT32, Vectors

CXXFLAGS = ("-std=c++17", "-O2", "-Wall", "-Wextra", "-Werror")
SOURCE_DIRS = ("src/", "lib/", "tb/")
MANIFEST = "tritium_hls.json"
BINARY = "csim"


@dataclass(frozen=True)
class Mismatch:
    """The first differing output value."""

    vector: int
    index: int          # flat index into the output tensor
    channel: int        # index % channels (outputs are channels-last)
    expected: int
    got: int
    layer: str          # the graph node whose values differ (the output node)

    def __str__(self) -> str:
        return (f"vector {self.vector}, output index {self.index} (layer '{self.layer}', channel "
                f"{self.channel}): expected {self.expected}, got {self.got}")


@dataclass(frozen=True)
class CsimResult:
    outputs: np.ndarray            # (N, *output shape) int64
    mismatches: int                # differing values
    mismatched_vectors: int
    first_mismatch: Mismatch | None
    build_seconds: float           # 0.0 when the binary came from the cache
    run_seconds: float
    cached: bool
    binary: Path

    @property
    def ok(self) -> bool:
        return self.mismatches == 0

    @property
    def n(self) -> int:
        return len(self.outputs)


# --------------------------------------------------------------------------- build

def project_files(hls) -> dict[str, bytes]:
    """`{path relative to hls/: bytes}` of a project directory or a Plan."""
    if isinstance(hls, dict):
        return {k[len("hls/"):]: (v.encode() if isinstance(v, str) else v)
                for k, v in hls.items() if k.startswith("hls/")}
    root = Path(hls)
    if not (root / MANIFEST).is_file():
        raise ToolError(f"'{root}' is not a generated HLS project (no {MANIFEST}); "
                        "generate one with `tritium compile --backend hls`")
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and p.relative_to(root).as_posix().startswith(SOURCE_DIRS + (MANIFEST,))}


def cache_root() -> Path:
    base = os.environ.get("TRITIUM_CACHE")
    return (Path(base) if base else Path.home() / ".cache" / "tritium") / "csim"


def content_hash(files: dict[str, bytes], cxx: str) -> str:
    h = hashlib.sha256(repr((cxx, CXXFLAGS)).encode())
    for rel in sorted(files):
        if rel.startswith(SOURCE_DIRS) or rel == MANIFEST:
            h.update(rel.encode() + b"\0" + files[rel] + b"\0")
    return h.hexdigest()[:24]


def build_csim(hls) -> tuple[Path, float, bool]:
    """(binary, build seconds, cached): compile the testbench unless its hash is cached."""
    files = project_files(hls)
    manifest = json.loads(files[MANIFEST])
    cxx = find_tool("g++", "TRITIUM_CXX", "install a C++17 compiler (e.g. `apt install g++`)")
    final = cache_root() / content_hash(files, cxx)
    if (final / BINARY).is_file():
        return final / BINARY, 0.0, True
    final.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=".build.", dir=final.parent))
    try:
        for rel, data in files.items():
            (work / rel).parent.mkdir(parents=True, exist_ok=True)
            (work / rel).write_bytes(data)
        t0 = time.perf_counter()
        cmd = [cxx, *CXXFLAGS, "-Ilib", "-Isrc", "-o", BINARY, manifest["sources"][0], manifest["testbench"]]
        proc = subprocess.run(cmd, cwd=work, capture_output=True, text=True)
        seconds = time.perf_counter() - t0
        if proc.returncode != 0:
            raise ToolError(f"g++ failed to build the C-simulation of '{manifest['top']}':\n"
                            f"{proc.stderr.strip()[-4000:]}")
        try:
            os.replace(work, final)
        except OSError:  # another process built the same hash first
            pass
        return final / BINARY, seconds, False
    finally:
        shutil.rmtree(work, ignore_errors=True)


# --------------------------------------------------------------------------- run

def _vector_files(vectors, tmp: Path) -> tuple[Path, Path, Vectors]:
    if isinstance(vectors, (str, Path)):
        d = Path(vectors)
        return d / "input.bin", d / "expected.bin", Vectors.read(d)
    for name, data in vectors.files().items():
        (tmp / Path(name).name).write_bytes(data)
    return tmp / "input.bin", tmp / "expected.bin", vectors


def run_csim(hls, vectors=None, *, timeout: float | None = None) -> CsimResult:
    """Build (cached) and run the C-simulation of `hls` on every vector; compare exactly.

    `hls`: an `OUTDIR/hls` directory or a Plan. `vectors`: a `Vectors`, a
    `vectors/` directory, or None for the `vectors/` beside an `hls/` directory.
    """
    if vectors is None:
        if isinstance(hls, dict):
            raise ToolError("run_csim needs golden vectors when given an in-memory plan")
        vectors = Path(hls).parent / "vectors"
    manifest = json.loads(project_files(hls)[MANIFEST])
    binary, build_s, cached = build_csim(hls)
    with tempfile.TemporaryDirectory(prefix="tritium-csim-") as d:
        tmp = Path(d)
        inp, exp, vec = _vector_files(vectors, tmp)
        out = tmp / "output.bin"
        t0 = time.perf_counter()
        proc = subprocess.run([str(binary), str(inp), str(exp), str(out)], capture_output=True,
                              text=True, timeout=timeout)
        run_s = time.perf_counter() - t0
        if proc.returncode not in (0, 1) or not out.is_file():
            raise ToolError(f"the C-simulation of '{manifest['top']}' failed (exit {proc.returncode}):\n"
                            f"{(proc.stdout + proc.stderr).strip()[-4000:]}")
        got = np.fromfile(out, INT32).astype(np.int64).reshape(vec.y.shape)
    return _compare(got, vec, manifest, build_s, run_s, cached, binary)


def _compare(got: np.ndarray, vec: Vectors, manifest: dict, build_s, run_s, cached, binary) -> CsimResult:
    want = vec.y.reshape(len(got), -1)
    flat = got.reshape(len(got), -1)
    diff = flat != want
    first = None
    if diff.any():
        v, i = (int(k) for k in np.argwhere(diff)[0])
        channels = manifest["output_shape"][-1]
        first = Mismatch(v, i, i % channels, int(want[v, i]), int(flat[v, i]), manifest["output_node"])
    return CsimResult(got, int(diff.sum()), int(diff.any(axis=1).sum()), first, build_s, run_s,
                      cached, binary)
