"""The built-in model zoo: `zoo:NAME[:key=value,...]`.

- `mlp-digits`, `cnn-digits`: trained on 8x8 digits (`tritium.zoo.digits`,
  needs torch) and shipped as QONNX files in `compiler/zoo/weights/`, so
  loading them needs neither torch nor training.
- `resnet8`, `resnet18`, `vgg16`: generated from a seed with a requested
  PE-group density (`tritium.zoo.generated`), e.g.
  `zoo:resnet18:density=0.25,seed=1,simd=16`.
- `probe-a`, `probe-b`: small generated nets (residual add and stride 2; 5x5
  kernels) that `bench/synth_vs_estimate.py` synthesizes against the estimate.
"""
from __future__ import annotations

import difflib
import inspect
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from ..errors import ModelError, OptionError
from ..ir.graph import Graph
from .generated import probe_a, probe_b, resnet8, resnet18, vgg16

PREFIX = "zoo:"
WEIGHTS_DIR = Path(__file__).parent / "weights"


@dataclass(frozen=True)
class ZooModel:
    name: str
    summary: str
    input_chw: tuple[int, ...]
    build: Callable[..., Graph] | None = None   # None: a trained model shipped as weights/NAME.onnx

    def options(self) -> dict[str, object]:
        if self.build is None:
            return {}
        return {k: p.default for k, p in inspect.signature(self.build).parameters.items()}


ZOO: dict[str, ZooModel] = {m.name: m for m in (
    ZooModel("mlp-digits", "MLP 64-64-64-10 on 8x8 digits (trained)", (64,)),
    ZooModel("cnn-digits", "3-conv CNN on 8x8 digits (trained)", (1, 8, 8)),
    ZooModel("cnn-digits-32x", "cnn-digits compressed 32x PE-wise (WPC, S=16; `tritium compress`)",
             (1, 8, 8)),
    ZooModel("resnet8", "CIFAR ResNet-8, 32x32x3, generated weights", (3, 32, 32), resnet8),
    ZooModel("resnet18", "ImageNet ResNet-18, 224x224x3, generated weights", (3, 224, 224), resnet18),
    ZooModel("vgg16", "ImageNet VGG-16, 224x224x3, generated weights", (3, 224, 224), vgg16),
    ZooModel("probe-a", "16x16x3 net with a stride-2 residual block, generated weights",
             (3, 16, 16), probe_a),
    ZooModel("probe-b", "16x16x3 net with 5x5 convs (one at stride 2), generated weights",
             (3, 16, 16), probe_b),
)}


def known() -> list[str]:
    return sorted(ZOO)


def parse_spec(spec: str) -> tuple[str, dict[str, object]]:
    """'zoo:resnet18:density=0.25,seed=1' -> ('resnet18', {'density': 0.25, 'seed': 1})."""
    body = spec[len(PREFIX):] if spec.startswith(PREFIX) else spec
    name, _, text = body.partition(":")
    opts: dict[str, object] = {}
    for item in filter(None, (t.strip() for t in text.split(","))):
        key, eq, value = item.partition("=")
        if not eq or not key.strip():
            raise OptionError(f"zoo option '{item}' in '{spec}' is not key=value "
                              "(e.g. zoo:resnet18:density=0.25,seed=1)")
        opts[key.strip()] = _value(value.strip())
    return name.strip(), opts


def _value(text: str) -> object:
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


def lookup(name: str) -> ZooModel:
    if name not in ZOO:
        close = difflib.get_close_matches(name, known(), n=1)
        hint = f"did you mean '{close[0]}'? " if close else ""
        raise ModelError(f"unknown zoo model '{name}'; {hint}known models: {', '.join(known())}")
    return ZOO[name]


def load_zoo(spec: str, input_shape=None, ternarize: str | None = None) -> Graph:
    """Build or load the zoo model named by `spec` (FLOAT stage)."""
    name, opts = parse_spec(spec)
    model = lookup(name)
    if input_shape is not None and tuple(input_shape) != model.input_chw:
        raise OptionError(f"zoo:{name} takes input shape {','.join(map(str, model.input_chw))}; "
                          f"drop --input-shape {','.join(map(str, input_shape))}")
    g = _trained(model, opts) if model.build is None else model.build(**_checked(model, opts))
    if ternarize:
        from ..passes.quantize_weights import quantize_weights
        g = quantize_weights(g, ternarize)
    return g


def _checked(model: ZooModel, opts: dict[str, object]) -> dict[str, object]:
    allowed = model.options()
    out = {}
    for key, value in opts.items():
        if key not in allowed:
            raise OptionError(f"zoo:{model.name} has no option '{key}'; options: "
                              f"{', '.join(f'{k}={v}' for k, v in allowed.items())}")
        default = allowed[key]
        if isinstance(default, int) and not (isinstance(value, int) and not isinstance(value, bool)):
            raise OptionError(f"zoo:{model.name} option {key} must be an integer, got '{value}'")
        if isinstance(default, float):
            if not isinstance(value, (int, float)):
                raise OptionError(f"zoo:{model.name} option {key} must be a number, got '{value}'")
            value = float(value)
        out[key] = value
    return out


# Shipped compressed models and the command that made them (its .compress.json sits beside).
COMPRESSED = {
    "cnn-digits-32x": "tritium compress zoo:cnn-digits --dataset digits --board pynq-z2 --method wpc "
                      "--target-compression 32 -o compiler/zoo/weights/cnn-digits-32x.onnx",
}


def weights_path(name: str) -> Path:
    return WEIGHTS_DIR / f"{name}.onnx"


def _trained(model: ZooModel, opts: dict[str, object]) -> Graph:
    from ..frontend.onnx_import import import_onnx
    if opts:
        raise OptionError(f"zoo:{model.name} is a trained model and takes no options "
                          f"(got {', '.join(opts)})")
    path = weights_path(model.name)
    if not path.is_file():
        how = COMPRESSED.get(model.name) or (
            f"python -c \"from tritium.zoo import regenerate_weights; regenerate_weights(['{model.name}'])\"")
        raise ModelError(f"zoo:{model.name} has no weights file {path}; regenerate it "
                         f"(needs the train extra) with {how}")
    return import_onnx(path, name=model.name)


def regenerate_weights(names=("mlp-digits", "cnn-digits"), seed: int = 0) -> list[Path]:
    """Train the digits models and write them as QONNX into `weights/` (needs torch)."""
    from ..frontend.qonnx_export import write_qonnx
    from .digits import train_digits_model
    paths = []
    for name in names:
        lookup(name)
        _, graph = train_digits_model(name, seed=seed)
        paths.append(write_qonnx(graph, weights_path(name)))
    return paths


__all__ = ["ZOO", "ZooModel", "known", "load_zoo", "lookup", "parse_spec", "regenerate_weights",
           "weights_path"]
