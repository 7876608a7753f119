"""Tritium: an FPGA co-design compiler for pruned, ternarized neural networks.

The Python API (docs/api.md):

    import tritium
    model = tritium.load("zoo:cnn-digits")
    design = tritium.compile(model, board="pynq-z2", backend="all", outdir="out/d")
    design.simulate("csim", dataset="digits").accuracy

`import tritium` loads nothing but this file: the API (`tritium.api`) is
imported on first use of one of its names, and torch, the simulators and
the synthesis tools only by the functions that need them.
"""
__version__ = "0.1.0"

# name -> module that defines it; resolved on first access (PEP 562).
_API = {name: "api" for name in (
    "load", "compile", "compress", "simulate", "compare", "open_design", "run",
    "Model", "Design", "SimResult", "Comparison", "RunResult")}
_API["Report"] = "report.typed"

__all__ = sorted(_API) + ["errors", "__version__"]


def __getattr__(name: str):
    import importlib
    if name in _API:
        value = getattr(importlib.import_module(f".{_API[name]}", __name__), name)
        globals()[name] = value
        return value
    if name == "errors":
        return importlib.import_module(".errors", __name__)
    raise AttributeError(f"module 'tritium' has no attribute '{name}'")


def __dir__():
    return sorted(set(globals()) | set(__all__))
