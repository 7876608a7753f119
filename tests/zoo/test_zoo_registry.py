"""The zoo registry and `load_model` specs."""
from __future__ import annotations

import pytest

from tritium.errors import ModelError, OptionError
from tritium.frontend import load_model
from tritium.ir.types import WeightKind
from tritium.zoo import ZOO, known, load_zoo, parse_spec
from tritium.zoo.generated import resnet8


def test_parse_spec():
    assert parse_spec("zoo:resnet18:density=0.25,seed=1") == ("resnet18", {"density": 0.25, "seed": 1})
    assert parse_spec("zoo:vgg16") == ("vgg16", {})
    with pytest.raises(OptionError, match="key=value"):
        parse_spec("zoo:resnet8:density")


def test_known_models():
    assert {"mlp-digits", "cnn-digits", "resnet8", "resnet18", "vgg16"} <= set(known())


def test_load_generated_with_options():
    assert load_model("zoo:resnet8:density=0.5,seed=3") == resnet8(density=0.5, seed=3)
    assert load_model("zoo:resnet8:density=1") == resnet8(density=1.0)


def test_unknown_name_lists_known_models():
    with pytest.raises(ModelError) as e:
        load_model("zoo:resnet9")
    msg = str(e.value)
    assert "unknown zoo model 'resnet9'" in msg and "did you mean 'resnet8'" in msg
    assert all(name in msg for name in known()) and "\n" not in msg


@pytest.mark.parametrize("spec,match", [
    ("zoo:resnet8:dens=0.1", "has no option 'dens'; options: density=0.25"),
    ("zoo:resnet8:seed=1.5", "must be an integer"),
    ("zoo:resnet8:density=high", "must be a number"),
    ("zoo:resnet8:density=2", "density must be in"),
])
def test_bad_options(spec, match):
    with pytest.raises(OptionError, match=match):
        load_model(spec)


def test_input_shape_must_match():
    assert load_zoo("zoo:resnet8", input_shape=(3, 32, 32)).input.shape == (32, 32, 3)
    with pytest.raises(OptionError, match="takes input shape 3,32,32"):
        load_model("zoo:resnet8", input_shape=(3, 64, 64))


def test_ternarize_option_applies():
    g = load_model("zoo:resnet8", ternarize="int8")
    assert all(n.attrs.weights.kind in (WeightKind.INT, WeightKind.TERNARY) for n in g.macs())


@pytest.mark.parametrize("name", ["mlp-digits", "cnn-digits"])
def test_trained_model_missing_file_and_options(name, tmp_path, monkeypatch):
    import tritium.zoo as zoo
    monkeypatch.setattr(zoo, "WEIGHTS_DIR", tmp_path)
    with pytest.raises(ModelError, match="regenerate_weights"):
        load_model(f"zoo:{name}")
    with pytest.raises(OptionError, match="takes no options"):
        load_model(f"zoo:{name}:seed=1")


@pytest.mark.parametrize("name", ["mlp-digits", "cnn-digits"])
def test_shipped_digits_files_import(name):
    import tritium.zoo as zoo
    if not zoo.weights_path(name).is_file():
        pytest.skip(f"{zoo.weights_path(name)} not generated yet")
    g = load_model(f"zoo:{name}")
    assert g.name == name and g.output_node.shape == (10,)
    assert any(n.attrs.weights.kind is WeightKind.TERNARY for n in g.macs())
    assert ZOO[name].input_chw[-1] == (g.input.shape[1] if len(g.input.shape) == 3 else g.input.shape[0])
