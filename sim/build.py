"""The one build layer of the simulators: a content-addressed cache of built testbenches.

C-simulation (g++), the plain Verilator harness and the cocotb build all go
through `cached_build`. A build is named by `cache_key`: the SHA-256 of the
tool's identity (path or version, flags, target) and of every input file,
each as its path relative to the build folder and its bytes, in path order.
Nothing else enters the key, so any change to a source, a ROM, the testbench
or a flag builds anew, and nothing else does.

Entries live in `cache_root(kind)/<key>/`, where `cache_root` is the one
place that reads `$TRITIUM_CACHE` (default `~/.cache/tritium`) and `kind` is
`csim` or `rtl`. A build runs in a private folder beside the entry: the
inputs are staged there with `write_plan` (the one writer of file trees),
the tool runs, everything but the files a run needs is deleted (object files
and precompiled headers: a cocotb build would keep 150 MB), a seal (`SEAL`:
the key, the entry's path, size and SHA-256 of every file kept) is written
last, and the folder is renamed into place. An entry is used only if its seal matches what is on
disk, so a build that was interrupted, a file that was truncated or a cache
folder that was moved (Verilator binaries name their ROM folder by absolute
path) is rebuilt, never run. Parallel builds of one key both build; the first
rename wins and the other uses it.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from tritium.codegen.plan import write_plan
from tritium.errors import ToolError

CACHE_ENV = "TRITIUM_CACHE"
SEAL = "tritium-build.json"
KEY_CHARS = 24


def cache_root(kind: str) -> Path:
    """The folder holding `kind`'s entries: `$TRITIUM_CACHE/<kind>` (default `~/.cache/tritium/<kind>`)."""
    base = os.environ.get(CACHE_ENV)
    # Absolute: a Verilator binary names its ROM folder by the entry's path, and runs elsewhere.
    return (Path(base).expanduser().absolute() if base else Path.home() / ".cache" / "tritium") / kind


def cache_key(inputs: Mapping[str, bytes], tool: Sequence[str]) -> str:
    """The content hash of a build: the tool's identity, then every input (path, bytes)."""
    h = hashlib.sha256(repr(tuple(tool)).encode())
    for rel in sorted(inputs):
        h.update(rel.encode() + b"\0" + inputs[rel] + b"\0")
    return h.hexdigest()[:KEY_CHARS]


@dataclass(frozen=True)
class Build:
    """A cache entry ready to run."""

    dir: Path
    seconds: float       # the tool's wall time; 0.0 when the entry came from the cache
    cached: bool


# `make(work, entry)` runs the tool in `work`; paths baked into the binary must
# name `entry`, where `work` will be once the build succeeds.
Make = Callable[[Path, Path], None]


def cached_build(kind: str, inputs: Mapping[str, bytes], tool: Sequence[str], make: Make,
                 needs: Sequence[str]) -> Build:
    """The entry of (`inputs`, `tool`), built by `make` unless a sealed one exists.

    `needs`: the paths (relative to the entry) that a run reads: the binary,
    and any data file it opens by path. They are sealed and checked on reuse.
    """
    key = cache_key(inputs, tool)
    root = cache_root(kind)
    entry = root / key
    if is_sealed(entry, key):
        return Build(entry, 0.0, True)
    root.mkdir(parents=True, exist_ok=True)
    work = root / f".{key}.{uuid.uuid4().hex[:8]}.build"
    try:
        write_plan(dict(inputs), work)
        t0 = time.perf_counter()
        make(work, entry)
        seconds = time.perf_counter() - t0
        _keep_only(work, needs, entry)
        _seal(work, entry, key, needs)
        _publish(work, entry, key)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return Build(entry, seconds, False)


def is_sealed(entry: Path, key: str) -> bool:
    """True if `entry` holds a finished build of `key` whose files are as they were built."""
    try:
        seal = json.loads((entry / SEAL).read_text())
        return (seal["key"] == key and seal["entry"] == str(entry)
                and all(_fingerprint(entry / rel) == fp for rel, fp in seal["files"].items()))
    except (OSError, ValueError, KeyError, TypeError):
        return False


def _fingerprint(path: Path) -> list:
    data = path.read_bytes()
    return [len(data), hashlib.sha256(data).hexdigest()]


def _keep_only(work: Path, needs: Sequence[str], entry: Path) -> None:
    """Delete the build's intermediates: an entry holds exactly what a run reads."""
    missing = [rel for rel in needs if not (work / rel).is_file()]
    if missing:
        raise ToolError(f"the build succeeded but did not produce {', '.join(missing)}; "
                        f"check the tool (a wrapper in TRITIUM_CXX or TRITIUM_VERILATOR?)")
    keep = {work / rel for rel in needs}
    for p in sorted(work.rglob("*"), reverse=True):      # children before their folders
        if p.is_dir() and not p.is_symlink():
            if not any(p.iterdir()):
                p.rmdir()
        elif p not in keep:
            p.unlink()


def _seal(work: Path, entry: Path, key: str, needs: Sequence[str]) -> None:
    seal = {"key": key, "entry": str(entry), "files": {rel: _fingerprint(work / rel) for rel in needs}}
    (work / SEAL).write_text(json.dumps(seal, indent=1, sort_keys=True) + "\n")


def _publish(work: Path, entry: Path, key: str) -> None:
    """Rename `work` to `entry`; an unsealed (broken) entry in the way is moved aside first."""
    for _ in range(3):
        try:
            os.rename(work, entry)
            return
        except OSError:
            if is_sealed(entry, key):  # a parallel build of the same key finished first
                return
        stale = entry.with_name(f".{entry.name}.{uuid.uuid4().hex[:8]}.stale")
        try:
            os.rename(entry, stale)
        except FileNotFoundError:
            continue
        shutil.rmtree(stale, ignore_errors=True)
    raise ToolError(f"cannot place the build in '{entry}'; remove that folder and run again")


def run_tool(cmd: Sequence[str], failure: str, *, cwd: Path | None = None,
             env: Mapping[str, str] | None = None) -> subprocess.CompletedProcess:
    """Run a build tool; `ToolError(failure + its output's tail)` if it fails."""
    proc = subprocess.run(list(cmd), cwd=cwd, env=None if env is None else dict(env),
                          capture_output=True, text=True)
    if proc.returncode != 0:
        raise ToolError(f"{failure}:\n{(proc.stdout[-3000:] + proc.stderr[-3000:]).strip()}")
    return proc


def design_files(design, subdir: str, manifest: str, wanted: Callable[[str], bool],
                 backend: str) -> dict[str, bytes]:
    """`{path relative to <subdir>/: bytes}` of the files `wanted` selects from a generated design.

    `design`: an in-memory Plan (paths under `<subdir>/`), an `OUTDIR` or an
    `OUTDIR/<subdir>` folder; either way it must hold `<subdir>/<manifest>`.
    """
    if isinstance(design, Mapping):
        pre = f"{subdir}/"
        files = {k[len(pre):]: (v.encode() if isinstance(v, str) else v)
                 for k, v in design.items() if k.startswith(pre) and wanted(k[len(pre):])}
        if manifest not in files:
            raise ToolError(f"the plan holds no {pre}{manifest}; generate it with the {backend} backend")
        return files
    root = Path(design)
    if not (root / manifest).is_file() and (root / subdir / manifest).is_file():
        root = root / subdir
    if not (root / manifest).is_file():
        raise ToolError(f"'{design}' is not a generated {backend} design (no {manifest}); "
                        f"generate one with `tritium compile --backend {subdir}`")
    return {rel: p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and wanted(rel := p.relative_to(root).as_posix())}
