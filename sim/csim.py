"""C-simulation (level L2): build the generated HLS C++ with g++ and run every vector.

`run_csim(hls, vectors)` takes the project (an `OUTDIR/hls` directory or the
in-memory `Plan` of `tritium.codegen.hls.generate_hls`) and golden vectors
(a `Vectors` or a `vectors/` directory). It builds the testbench once per
content hash of the sources, compiler, flags and target CPU, in the build
cache of `tritium.sim.build` (`$TRITIUM_CACHE/csim/<key>`, default
`~/.cache/tritium/csim/<key>`), runs all vectors in one process (the
testbench reads input, expected and output paths from argv), or with
`jobs=N` in N processes of the same binary, each on a contiguous chunk of the
vectors, and compares the outputs with the golden model's in numpy: no
per-sample Python loop.

The build uses `-march=native` when the compiler accepts it: the generated
C++ is integer-only, so the flag changes speed (vector instructions for the
PE lanes), never results; the target's predefined macros are part of the
cache key, so a binary never runs on a CPU it was not built for.

Mismatch diagnosis: given the lowered `graph` the design was generated from
(`run_csim(hls, vectors, graph=g)`), a run with mismatches is followed by a
*trace build* of the same sources with `-DTRITIUM_TRACE` (cached beside the
normal binary under its own hash). In it the generated top calls
`tritium::trace_tap` after every engine, appending that engine's output
stream to `$TRITIUM_TRACE_DIR/L<k>.bin` (int32, channels-last; `k` indexes the
manifest's `traces`, in dataflow order). It runs on the first mismatching
vector only; each layer's trace is compared with the golden model's tensor
of that node (`tritium.ir.interp`, from the same input codes) and the first
differing layer is reported: node name, pixel (h, w), channel, expected, got.
An exact run never builds the trace binary; without `graph` the report names
the output node as before.

Types: by default the build defines `TRITIUM_COMPAT`, so the design compiles
against Tritium's stand-in for `ap_int`/`hls::stream`/`hls::axis`
(`lib/tritium_types.h`), whatever is on the include path. With
`hls_include=DIR` (`tritium simulate --hls-include DIR`) it compiles the same
sources and testbench against AMD's headers in DIR instead
(`tritium.sim.hls_headers`: `-DTRITIUM_VENDOR_TYPES`, DIR as `-isystem`, the
headers' content in the cache key), runs the same vectors and compares them
the same way; the trace build of a mismatch uses the same headers.
"""
from __future__ import annotations

import json
import os
import subprocess
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from tritium.errors import ModelError, ToolError
from tritium.ir.interp import run_golden_codes
from tritium.toolchain import find_tool
from tritium.sim import build
from tritium.sim.hls_headers import HlsHeaders, vendor_headers
from tritium.sim.vectors import INT32, Vectors, vectors_on_disk

CXXFLAGS = ("-std=c++17", "-O2", "-Wall", "-Wextra", "-Werror")
NATIVE_FLAGS = ("-march=native",)
SOURCE_DIRS = ("src/", "lib/", "tb/")
MANIFEST = "tritium_hls.json"
BINARY = "csim"
TRACE_BINARY = "csim_trace"
TRACE_FLAGS = ("-DTRITIUM_TRACE",)
COMPAT_FLAGS = ("-DTRITIUM_COMPAT",)


