"""Synthesize a compiled OUTDIR's RTL and record it (`tritium synth`).

Writes OUTDIR/synth.json (versioned, `tritium.schema` "synth"):

    {"schema_version", "family", "yosys", "seconds", "top", "total": {lut, ff, carry, dsp, bram18, uram},
     "modules": {module: counts (hierarchical)}, "layers": {layer: counts of <layer>_engine}}

and adds a `synth` section to OUTDIR/report.json (re-rendering report.html):
the synthesized totals and, per MAC layer, the synthesized LUT/FF/DSP/BRAM18
beside the schedule's estimates.
"""
from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

from .. import schema
from ..board import Family, load_board
from ..errors import ModelError, ToolError
from ..fileio import atomic_write
from . import yosys
from .stat import module_totals

TOP = "tritium_top"
COMPARED = ("lut", "ff", "dsp", "bram18")


def default_family(outdir: Path) -> Family:
    """The family of the board OUTDIR was compiled for (compile.json)."""
    path = outdir / "compile.json"
    try:
        board = json.loads(path.read_text())["board"]
    except (OSError, ValueError, KeyError, TypeError):
        raise ModelError(f"{path} is missing or unreadable; pass --family xc7|xcup|ecp5 or "
                         "recompile with `tritium compile`") from None
    return load_board(board).family


def synth_outdir(outdir: str | Path, family: Family, timeout: float | None = None) -> dict:
    """Run yosys on OUTDIR/rtl, write synth.json, update report.json/html; returns synth.json."""
    outdir = Path(outdir)
    rtl = outdir / "rtl"
    if not rtl.is_dir():
        raise ToolError(f"{rtl} does not exist; generate the RTL first with "
                        f"`tritium compile MODEL --board B --backend rtl -o {outdir}`")
    work = Path(tempfile.mkdtemp(prefix=".synth-", dir=outdir))
    try:
        sources = yosys.stage(rtl, work)
        result = yosys.run(yosys.Job(work, sources, TOP, family), timeout=timeout)
        atomic_write(outdir / "synth.log", result.log)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    doc = synth_doc(result.stat, family, result.version, result.seconds)
    atomic_write(outdir / "synth.json", json.dumps(doc, indent=1, sort_keys=True) + "\n")
    if (outdir / "report.json").exists():
        add_to_report(outdir, doc)
    return doc


def synth_doc(stat: dict, family: Family, version: str, seconds: float) -> dict:
    totals = module_totals(stat, family)
    if TOP not in totals:
        raise ToolError(f"yosys statistics lack the top module {TOP}; the RTL in rtl/ is not "
                        "Tritium's; regenerate it with `tritium compile --backend rtl`")
    # read_slang --keep-hierarchy names a module after its instance:
    # conv1_engine$tritium_top.u_conv1
    layers = {base[: -len("_engine")]: c.as_dict() for name, c in totals.items()
              if (base := name.split("$")[0]).endswith("_engine")}
    return schema.stamp("synth", {
        "family": family.value, "yosys": version, "seconds": round(seconds, 1), "top": TOP,
        "total": totals[TOP].as_dict(), "layers": dict(sorted(layers.items())),
        "modules": {k: v.as_dict() for k, v in sorted(totals.items())}})


def synth_section(report: dict, doc: dict) -> dict:
    """The report's `synth` section: estimated vs synthesized, network and per layer."""
    net = report["network"]
    rows = {"network": _pair({k: net[k] for k in COMPARED}, doc["total"])}
    for layer in report["layers"]:
        if layer["name"] in doc["layers"]:
            rows[layer["name"]] = _pair(layer, doc["layers"][layer["name"]])
    return {"family": doc["family"], "yosys": doc["yosys"], "total": doc["total"],
            "estimated_vs_synthesized": rows}


def _pair(est: dict, syn: dict) -> dict:
    out = {}
    for k in COMPARED:
        e, s = est.get(k, 0), syn.get(k, 0)
        out[k] = {"estimated": e, "synthesized": s, "ratio": round(e / s, 3) if s else None}
    return out


def add_to_report(outdir: Path, doc: dict) -> None:
    from ..report.data import dumps, load_report
    from ..report.html import render_report
    report = load_report(outdir / "report.json")
    report["synth"] = synth_section(report, doc)
    atomic_write(outdir / "report.json", dumps(report))
    atomic_write(outdir / "report.html", render_report(report))
