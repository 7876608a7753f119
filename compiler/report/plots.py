"""The report's plots as inline SVG (matplotlib, Agg; deterministic bytes).

- per-layer PE utilisation,
- cycles against the lower bound and the dense baseline (log scale),
- PE load heatmap (layers x PEs, load / that layer's max load),
- resources against the board (used / usable, per resource).
"""
from __future__ import annotations

import io

import numpy as np


def _plt():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    plt.rcParams.update({"svg.hashsalt": "tritium", "svg.fonttype": "none", "font.size": 8})
    return plt


def _svg(fig) -> str:
    buf = io.StringIO()
    fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None}, bbox_inches="tight")
    _plt().close(fig)
    text = buf.getvalue()
    return text[text.index("<svg"):]


def _names(layers) -> list[str]:
    return [l["name"] for l in layers]


def utilisation(layers) -> str:
    plt = _plt()
    fig, ax = plt.subplots(figsize=(max(4, 0.35 * len(layers)), 2.6))
    ax.bar(range(len(layers)), [l["utilisation"] for l in layers], color="#3b7dd8")
    ax.set_xticks(range(len(layers)), _names(layers), rotation=70, ha="right")
    ax.set_ylim(0, 1.05)
    ax.set_ylabel("PE utilisation")
    return _svg(fig)


def cycles(layers) -> str:
    plt = _plt()
    x = np.arange(len(layers))
    fig, ax = plt.subplots(figsize=(max(4, 0.45 * len(layers)), 2.8))
    for k, (key, color) in enumerate([("cycles", "#3b7dd8"), ("lower_bound", "#5cb85c"),
                                      ("dense_cycles", "#aaaaaa")]):
        ax.bar(x + (k - 1) * 0.27, [l[key] for l in layers], 0.27, label=key, color=color)
    ax.set_yscale("log")
    ax.set_xticks(x, _names(layers), rotation=70, ha="right")
    ax.set_ylabel("cycles per frame")
    ax.legend(fontsize=7)
    return _svg(fig)


def load_heatmap(layers) -> str:
    plt = _plt()
    width = max(l["P"] for l in layers)
    grid = np.full((len(layers), width), np.nan)
    for i, l in enumerate(layers):
        loads = np.asarray(l["pe_loads"], dtype=float)
        grid[i, :len(loads)] = loads / max(loads.max(), 1)
    fig, ax = plt.subplots(figsize=(min(12, 3 + 0.08 * width), 0.9 + 0.22 * len(layers)))
    im = ax.imshow(grid, aspect="auto", vmin=0, vmax=1, cmap="viridis", interpolation="nearest")
    ax.set_yticks(range(len(layers)), _names(layers))
    ax.set_xlabel("PE")
    fig.colorbar(im, ax=ax, label="load / max load")
    return _svg(fig)


def resources(network) -> str:
    plt = _plt()
    keys = ["lut", "ff", "bram18", "uram", "dsp"]
    used = [network.get(k, 0) / max(network["usable"].get(k, 0), 1) for k in keys]
    fig, ax = plt.subplots(figsize=(4, 2.2))
    ax.barh(keys, used, color=["#d9534f" if u > 1 else "#3b7dd8" for u in used])
    ax.axvline(1.0, color="black", lw=0.8)
    ax.set_xlabel(f"used / usable on {network['board']}")
    return _svg(fig)