@dataclass(frozen=True)
class Mismatch:
    """The first differing output value."""

    vector: int
    index: int          # flat index into `layer`'s tensor (channels-last)
    channel: int        # index % channels
    expected: int
    got: int
    layer: str          # the first graph node (dataflow order) whose values differ;
                        # the output node when not diagnosed (no graph, or only the outputs differ)
    pixel: tuple[int, int] | None = None   # (h, w) in `layer`; None for a vector tensor
    traced: bool = False                   # found by the per-layer trace build

    def __str__(self) -> str:
        where = f"pixel {self.pixel}, " if self.pixel is not None else f"index {self.index}, "
        what = "first differing layer" if self.traced else "layer"
        return (f"vector {self.vector}, {what} '{self.layer}' ({where}channel {self.channel}): "
                f"expected {self.expected}, got {self.got}")


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
    trace_binary: Path | None = None   # the diagnosis build, when one ran
    headers: HlsHeaders | None = None  # AMD's headers it was built against; None: the stand-in

    @property
    def ok(self) -> bool:
        return self.mismatches == 0

    @property
    def n(self) -> int:
        return len(self.outputs)


# --------------------------------------------------------------------------- build

def project_files(hls) -> dict[str, bytes]:
    """`{path relative to hls/: bytes}` of what a C-simulation build reads: the
    sources, library, testbench and manifest of a project directory or a Plan."""
    return build.design_files(hls, "hls", MANIFEST,
                              lambda rel: rel == MANIFEST or rel.startswith(SOURCE_DIRS), "HLS")


def cache_root() -> Path:
    """Where C-simulation builds are cached (`tritium.sim.build.cache_root`)."""
    return build.cache_root("csim")


_TARGETS: dict[tuple[str, tuple[str, ...]], str | None] = {}


def native_target(cxx: str) -> str | None:
    """The predefined macros of `cxx -march=native` (what the flag means on this CPU),
    or None when the compiler does not accept the flag."""
    key = (cxx, NATIVE_FLAGS)
    if key not in _TARGETS:
        try:
            proc = subprocess.run([cxx, *NATIVE_FLAGS, "-std=c++17", "-x", "c++", "-E", "-dM", os.devnull],
                                  capture_output=True, text=True, timeout=60)
            _TARGETS[key] = "\n".join(sorted(proc.stdout.splitlines())) if proc.returncode == 0 else None
        except (OSError, subprocess.TimeoutExpired):
            _TARGETS[key] = None
    return _TARGETS[key]


def headers_of(hls_include) -> HlsHeaders | None:
    """None (the stand-in types), or the checked `HlsHeaders` of a folder or `HlsHeaders`."""
    if hls_include is None or isinstance(hls_include, HlsHeaders):
        return hls_include
    return vendor_headers(hls_include)


def build_flags(cxx: str, trace: bool = False,
                headers: HlsHeaders | None = None) -> tuple[tuple[str, ...], str]:
    """(g++ flags, target id for the cache key) of a C-simulation build."""
    target = native_target(cxx)
    flags = (CXXFLAGS + (NATIVE_FLAGS if target is not None else ()) + (TRACE_FLAGS if trace else ())
             + (COMPAT_FLAGS if headers is None else headers.flags))
    return flags, target or ""


def build_tool(cxx: str, trace: bool = False, headers: HlsHeaders | None = None) -> tuple[str, ...]:
    """The compiler's identity in the cache key: path, flags, what `-march=native` means here,
    and the content of the vendor headers when built against them."""
    flags, target = build_flags(cxx, trace, headers)
    return (cxx, *flags, target, *(headers.identity if headers is not None else ()))


def build_csim(hls, trace: bool = False, hls_include=None) -> tuple[Path, float, bool]:
    """(binary, build seconds, cached): compile the testbench unless its build is cached.

    `trace=True` builds the diagnosis variant (`-DTRITIUM_TRACE`, see the module docstring);
    `hls_include`: a folder of AMD's headers (or its `HlsHeaders`) to build against
    instead of the stand-in types.
    """
    headers = headers_of(hls_include)
    files = project_files(hls)
    manifest = json.loads(files[MANIFEST])
    cxx = find_tool("g++", "TRITIUM_CXX", "install a C++17 compiler (e.g. `apt install g++`)")
    flags, _ = build_flags(cxx, trace, headers)
    binary = TRACE_BINARY if trace else BINARY
    against = "" if headers is None else f" against the headers in '{headers.dir}'"

    def compile_(work: Path, entry: Path) -> None:
        cmd = [cxx, *flags, "-Ilib", "-Isrc", "-o", binary, *manifest["sources"], manifest["testbench"]]
        build.run_tool(cmd, f"g++ failed to build the C-simulation of '{manifest['top']}'{against}", cwd=work)

    b = build.cached_build("csim", files, build_tool(cxx, trace, headers), compile_, [binary])
    return b.dir / binary, b.seconds, b.cached


