"""The terminal summary of a compile.

On a terminal, a rich table as wide as the window. Anywhere else (a pipe, a
file, CI logs) rich would squeeze the same table into 80 columns and cut
every cell to "co…", so the summary is plain text instead: one line per
layer, columns padded to their widest cell, nothing truncated, and no
colour codes.
"""
from __future__ import annotations

from rich.console import Console
from rich.table import Table


COLUMNS = ("layer", "axis", "P", "S", "density", "cycles", "x LB", "dense/sparse", "util",
           "mem", "LUT", "BRAM18", "URAM", "DSP")
LEFT = ("layer", "axis", "mem")


def _title(rep: dict) -> str:
    net = rep["network"]
    return (f"{rep['model']} on {net['board']} @ {net['clock_mhz']:g} MHz "
            f"({net['granularity']}, {net['mode']})")


def _cells(l: dict) -> list[str]:
    return [l["name"], l["lane_axis"], str(l["P"]), str(l["S"]), f"{l['density']:.2f}",
            f"{l['cycles']:,}", f"{l['cycles'] / max(l['lower_bound'], 1):.3f}",
            f"{l['dense_cycles'] / max(l['cycles'], 1):.2f}", f"{l['utilisation']:.3f}",
            l.get("weight_memory", "bram"), f"{l['lut']:,}", f"{l['bram18']:,}",
            f"{l.get('uram', 0):,}", f"{l['dsp']:,}"]


def summary_table(rep: dict) -> Table:
    net = rep["network"]
    t = Table(title=_title(rep))
    for col in COLUMNS:
        t.add_column(col, justify="left" if col in LEFT else "right")
    for l in rep["layers"]:
        style = "bold red" if l["name"] == net["bottleneck_layer"] else None
        t.add_row(*_cells(l), style=style)
    t.caption = _caption(rep)
    return t


def summary_lines(rep: dict) -> list[str]:
    """The summary as plain text lines that fit no window: one line per layer,
    the bottleneck marked with '*'."""
    net = rep["network"]
    rows = [list(COLUMNS)] + [_cells(l) for l in rep["layers"]]
    marks = [" "] + ["*" if l["name"] == net["bottleneck_layer"] else " " for l in rep["layers"]]
    widths = [max(len(r[i]) for r in rows) for i in range(len(COLUMNS))]
    lines = [_title(rep)]
    for mark, row in zip(marks, rows):
        cells = [c.ljust(w) if col in LEFT else c.rjust(w) for c, w, col in zip(row, widths, COLUMNS)]
        lines.append((mark + " " + "  ".join(cells)).rstrip())
    return lines + ["* bottleneck; " + _caption(rep)]


def _caption(rep: dict) -> str:
    net = rep["network"]
    use = net["usable"]
    caption = (f"{net['fps']:,.1f} fps, latency {net['latency_ms']:.3f} ms, bottleneck "
               f"{net['bottleneck_layer']}; LUT {net['lut']:,}/{use['lut']:,}  FF {net['ff']:,}/"
               f"{use['ff']:,}  BRAM18 {net['bram18']:,}/{use['bram18']:,}  URAM {net.get('uram', 0):,}/"
               f"{use.get('uram', 0):,}  DSP {net['dsp']:,}/{use['dsp']:,} (usable)")
    if net.get("dram_layers"):
        caption += (f"; weights streamed from DRAM ({net['dram_gbps']:g} GB/s peak): "
                    f"{', '.join(net['dram_layers'])}")
    return caption


def print_summary(rep: dict, console: Console | None = None) -> None:
    """The rich table on a terminal, `summary_lines` anywhere else."""
    console = console or Console()
    if console.is_terminal:
        console.print(summary_table(rep))
    else:
        console.file.write("\n".join(summary_lines(rep)) + "\n")
