"""`tritium compress`: bad inputs fail cleanly (exit 2, one line), before any training."""
import pytest

from tritium.cli import main


def _run(capsys, *argv):
    code = main(["compress", *argv])
    return code, capsys.readouterr().err


def test_bad_dataset_name(tmp_path, capsys):
    code, err = _run(capsys, "zoo:cnn-digits", "--dataset", "mnist", "--group-size", "16",
                     "-o", str(tmp_path / "m.onnx"))
    assert code == 2 and "unknown dataset 'mnist'" in err and "digits" in err
    assert not list(tmp_path.iterdir())


def test_board_without_group_size(tmp_path, capsys):
    board = tmp_path / "noS.yaml"
    board.write_text("name: x\npart: p\nfamily: xc7\nvendor: v\nlut: 1\nff: 1\ndsp: 1\nbram18: 1\n"
                     "uram: 0\nclock_mhz: 100\nusable_fraction: 0.8\nsource: s\n")
    code, err = _run(capsys, "zoo:cnn-digits", "--board", str(board), "-o", str(tmp_path / "m.onnx"))
    assert code == 2 and "simd" in err


def test_no_board_and_no_group_size(tmp_path, capsys):
    code, err = _run(capsys, "zoo:cnn-digits", "-o", str(tmp_path / "m.onnx"))
    assert code == 2 and "--group-size" in err


def test_unreachable_target_names_the_best(tmp_path, capsys):
    code, err = _run(capsys, "zoo:cnn-digits", "--group-size", "16", "--target-compression", "1000",
                     "-o", str(tmp_path / "m.onnx"))
    assert code == 2 and "cannot be reached" in err and "320.0x" in err
    assert not list(tmp_path.iterdir())


def test_model_input_does_not_match_dataset(tmp_path, capsys):
    code, err = _run(capsys, "zoo:resnet18", "--group-size", "16", "-o", str(tmp_path / "m.onnx"))
    assert code == 2 and "(1, 8, 8)" in err and "(3, 224, 224)" in err
    assert not list(tmp_path.iterdir())


@pytest.mark.slow
def test_compress_cnn_digits_reaches_32x(tmp_path, capsys):
    import json
    out = tmp_path / "c.onnx"
    assert main(["compress", "zoo:cnn-digits", "--board", "zcu104", "--target-compression", "32",
                 "-o", str(out)]) == 0
    rep = json.loads((tmp_path / "c.compress.json").read_text())
    assert rep["pe_compression_rate"] >= 32
    assert rep["float_accuracy"] - rep["compressed_accuracy"] <= 0.0174
    assert abs(rep["golden_accuracy"] - rep["compressed_accuracy"]) <= 0.005
    assert (tmp_path / "c.png").is_file()
