"""Every user mistake: one line on stderr naming the problem and the fix,
exit status 2, no traceback, nothing written."""
import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from tritium.cli import main


def _gemm_model(path, w, annotate=None, dynamic=False):
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", w.shape[1]] if dynamic
                                      else [1, w.shape[1]])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, w.shape[0]])
    node = helper.make_node("Gemm", ["x", "w"], ["y"], name="fc", transB=1)
    g = helper.make_graph([node], "g", [x], [y], [numpy_helper.from_array(w.astype(np.float32), "w")])
    if annotate:
        a = g.quantization_annotation.add()
        a.tensor_name = "w"
        kv = a.quant_parameter_tensor_names.add()
        kv.key, kv.value = "finn_datatype", annotate
    onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)]), path)
    return str(path)


def _conv_dynamic(path):
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 1, "H", "W"])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, None)
    w = numpy_helper.from_array(np.ones((2, 1, 3, 3), np.float32), "w")
    g = helper.make_graph([helper.make_node("Conv", ["x", "w"], ["y"], name="c")], "g", [x], [y], [w])
    onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)]), path)
    return str(path)


def _sigmoid(path):
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4])
    g = helper.make_graph([helper.make_node("Sigmoid", ["x"], ["y"], name="act7")], "g", [x], [y])
    onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)]), path)
    return str(path)


def _truncated(path):
    good = _gemm_model(path, np.ones((3, 4)))
    data = open(good, "rb").read()
    open(good, "wb").write(data[: len(data) // 2])
    return good


def _nonsense(path):
    path.write_text("this is not an onnx model\n")
    return str(path)


def _nan(path):
    w = np.ones((3, 4))
    w[1, 1] = np.nan
    return _gemm_model(path, w)


CASES = {
    "truncated": (_truncated, r"ONNX|truncated"),
    "not onnx": (_nonsense, r"re-export"),
    "unsupported op": (_sigmoid, r"Sigmoid.*act7.*supported"),
    "dynamic shape": (_conv_dynamic, r"--input-shape C,H,W"),
    "declared ternary": (lambda p: _gemm_model(p, np.full((3, 4), 0.5), annotate="TERNARY"),
                         r"ternary"),
    "nan weights": (_nan, r"NaN or infinite"),
}


@pytest.mark.parametrize("case", sorted(CASES))
@pytest.mark.parametrize("command", [["inspect"], ["simulate", "--level", "golden"],
                                     ["compile", "--board", "pynq-z2", "-o", "OUT"]])
def test_bad_model_one_line_exit_2(case, command, tmp_path, capsys):
    make, pattern = CASES[case]
    model = make(tmp_path / "m.onnx")
    argv = [command[0], model] + [str(tmp_path / a) if a == "OUT" else a for a in command[1:]]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err, err
    import re
    assert re.search(pattern, err), err
    assert not (tmp_path / "OUT").exists()


@pytest.mark.parametrize("argv,pattern", [
    (["inspect", "zoo:resnet9"], r"unknown zoo model.*resnet8"),
    (["inspect", "zoo:resnet18:density=2"], r"density"),
    (["simulate", "zoo:cnn-digits", "--dataset", "mnist"], r"unknown dataset 'mnist'"),
    (["simulate", "zoo:cnn-digits", "--dataset", "digits", "--limit", "0"], r"--limit"),
    (["compile", "zoo:cnn-digits", "--board", "zcu1O2", "-o", "OUT"], r"zcu102"),
    (["simulate", "zoo:cnn-digits", "--level", "csim"], r"compiled design"),
    (["simulate", "zoo:cnn-digits", "--hls-include", "OUT"], r"--hls-include applies to --level csim only"),
    (["inspect", "zoo:cnn-digits", "--simd", "0"], r"--simd"),
])
def test_bad_options_one_line_exit_2(argv, pattern, tmp_path, capsys):
    argv = [str(tmp_path / a) if a == "OUT" else a for a in argv]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err, err
    import re
    assert re.search(pattern, err, re.IGNORECASE), err
    assert not (tmp_path / "OUT").exists()


def test_save_outputs_into_missing_directory(tmp_path, capsys):
    assert main(["simulate", "zoo:mlp-digits", "--limit", "4",
                 "--save-outputs", str(tmp_path / "no" / "o.npy")]) == 2
    assert "does not exist" in capsys.readouterr().err


@pytest.fixture(scope="module")
def hls_outdir(tmp_path_factory):
    out = tmp_path_factory.mktemp("design") / "mlp"
    assert main(["compile", "zoo:mlp-digits", "--board", "pynq-z2", "--backend", "hls", "-o", str(out),
                 "--quiet"]) == 0
    return out


@pytest.mark.parametrize("folder,pattern", [
    ("missing", r"--hls-include '.*missing' is not a folder; point --hls-include at a folder holding "
                r"AMD's ap_int\.h and hls_stream\.h"),
    ("empty", r"--hls-include '.*empty' has no ap_int\.h or hls_stream\.h; point --hls-include at"),
    ("file", r"--hls-include '.*file' is not a folder"),
])
def test_bad_hls_include_one_line_exit_2(folder, pattern, hls_outdir, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("TRITIUM_CACHE", str(tmp_path / "cache"))
    (tmp_path / "empty").mkdir()
    (tmp_path / "file").write_text("ap_int.h\n")
    assert main(["simulate", str(hls_outdir), "--level", "csim", "--hls-include", str(tmp_path / folder)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err, err
    import re
    assert re.search(pattern, err), err
    assert not (tmp_path / "cache").exists()                       # refused before any build


def test_non_finite_data_is_one_line_at_every_level_and_in_compress(tmp_path, capsys):
    """Issue 16: a NaN reached the input quantizer's cast and ended in an accumulator
    overflow traceback. Every path that takes data names the file, the array and the
    first bad index."""
    x = np.tile(np.arange(64, dtype=np.float32) % 17, (8, 1)).reshape(8, 1, 8, 8)
    x[3, 0, 2, 5] = np.nan
    x[5, 0, 0, 0] = np.inf
    bad = tmp_path / "bad.npz"
    np.savez(bad, x=x, y=np.arange(8) % 10)
    out = tmp_path / "d"
    assert main(["compile", "zoo:mlp-digits", "--board", "pynq-z2", "--backend", "all", "-o", str(out),
                 "--quiet"]) == 0
    capsys.readouterr()
    runs = [["simulate", str(out), "--level", level, "--dataset", str(bad)]
            for level in ("golden", "csim", "rtl")]
    runs += [["compile", "zoo:mlp-digits", "--board", "pynq-z2", "-o", str(tmp_path / "c"),
              "--calibrate", str(bad)],
             ["compress", "zoo:mlp-digits", "--dataset", str(bad), "--board", "pynq-z2",
              "-o", str(tmp_path / "s.onnx")]]
    for argv in runs:
        assert main(argv) == 2, argv
        err = capsys.readouterr().err.strip()
        assert len(err.splitlines()) == 1 and "Traceback" not in err, err
        assert f"'{bad}': array x holds NaN at index (3, 0, 2, 5) (2 non-finite values" in err, err
    assert not (tmp_path / "c").exists() and not (tmp_path / "s.onnx").exists()
