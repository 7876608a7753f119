"""The terminal summary of a compile (rich)."""
from __future__ import annotations

from rich.console import Console
from rich.table import Table


def summary_table(rep: dict) -> Table:
    net = rep["network"]
    t = Table(title=f"{rep['model']} on {net['board']} @ {net['clock_mhz']:g} MHz "
                    f"({net['granularity']}, {net['mode']})")
    for col in ("layer", "axis", "P", "S", "density", "cycles", "x LB", "dense/sparse", "util",
                "mem", "LUT", "BRAM18", "URAM", "DSP"):
        t.add_column(col, justify="left" if col in ("layer", "axis") else "right")
    for l in rep["layers"]:
        style = "bold red" if l["name"] == net["bottleneck_layer"] else None
        t.add_row(l["name"], l["lane_axis"], str(l["P"]), str(l["S"]), f"{l['density']:.2f}",
                  f"{l['cycles']:,}", f"{l['cycles'] / max(l['lower_bound'], 1):.3f}",
                  f"{l['dense_cycles'] / max(l['cycles'], 1):.2f}", f"{l['utilisation']:.3f}",
                  l.get("weight_memory", "bram"), f"{l['lut']:,}", f"{l['bram18']:,}",
                  f"{l.get('uram', 0):,}", f"{l['dsp']:,}", style=style)
    use = net["usable"]
    t.caption = (f"{net['fps']:,.1f} fps, latency {net['latency_ms']:.3f} ms, bottleneck "
                 f"{net['bottleneck_layer']}; LUT {net['lut']:,}/{use['lut']:,}  FF {net['ff']:,}/"
                 f"{use['ff']:,}  BRAM18 {net['bram18']:,}/{use['bram18']:,}  URAM {net.get('uram', 0):,}/"
                 f"{use.get('uram', 0):,}  DSP {net['dsp']:,}/{use['dsp']:,} (usable)")
    if net.get("dram_layers"):
        t.caption += (f"; weights streamed from DRAM ({net['dram_gbps']:g} GB/s peak): "
                      f"{', '.join(net['dram_layers'])}")
    return t


def print_summary(rep: dict, console: Console | None = None) -> None:
    (console or Console()).print(summary_table(rep))
