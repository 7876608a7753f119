"""Model import: ONNX/QONNX files and the built-in zoo (PyTorch: `frontend.torch_import`).

`load_model(spec)` is the one entry point of the CLI: `spec` is an `.onnx`
path or `zoo:NAME[:key=value,...]`; the result is a FLOAT-stage graph.
"""
from __future__ import annotations

from pathlib import Path

from ..errors import ModelError
from ..ir.graph import Graph
from .onnx_import import import_onnx
from .qonnx_export import write_qonnx


# The prepared float model a compile saves in OUTDIR; simulate reloads it.
COMPILED_MODEL = "model.onnx"


def load_model(spec: str, input_shape=None, ternarize: str | None = None) -> Graph:
    """Import MODEL: an .onnx path, zoo:NAME[:key=value,...], or a compile OUTDIR."""
    from .. import zoo
    spec = str(spec)
    if spec.startswith(zoo.PREFIX):
        return zoo.load_zoo(spec, input_shape=input_shape, ternarize=ternarize)
    if Path(spec).is_dir():  # a `tritium compile` output: the model it saved
        saved = Path(spec) / COMPILED_MODEL
        if not saved.is_file() and (Path(spec) / "compile.json").is_file():
            raise ModelError(f"'{spec}' was compiled without --backend, so it holds no model; "
                             "simulate the original MODEL, or compile again with --backend")
        if not saved.is_file():
            raise ModelError(f"'{spec}' is a directory but not a `tritium compile` output "
                             f"(no {COMPILED_MODEL}); pass an .onnx file, zoo:NAME, or a compile OUTDIR")
        return import_onnx(saved, input_shape=input_shape, ternarize=ternarize)
    if not Path(spec).exists():
        hint = "" if spec.endswith(".onnx") else (
            f"; use zoo:{spec} for a zoo model" if spec in zoo.ZOO else
            f"; MODEL is an .onnx file or zoo:NAME ({', '.join(zoo.known())})")
        raise ModelError(f"model file '{spec}' not found{hint}")
    return import_onnx(spec, input_shape=input_shape, ternarize=ternarize)


__all__ = ["COMPILED_MODEL", "import_onnx", "load_model", "write_qonnx"]