# --------------------------------------------------------------------------- run

def jobs_count(jobs: int | None) -> int:
    """Processes for `jobs`: N >= 1 as given, 0 or None one per CPU."""
    if jobs is None or jobs == 0:
        return max(1, os.cpu_count() or 1)
    if jobs < 0:
        raise ValueError(f"jobs must be >= 0, got {jobs}")
    return int(jobs)


def run_csim(hls, vectors=None, *, graph=None, timeout: float | None = None, jobs: int = 1,
             hls_include=None) -> CsimResult:
    """Build (cached) and run the C-simulation of `hls` on every vector; compare exactly.

    `hls`: an `OUTDIR/hls` directory or a Plan. `vectors`: a `Vectors`, a
    `vectors/` directory, or None for the `vectors/` beside an `hls/` directory.
    `graph`: the lowered graph the design was generated from; when given and
    outputs differ, the first differing layer is located with the trace build.
    `jobs`: processes of the one binary, each running a contiguous chunk of
    the vectors (0: one per CPU); the outputs are merged in vector order.
    `hls_include`: a folder holding AMD's ap_int.h and hls_stream.h (or its
    `HlsHeaders`); the design is then built against those instead of the
    stand-in types (`tritium.sim.hls_headers`).
    """
    headers = headers_of(hls_include)
    if vectors is None:
        if isinstance(hls, Mapping):
            raise ToolError("run_csim needs golden vectors when given an in-memory plan")
        vectors = Path(hls).parent / "vectors"
    manifest = json.loads(project_files(hls)[MANIFEST])
    binary, build_s, cached = build_csim(hls, hls_include=headers)
    with tempfile.TemporaryDirectory(prefix="tritium-csim-") as d:
        tmp = Path(d)
        vec, vdir = vectors_on_disk(vectors, tmp)
        t0 = time.perf_counter()
        got = _run_chunks(binary, vdir, vec, tmp, jobs_count(jobs), timeout, manifest["top"])
        run_s = time.perf_counter() - t0
    result = replace(_compare(got, vec, manifest, build_s, run_s, cached, binary), headers=headers)
    if result.first_mismatch is None or graph is None:
        return result
    first, trace_binary = diagnose(hls, vec, graph, result.first_mismatch.vector, timeout=timeout,
                                   hls_include=headers)
    return replace(result, first_mismatch=first or result.first_mismatch, trace_binary=trace_binary)


def _run_chunks(binary: Path, vdir: Path, vec: Vectors, tmp: Path, jobs: int,
                timeout: float | None, top: str) -> np.ndarray:
    """Outputs `(N, *shape)` of the testbench on every vector, in `jobs` contiguous chunks."""
    n = len(vec.y)
    bounds = np.linspace(0, n, min(jobs, max(n, 1)) + 1).astype(int)
    runs = []
    for k, (a, b) in enumerate(zip(bounds[:-1], bounds[1:])):
        # One process reads the files as they are; several each read their chunk.
        d = vdir if len(bounds) == 2 else vec.take(a, b).write(tmp / f"chunk{k}")
        runs.append((d / "input.bin", d / "expected.bin", tmp / f"output{k}.bin"))
    procs = [subprocess.Popen([str(binary), str(i), str(e), str(o)], stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True) for i, e, o in runs]
    deadline = None if timeout is None else time.monotonic() + timeout
    try:
        logs = [p.communicate(timeout=None if deadline is None else max(0.0, deadline - time.monotonic()))[0]
                for p in procs]
    except subprocess.TimeoutExpired:
        for p in procs:
            p.kill()
            p.wait()
        raise
    for p, log, (_, _, out) in zip(procs, logs, runs):
        if p.returncode not in (0, 1) or not out.is_file():
            raise ToolError(f"the C-simulation of '{top}' failed (exit {p.returncode}):\n"
                            f"{log.strip()[-4000:]}")
    got = np.concatenate([np.fromfile(o, INT32) for _, _, o in runs]) if runs else np.zeros(0, INT32)
    return got.astype(np.int64).reshape(vec.y.shape)


