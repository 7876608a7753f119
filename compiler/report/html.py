"""`report.html`: one self-contained page (tables and inline SVG plots)."""
from __future__ import annotations

from html import escape

from . import plots

STYLE = """body{font-family:sans-serif;margin:2em;color:#222}table{border-collapse:collapse;
font-size:12px}td,th{border:1px solid #ccc;padding:2px 6px;text-align:right}
th{background:#f0f0f0}td.l,th.l{text-align:left}.diff{background:#ffe08a;font-weight:bold}
.over{color:#c00;font-weight:bold}h2{margin-top:1.5em}"""

LAYER_COLUMNS = ["name", "op", "lane_axis", "P", "S", "groups_total", "groups_nonzero", "density",
                 "load_min", "load_max", "cycles", "lower_bound", "dense_cycles", "utilisation",
                 "weight_bits", "weight_memory", "lut", "ff", "bram18", "uram", "dsp"]


def fmt(v) -> str:
    if isinstance(v, float):
        return f"{v:,.3f}" if abs(v) < 1000 else f"{v:,.0f}"
    if isinstance(v, int):
        return f"{v:,}"
    return escape(str(v))


def table(header: list[str], rows: list[list], classes: list[list[str]] | None = None) -> str:
    head = "".join(f"<th class=l>{escape(h)}</th>" if i == 0 else f"<th>{escape(h)}</th>"
                   for i, h in enumerate(header))
    body = []
    for r, row in enumerate(rows):
        cells = []
        for c, v in enumerate(row):
            cls = " ".join(filter(None, ["l" if c == 0 or isinstance(v, str) else "",
                                         classes[r][c] if classes else ""]))
            cells.append(f"<td class='{cls}'>{fmt(v)}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><tr>{head}</tr>{''.join(body)}</table>"


def page(title: str, body: str) -> str:
    return (f"<!DOCTYPE html>\n<html><head><meta charset='utf-8'><title>{escape(title)}</title>"
            f"<style>{STYLE}</style></head><body>\n{body}\n</body></html>\n")


def synth_table(synth: dict | None) -> str:
    """Estimated vs synthesized (after `tritium synth`): one row per layer and the network."""
    if not synth:
        return ""
    keys = ["lut", "ff", "dsp", "bram18"]
    head = ["", *(f"{k} {w}" for k in keys for w in ("est.", "synth", "est/synth"))]
    rows = [[name, *(p[k][w] if p[k][w] is not None else "-" for k in keys
                     for w in ("estimated", "synthesized", "ratio"))]
            for name, p in synth["estimated_vs_synthesized"].items()]
    from ..synth.design import fit_message
    verdict = ""
    if synth.get("fit"):
        verdict = fit_message(synth) or "The synthesized design fits the board's usable resources."
    elif not synth.get("comparable", True):
        verdict = "Synthesized for another family than the board's: estimates are not compared."
    return (f"<h2>Estimated vs synthesized ({escape(synth['family'])}, yosys "
            f"{escape(synth['yosys'])})</h2>" + table(head, rows)
            + (f"<p>{escape(verdict)}</p>" if verdict else ""))


RESOURCE_ROWS = ("lut", "ff", "bram18", "uram", "dsp")


def timing_table(timing: dict | None) -> str:
    """After `tritium build`: Fmax against the board's clock, the fps at each, the
    critical path, and the utilisation after place and route."""
    if not timing:
        return ""
    from ..synth.pnr import path_words, timing_message
    rows = [["Fmax (MHz)", timing["fmax_mhz"]], ["board clock (MHz)", timing["target_mhz"]],
            ["fps at the board clock", timing["fps_at_target"]],
            ["fps at min(board clock, Fmax)", timing["fps_at_fmax"]],
            ["critical path", path_words(timing)],
            ["bitstream", timing.get("bitstream") or "-"]]
    classes = [["", "diff" if not timing["met"] else ""]] + [["", ""]] * (len(rows) - 1)
    util = [[k, v["used"], v["available"], f"{100 * v['used'] / max(v['available'], 1):.1f}%"]
            for k, v in timing.get("utilisation", {}).items()]
    what = "out of context (the network alone)" if timing.get("out_of_context") else "board top"
    verdict = timing_message(timing)
    return (f"<h2>Place and route ({escape(what)})</h2>"
            + (f"<p class='diff'>{escape(verdict)}</p>" if verdict else "")
            + table(["timing", "value"], rows, classes)
            + table(["resource after place and route", "used", "available", "share"], util))


def engines_table(rep: dict) -> str:
    """Cycles per frame of every engine (the machine model), the bottleneck highlighted."""
    engines, slow = rep.get("engines", []), rep["network"]["bottleneck_layer"]
    rows = [[e["name"], e["op"], e["cycles"]] for e in engines]
    classes = [["diff" if e["name"] == slow else "", "", ""] for e in engines]
    return ("<h2>Engines: cycles per frame</h2><p>One pixel per beat between engines; a "
            "Conv/Dense engine takes max(in pixels, out pixels &times; max(1, cycles per pixel), "
            "DRAM cycles), other engines max(in pixels, out pixels), and an engine with a window "
            "unit no less than the unit's column steps; the input port H&times;W beats, the "
            "output port one beat per value.</p>"
            + table(["engine", "op", "cycles"], rows, classes))


def render_report(rep: dict) -> str:
    net, comp, layers = rep["network"], rep["compression"], rep["layers"]
    res = [[k, net[k], net["usable"][k], net["available"][k],
            f"{100 * net[k] / max(net['usable'][k], 1):.1f}%"] for k in RESOURCE_ROWS]
    over = [["", "", "", "", "over" if r[1] > r[2] else ""] for r in res]
    summary = [["fps", net["fps"]], ["latency (cycles)", net["latency_cycles"]],
               ["latency (ms)", net["latency_ms"]], ["bottleneck", net["bottleneck_layer"]],
               ["board", f"{net['board']} ({net['part']}) @ {net['clock_mhz']:g} MHz"],
               ["granularity / folding", f"{net['granularity']} / {net['mode']}"],
               ["sparse speed-up vs dense (ternary layers)", net["sparse_speedup"] or "-"]]
    comp_rows = [[k, v] for k, v in comp.items()]
    body = "\n".join([
        f"<h1>{escape(rep['model'])} on {escape(net['board'])}</h1><p>{escape(rep['tool'])}</p>",
        table(["network", "value"], summary), "<h2>Resources</h2>",
        table(["resource", "used", "usable", "available", "of usable"], res, over),
        plots.resources(net), "<h2>Compression versus fp32</h2>", table(["", "value"], comp_rows),
        "<h2>Layers</h2>", table(LAYER_COLUMNS, [[l[c] for c in LAYER_COLUMNS] for l in layers]),
        synth_table(rep.get("synth")), timing_table(rep.get("timing")), engines_table(rep),
        "<h2>PE utilisation</h2>", plots.utilisation(layers),
        "<h2>Cycles against lower bound and dense baseline</h2>", plots.cycles(layers),
        "<h2>PE loads</h2>", plots.load_heatmap(layers)])
    return page(f"tritium report: {rep['model']}", body)
