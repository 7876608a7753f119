"""AMD's type headers for C-simulation (level L2 with the vendor's `ap_int`/`hls_stream`).

The generated HLS C++ builds against two sets of types: Tritium's stand-in
(`hls_templates/lib/hls/tritium_types.h`, the default C-simulation, no vendor
file needed) and AMD's own headers, which is what Vitis compiles. This module
finds the second set.

`vendor_headers(DIR)` checks a folder a user names (`tritium simulate
--level csim --hls-include DIR`, e.g. a Vitis installation's `include/`) and
returns the `HlsHeaders` a build uses: `-DTRITIUM_VENDOR_TYPES` (tritium_types.h
then includes the vendor's headers and fails if they are not found) and the
folders as `-isystem`, so that warnings inside AMD's code never fail our
`-Werror` build while our own code keeps every warning. DIR must hold
`ap_int.h` and `hls_stream.h`. AMD's `ap_axi_sdata.h` is not open source; a
DIR without one (Xilinx's open-source HLS_arbitrary_Precision_Types, or the
copy `fetch_ap_types` returns) is completed with Tritium's model of it,
`sim/include/ap_axi_sdata.h`, written from UG1399's documented template, and
`HlsHeaders.axi_sdata` says which one a build used. The build cache key holds
the SHA-256 of every file in those folders (`digest`), so an edited or
upgraded header builds anew.

`fetch_ap_types()` returns a folder of Xilinx's open-source headers (Apache-2.0)
with no Vitis installation: the `hls4ml==1.3.0` wheel on PyPI ships a copy
under `hls4ml/templates/vivado/ap_types/`. The wheel is downloaded with
`pip download --no-deps` (hls4ml is never installed or imported), its SHA-256
is checked against `WHEEL_SHA256`, and only `ap_types/` is extracted, to
`$TRITIUM_CACHE/hls-headers/hls4ml-1.3.0/ap_types` (default
`~/.cache/tritium/...`), written under a temporary name and renamed into place,
so an interrupted fetch leaves nothing that looks finished.
`python -m tritium.sim.hls_headers` fetches it and prints the folder.
"""
from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from tritium.errors import OptionError, ToolError
from tritium.sim.build import cache_root

MODEL_DIR = Path(__file__).resolve().parent / "include"    # Tritium's ap_axi_sdata.h
REQUIRED = ("ap_int.h", "hls_stream.h")
AXI_SDATA = "ap_axi_sdata.h"
VENDOR_FLAGS = ("-DTRITIUM_VENDOR_TYPES",)

WHEEL = "hls4ml==1.3.0"
WHEEL_FILE = "hls4ml-1.3.0-py3-none-any.whl"
WHEEL_SHA256 = "01bf1de2cd9bca56699b9fe3385cb1735026b022f9580fe1d73faf192dfb90f2"
WHEEL_AP_TYPES = "hls4ml/templates/vivado/ap_types/"


@dataclass(frozen=True)
class HlsHeaders:
    """The vendor headers one C-simulation build compiles against."""

    dir: Path                    # the folder the user named (absolute)
    dirs: tuple[Path, ...]       # every -isystem folder, in search order
    digest: str                  # SHA-256 of every file in `dirs` (path and bytes)
    axi_sdata: str               # "DIR" or "tritium model": whose ap_axi_sdata.h is used

    @property
    def flags(self) -> tuple[str, ...]:
        """The g++ flags of a build against these headers."""
        return VENDOR_FLAGS + tuple(f for d in self.dirs for f in ("-isystem", str(d)))

    @property
    def identity(self) -> tuple[str, ...]:
        """What enters the build cache key: the flags and the headers' content."""
        return (*self.flags, f"headers-sha256:{self.digest}")