def _compare(got: np.ndarray, vec: Vectors, manifest: dict, build_s, run_s, cached, binary) -> CsimResult:
    want = vec.y.reshape(len(got), -1)
    flat = got.reshape(len(got), -1)
    diff = flat != want
    first = None
    if diff.any():
        v, i = (int(k) for k in np.argwhere(diff)[0])
        first = _layer_mismatch(v, {"node": manifest["output_node"], "shape": manifest["output_shape"]},
                                i, int(want[v, i]), int(flat[v, i]), traced=False)
    return CsimResult(got, int(diff.sum()), int(diff.any(axis=1).sum()), first, build_s, run_s,
                      cached, binary)


# --------------------------------------------------------------------------- diagnosis

def diagnose(hls, vec: Vectors, graph, vector: int, *, timeout: float | None = None,
             hls_include=None) -> tuple[Mismatch | None, Path]:
    """(first differing layer of `vector`, trace binary): run the trace build on that vector.

    None when every traced layer equals the golden model (the design computes
    the graph; only the expected outputs differ, e.g. stale vectors).
    """
    manifest = json.loads(project_files(hls)[MANIFEST])
    if graph.fingerprint() != manifest["model"]:
        raise ModelError(f"the graph '{graph.name}' is not the model the HLS design "
                         f"'{manifest['top']}' was generated from; pass the lowered graph it was built from")
    binary, _, _ = build_csim(hls, trace=True, hls_include=hls_include)
    want = run_golden_codes(graph, vec.x[vector:vector + 1])
    with tempfile.TemporaryDirectory(prefix="tritium-trace-") as d:
        tmp = Path(d)
        one = vec.take(vector, vector + 1).write(tmp / "vector")
        inp, exp = one / "input.bin", one / "expected.bin"
        (tmp / "trace").mkdir()
        proc = subprocess.run([str(binary), str(inp), str(exp)], capture_output=True, text=True,
                              timeout=timeout, env={**os.environ, "TRITIUM_TRACE_DIR": str(tmp / "trace")})
        if proc.returncode not in (0, 1):
            raise ToolError(f"the trace C-simulation of '{manifest['top']}' failed (exit {proc.returncode}):\n"
                            f"{(proc.stdout + proc.stderr).strip()[-4000:]}")
        for t in manifest["traces"]:
            expected = want[t["node"]].reshape(-1)
            path = tmp / "trace" / t["file"]
            got = np.fromfile(path, INT32).astype(np.int64) if path.is_file() else np.zeros(0, np.int64)
            if got.shape != expected.shape:
                raise ToolError(f"the trace of layer '{t['node']}' holds {got.size} values, "
                                f"expected {expected.size}")
            diff = np.flatnonzero(got != expected)
            if diff.size:
                return _layer_mismatch(vector, t, int(diff[0]), int(expected[diff[0]]), int(got[diff[0]])), binary
    return None, binary


def _layer_mismatch(vector: int, trace: dict, i: int, expected: int, got: int, traced: bool = True) -> Mismatch:
    shape = trace["shape"]
    c = shape[-1]
    pixel = (i // c // shape[1], i // c % shape[1]) if len(shape) == 3 else None
    return Mismatch(vector, i, i % c, expected, got, trace["node"], pixel, traced)
