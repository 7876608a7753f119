"""Several report.json side by side, differences highlighted (`tritium compare`).

Rows are network metrics (estimated), the synthesized totals where a report
has been through `tritium synth`, then per-layer cycles / P / utilisation for the
layers the reports share by name; a cell that differs from the first report's
value is highlighted (yellow in HTML, bold yellow in the terminal).
"""
from __future__ import annotations

from rich.table import Table

from .html import page, table

NETWORK_ROWS = ["model", "board", "clock_mhz", "granularity", "mode", "fps", "latency_cycles",
                "bottleneck_layer", "lut", "ff", "bram18", "uram", "dsp", "sparse_speedup"]
LAYER_ROWS = ["P", "S", "cycles", "utilisation", "weight_memory", "lut", "bram18", "uram"]
SYNTH_ROWS = ["lut", "ff", "carry", "dsp", "bram18"]   # after `tritium synth` (estimated: above)
TIMING_ROWS = ["fmax_mhz", "target_mhz", "fps_at_fmax"]   # after `tritium build`


def comparison(reports: list[dict]) -> list[tuple[str, list]]:
    """(row label, one value per report) for every compared quantity."""
    rows = []
    for key in NETWORK_ROWS:
        rows.append((key, [r["model"] if key == "model" else r["network"].get(key) for r in reports]))
    rows.append(("macs_as_additions", [r["compression"]["macs_as_additions"] for r in reports]))
    if any("synth" in r for r in reports):
        for key in SYNTH_ROWS:
            rows.append((f"synth.{key}", [r["synth"]["total"].get(key) if "synth" in r else None
                                          for r in reports]))
        rows.append(("synth.family", [r["synth"]["family"] if "synth" in r else None
                                      for r in reports]))
    if any("timing" in r for r in reports):
        for key in TIMING_ROWS:
            rows.append((f"timing.{key}", [r["timing"].get(key) if "timing" in r else None
                                           for r in reports]))
    by_name = [{l["name"]: l for l in r["layers"]} for r in reports]
    shared = [l["name"] for l in reports[0]["layers"] if all(l["name"] in b for b in by_name)]
    for name in shared:
        for key in LAYER_ROWS:
            rows.append((f"{name}.{key}", [b[name].get(key) for b in by_name]))
    return rows


def differs(values: list) -> list[bool]:
    return [i > 0 and v != values[0] for i, v in enumerate(values)]


def compare_table(reports: list[dict], labels: list[str]) -> Table:
    t = Table(title="tritium compare")
    t.add_column("metric")
    for lab in labels:
        t.add_column(lab, justify="right")
    for label, values in comparison(reports):
        cells = [_text(v) if not d else f"[bold yellow]{_text(v)}[/]"
                 for v, d in zip(values, differs(values))]
        t.add_row(label, *cells)
    return t


def compare_html(reports: list[dict], labels: list[str]) -> str:
    rows = comparison(reports)
    classes = [[""] + ["diff" if d else "" for d in differs(v)] for _, v in rows]
    return page("tritium compare", "<h1>tritium compare</h1>" + table(
        ["metric", *labels], [[k, *[_cell(x) for x in v]] for k, v in rows], classes))


def _cell(v):
    return "-" if v is None else v


def _text(v) -> str:
    if isinstance(v, float):
        return f"{v:,.3f}"
    if isinstance(v, int):
        return f"{v:,}"
    return "-" if v is None else str(v)