def vendor_headers(folder: str | os.PathLike) -> HlsHeaders:
    """The `HlsHeaders` of a user's header folder; `OptionError` naming the fix if unusable."""
    d = Path(folder).expanduser()
    hint = ("point --hls-include at a folder holding AMD's ap_int.h and hls_stream.h (a Vitis "
            "installation's include/, or `python -m tritium.sim.hls_headers` for the open-source ones)")
    if not d.is_dir():
        raise OptionError(f"--hls-include '{folder}' is not a folder; {hint}")
    missing = [h for h in REQUIRED if not (d / h).is_file()]
    if missing:
        raise OptionError(f"--hls-include '{folder}' has no {' or '.join(missing)}; {hint}")
    d = d.absolute()
    own = (d / AXI_SDATA).is_file()
    dirs = (d,) if own else (d, MODEL_DIR)
    return HlsHeaders(d, dirs, _digest(dirs), "DIR" if own else "tritium model")


def _digest(dirs: tuple[Path, ...]) -> str:
    h = hashlib.sha256()
    for k, d in enumerate(dirs):
        for p in sorted(d.rglob("*")):
            if p.is_file():
                h.update(f"{k}:{p.relative_to(d).as_posix()}".encode() + b"\0" + p.read_bytes() + b"\0")
    return h.hexdigest()


# --------------------------------------------------------------------------- fetch

def ap_types_dir() -> Path:
    """Where `fetch_ap_types` keeps the extracted headers."""
    return cache_root("hls-headers") / "hls4ml-1.3.0" / "ap_types"


def fetch_ap_types(dest: str | os.PathLike | None = None) -> Path:
    """The folder of Xilinx's open-source ap_int.h/ap_fixed.h/hls_stream.h, fetched once.

    `dest`: where to keep it (default `ap_types_dir()`). `ToolError` naming the
    cause and the way around it when the wheel cannot be downloaded (no
    network to PyPI) or is not the pinned one.
    """
    dest = Path(dest) if dest is not None else ap_types_dir()
    if all((dest / h).is_file() for h in REQUIRED):
        return dest
    dest.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".fetch-", dir=dest.parent) as tmp:
        wheel = _download(Path(tmp))
        staged = Path(tmp) / "ap_types"
        _extract_ap_types(wheel, staged)
        try:
            os.rename(staged, dest)
        except OSError:                 # a parallel fetch finished first
            if not all((dest / h).is_file() for h in REQUIRED):
                raise ToolError(f"cannot place the fetched headers in '{dest}'; remove that folder "
                                "and run again") from None
    return dest


def _download(tmp: Path) -> Path:
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--no-input", "--disable-pip-version-check",
           "--only-binary", ":all:", WHEEL, "-d", str(tmp)]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    wheel = tmp / WHEEL_FILE
    if proc.returncode != 0 or not wheel.is_file():
        tail = (proc.stdout + proc.stderr).strip().splitlines()[-1:] or ["no output"]
        raise ToolError(f"cannot download {WHEEL} from PyPI for AMD's open-source type headers "
                        f"(pip: {tail[0]}); connect to PyPI, or pass a folder holding ap_int.h and "
                        f"hls_stream.h (e.g. a Vitis include/) with --hls-include")
    got = hashlib.sha256(wheel.read_bytes()).hexdigest()
    if got != WHEEL_SHA256:
        raise ToolError(f"the downloaded {WHEEL_FILE} has SHA-256 {got}, not the pinned {WHEEL_SHA256}; "
                        "check your package index (PIP_INDEX_URL)")
    return wheel


def _extract_ap_types(wheel: Path, out: Path) -> None:
    """Only the files under the wheel's ap_types/ folder, paths checked to stay inside `out`."""
    with zipfile.ZipFile(wheel) as z:
        for info in z.infolist():
            if not info.filename.startswith(WHEEL_AP_TYPES) or info.is_dir():
                continue
            rel = Path(info.filename[len(WHEEL_AP_TYPES):])
            if rel.is_absolute() or ".." in rel.parts:
                raise ToolError(f"{WHEEL_FILE} holds an unsafe path '{info.filename}'")
            target = out / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            with z.open(info) as src, open(target, "wb") as dst:
                shutil.copyfileobj(src, dst)
    if not all((out / h).is_file() for h in REQUIRED):
        raise ToolError(f"{WHEEL_FILE} holds no {' and '.join(REQUIRED)} under {WHEEL_AP_TYPES}")


if __name__ == "__main__":
    try:
        print(fetch_ap_types())
    except ToolError as e:
        print(f"error: {e}", file=sys.stderr)
        sys.exit(2)
