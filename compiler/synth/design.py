"""Synthesize a compiled OUTDIR's RTL and record it (`tritium synth`).

Writes OUTDIR/synth.json (versioned, `tritium.schema` "synth"):

    {"schema_version", "family", "yosys", "seconds", "top", "total": {lut, ff, carry, dsp, bram18, uram},
     "modules": {module: counts (hierarchical)}, "layers": {layer: counts of <layer>_engine},
     "engines": {engine: counts}, "glue": counts}

`engines` are the instances directly below the top that build an engine
(`u_<engine>`, a pool's `u_<engine>_window`, and its input FIFOs `u_q_<engine>_in<k>`,
as the cost model charges them), by model name (rtl/meta.json `engine_names`);
the output port is `out_stream` (its FIFO and serializer); `glue` is everything
else (forks, the input port, the top's own cells).

It adds a `synth` section to OUTDIR/report.json (re-rendering report.html):
the synthesized totals and, per engine and for the network, the synthesized
LUT/FF/DSP/BRAM18 beside the schedule's estimates with their ratio, and
whether the synthesized design fits the board's usable resources (naming each
resource over budget and the engine that costs most of it). Estimates and fit
are for the board's family: synthesized for another family, they are not
compared.
"""
from __future__ import annotations

import json
import re
import shutil
import tempfile
from pathlib import Path

from .. import schema
from ..board import Family, compiled_board
from ..errors import ModelError, ToolError
from ..fileio import atomic_write
from . import yosys
from .stat import Counts, module_totals

TOP = "tritium_top"
COMPARED = ("lut", "ff", "dsp", "bram18")


def default_family(outdir: Path) -> Family:
    """The family of the board OUTDIR was compiled for (compile.json)."""
    path = outdir / "compile.json"
    try:
        return compiled_board(json.loads(path.read_text())).family
    except (OSError, ValueError, KeyError, TypeError):
        raise ModelError(f"{path} is missing or unreadable; pass --family xc7|xcup|ecp5 or "
                         "recompile with `tritium compile`") from None


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
        result = yosys.run(yosys.Job(work, sources, TOP, family, keep="children"),
                           timeout=timeout)
        atomic_write(outdir / "synth.log", result.log)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    names = json.loads((rtl / "meta.json").read_text()).get("engine_names", {}) \
        if (rtl / "meta.json").is_file() else {}
    doc = synth_doc(result.stat, family, result.version, result.seconds, names)
    atomic_write(outdir / "synth.json", json.dumps(doc, indent=1, sort_keys=True) + "\n")
    if (outdir / "report.json").exists():
        add_to_report(outdir, doc)
    return doc


def engine_of(instance: str, names: dict[str, str]) -> str | None:
    """The engine an instance below the top belongs to (by model name where `names`, the
    RTL's identifier -> model name map, knows it), or None for glue."""
    if instance in ("out", "q_out"):
        return "out_stream"
    if instance == "in" or instance.startswith("fork_"):
        return None
    if instance.startswith("q_"):
        instance = re.sub(r"_in\d+$", "", instance[2:])
    instance = instance.removesuffix("_window")
    return names.get(instance, instance)


def synth_doc(stat: dict, family: Family, version: str, seconds: float,
              names: dict[str, str] | None = None) -> dict:
    totals = module_totals(stat, family)
    if TOP not in totals:
        raise ToolError(f"yosys statistics lack the top module {TOP}; the RTL in rtl/ is not "
                        "Tritium's; regenerate it with `tritium compile --backend rtl`")
    # read_slang --keep-hierarchy names a module after its instance:
    # conv1_engine$tritium_top.u_conv1
    layers = {base[: -len("_engine")]: c.as_dict() for name, c in totals.items()
              if (base := name.split("$")[0]).endswith("_engine")}
    engines: dict[str, Counts] = {}
    glue = totals[TOP]
    for name, c in totals.items():
        inst = name.partition("$")[2]
        if not inst.startswith(f"{TOP}.u_") or "." in inst[len(TOP) + 1:]:
            continue                                     # not a direct child of the top
        glue = glue + c.times(-1)
        engine = engine_of(inst[len(TOP) + 3:], names or {})
        if engine is None:
            glue = glue + c
        else:
            engines[engine] = engines.get(engine, Counts()) + c
    return schema.stamp("synth", {
        "family": family.value, "yosys": version, "seconds": round(seconds, 1), "top": TOP,
        "total": totals[TOP].as_dict(), "layers": dict(sorted(layers.items())),
        "engines": {k: v.as_dict() for k, v in sorted(engines.items())}, "glue": glue.as_dict(),
        "modules": {k: v.as_dict() for k, v in sorted(totals.items())}})


def synth_section(report: dict, doc: dict, board_family: Family | None = None) -> dict:
    """The report's `synth` section: estimated vs synthesized for the network and per
    engine (MAC layers only in a synth.json older than its `engines`), the glue, and,
    when the board's family is known, whether the synthesized design fits the board's
    usable resources (the report's `network.usable`). Synthesized for another family
    than the board's, nothing is compared."""
    comparable = board_family is None or board_family.value == doc["family"]
    net = report["network"]
    rows = {"network": _pair({k: net[k] for k in COMPARED}, doc["total"], comparable)}
    synthesized = doc.get("engines", doc["layers"])
    for e in report.get("engines", report["layers"]):
        if e["name"] in synthesized:
            rows[e["name"]] = _pair(e, synthesized[e["name"]], comparable)
    section = {"family": doc["family"], "yosys": doc["yosys"], "total": doc["total"],
               "glue": doc.get("glue"), "comparable": comparable,
               "estimated_vs_synthesized": rows}
    if board_family is not None and comparable:
        section["fit"] = fit(doc["total"], synthesized, net["usable"])
    return section


def fit(total: dict, engines: dict, usable: dict) -> dict:
    """Whether synthesized `total` fits the `usable` resources: `{"fits", "over":
    {resource: {"synthesized", "usable", "largest_engine"}}}`."""
    over = {k: {"synthesized": total[k], "usable": usable.get(k, 0),
                "largest_engine": max(engines, key=lambda e: engines[e].get(k, 0), default=None)}
            for k in COMPARED if total.get(k, 0) > usable.get(k, 0)}
    return {"fits": not over, "over": over}


def fit_message(section: dict) -> str | None:
    """One line saying why the synthesized design does not fit, or None."""
    f = section.get("fit")
    if not f or f["fits"]:
        return None
    parts = [f"{k.upper()} {v['synthesized']:,} of {v['usable']:,} usable (most: engine "
             f"'{v['largest_engine']}')" for k, v in f["over"].items()]
    return "the synthesized design does not fit the board: " + "; ".join(parts)


def _pair(est: dict, syn: dict, comparable: bool = True) -> dict:
    out = {}
    for k in COMPARED:
        e, s = est.get(k, 0), syn.get(k, 0)
        ratio = round(e / s, 3) if s and comparable else None
        out[k] = {"estimated": e if comparable else None, "synthesized": s, "ratio": ratio}
    return out


def add_to_report(outdir: Path, doc: dict) -> None:
    from ..report.data import dumps, load_report
    from ..report.html import render_report
    report = load_report(outdir / "report.json")
    try:
        family = default_family(outdir)
    except ModelError:
        family = None
    report["synth"] = synth_section(report, doc, family)
    atomic_write(outdir / "report.json", dumps(report))
    atomic_write(outdir / "report.html", render_report(report))
