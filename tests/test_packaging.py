"""The package installs as `tritium` and nothing else.

The card's folders (`compiler/`, `sim/`, `hls_templates/`, `boards/`) are
mapped onto one import name in pyproject.toml; `compiler` and `sim` are
generic names that collide with other distributions, so they must never be
imported by their folder names, and a real (non-editable) install must carry
the data folders inside the package.
"""
from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
OLD_NAMES = {"compiler", "sim"}
SCANNED = ("compiler", "sim", "tests", "bench", "hls_templates", "docs")


def _python_files():
    for top in SCANNED:
        yield from (p for p in (ROOT / top).rglob("*.py") if "__pycache__" not in p.parts)


def old_imports(source: str) -> list[str]:
    """Absolute imports of a top-level `compiler` or `sim` module in `source`."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        else:
            continue
        found += [f"line {node.lineno}: {n}" for n in names if n.split(".")[0] in OLD_NAMES]
    return found


def test_old_import_names_are_detected():
    src = "import os\nfrom compiler.ir import graph\nimport sim.rtl\nfrom .sim import x\nimport simple\n"
    assert old_imports(src) == ["line 2: compiler.ir", "line 3: sim.rtl"]


def test_nothing_imports_the_folder_names():
    bad = {str(p.relative_to(ROOT)): old_imports(p.read_text()) for p in _python_files()}
    bad = {k: v for k, v in bad.items() if v}
    assert not bad, f"import tritium / tritium.sim instead of the folder names: {bad}"


def test_python_m_and_entry_points_use_the_package_name():
    texts = {p: p.read_text() for p in [ROOT / "pyproject.toml", ROOT / "Makefile", ROOT / "README.md",
                                        *(ROOT / "docs").glob("*.md"), *_python_files()]}
    patterns = [f"-m {n}." for n in OLD_NAMES] + [f'"{n}.' for n in OLD_NAMES - {"sim"}]
    bad = [str(p.relative_to(ROOT)) for p, t in texts.items() if any(s in t for s in patterns)]
    assert not bad, bad


def test_package_list_covers_every_source_folder():
    tomllib = pytest.importorskip("tomllib")
    cfg = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    mapping = cfg["package-dir"]
    assert mapping == {"tritium": "compiler", "tritium.sim": "sim",
                       "tritium.hls_templates": "hls_templates", "tritium.boards": "boards"}
    expected = {"tritium.hls_templates", "tritium.boards"}
    for name, folder in (("tritium", "compiler"), ("tritium.sim", "sim")):
        for init in (ROOT / folder).rglob("__init__.py"):
            rel = init.parent.relative_to(ROOT / folder).parts
            expected.add(".".join((name, *rel)))
    assert set(cfg["packages"]) == expected


def _copy_source(dst: Path) -> Path:
    """The checkout without build products, so the wheel is built from sources only."""
    skip = shutil.ignore_patterns(".git", ".venv", "build", "out", "*.egg-info", "__pycache__",
                                  ".pytest_cache", ".hypothesis", "sim_build")
    return Path(shutil.copytree(ROOT, dst, ignore=skip))


def test_wheel_installs_tritium_only(tmp_path):
    """`pip install .` outside the checkout: `import tritium` works with its data
    (templates, boards, zoo weights, testbench, the ap_axi_sdata.h model),
    `import compiler` / `import sim` fail."""
    src = _copy_source(tmp_path / "src")
    wheels, target, elsewhere = tmp_path / "wheels", tmp_path / "site", tmp_path / "elsewhere"
    elsewhere.mkdir()
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q"]
    subprocess.run(pip + ["wheel", "--no-deps", "--no-build-isolation", "-w", str(wheels), str(src)],
                   check=True, capture_output=True, cwd=elsewhere)
    wheel, = wheels.glob("tritium-*.whl")
    subprocess.run(pip + ["install", "--no-deps", "--target", str(target), str(wheel)],
                   check=True, capture_output=True, cwd=elsewhere)
    top = sorted(p.name for p in target.iterdir() if p.name != "bin")
    assert [n for n in top if not n.endswith(".dist-info")] == ["tritium"], top

    env = {**os.environ, "PYTHONPATH": str(target), "PYTHONNOUSERSITE": "1"}
    probe = (
        "import tritium, tritium.sim.rtl as rtl, tritium.resources as r, tritium.sim.hls_headers as hh\n"
        "from tritium.board import load_board\n"
        "from tritium.frontend import load_model\n"
        f"assert tritium.__file__.startswith({str(target)!r}), tritium.__file__\n"
        "assert (r.TEMPLATES / 'lib' / 'rtl' / 'tri_pe.sv').is_file()\n"
        "assert (r.TEMPLATES / 'hls' / 'top.cpp.j2').is_file()\n"
        "assert (rtl.TB_DIR / 'tb_top.sv').is_file()\n"
        "assert (hh.MODEL_DIR / 'ap_axi_sdata.h').is_file()\n"
        "load_board('pynq-z2')\n"
        "load_model('zoo:mlp-digits')\n"
        "print('ok')\n")
    r = subprocess.run([sys.executable, "-c", probe], cwd=elsewhere, env=env, capture_output=True,
                       text=True)
    assert r.returncode == 0 and r.stdout.strip() == "ok", r.stderr[-2000:]
    for old in OLD_NAMES:
        r = subprocess.run([sys.executable, "-c", f"import {old}"], cwd=elsewhere, env=env,
                           capture_output=True, text=True)
        assert r.returncode != 0 and "No module named" in r.stderr, (old, r.stderr)


BLOCK_TRAINING = """
import sys
class Block:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("torch", "sklearn", "kneed"):
            raise ModuleNotFoundError(f"No module named {name!r}")
sys.meta_path.insert(0, Block())
from tritium.cli import main
sys.exit(main(sys.argv[1:]))
"""


def test_compile_needs_no_training_extra(tmp_path):
    """A compile-only install (no torch, scikit-learn or kneed) inspects, compiles with
    both backends and reports; the digits dataset then asks for the extra by name."""
    def cli(*args):
        return subprocess.run([sys.executable, "-c", BLOCK_TRAINING, *args], cwd=tmp_path,
                              capture_output=True, text=True)
    assert cli("inspect", "zoo:mlp-digits").returncode == 0
    r = cli("compile", "zoo:mlp-digits", "--board", "pynq-z2", "--backend", "all", "-o", "d")
    assert r.returncode == 0, r.stderr[-2000:]
    assert (tmp_path / "d" / "report.html").is_file() and (tmp_path / "d" / "rtl").is_dir()
    r = cli("simulate", "d", "--level", "golden", "--dataset", "digits")
    assert r.returncode == 2 and "tritium[train]" in r.stderr and "Traceback" not in r.stderr
