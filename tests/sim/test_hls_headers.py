"""AMD's type headers for C-simulation (`tritium.sim.hls_headers`) and Tritium's
UG1399 model of `ap_axi_sdata.h` (`sim/include/ap_axi_sdata.h`).

The model is compiled against the real `ap_int.h` (the `amd_headers` fixture,
tests/conftest.py): it must reject the stream word the library declared
before issue 13 (`AXIS_ENABLE_LAST, true`: DATA not enabled under strict
enablement) and accept the form UG1399 documents.
"""
from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tritium.codegen.hls import LIB_DIR
from tritium.errors import OptionError, ToolError
from tritium.sim import csim, hls_headers
from tritium.sim.hls_headers import MODEL_DIR, fetch_ap_types, vendor_headers
from tritium.toolchain import find_tool

WERROR = ("-std=c++17", "-O2", "-Wall", "-Wextra", "-Werror")


def compile_snippet(tmp_path: Path, source: str, flags, check_only: bool = False) -> subprocess.CompletedProcess:
    """g++ with our -Werror flags on `source`; `check_only`: front end only (types and
    static assertions; the optimizer's warnings inside AMD's ap_int do not concern it)."""
    (tmp_path / "t.cpp").write_text(source)
    cxx = find_tool("g++", "TRITIUM_CXX", "install g++")
    out = ["-fsyntax-only"] if check_only else ["-c", "-o", str(tmp_path / "t.o")]
    return subprocess.run([cxx, *WERROR, *flags, *out, str(tmp_path / "t.cpp")], capture_output=True, text=True)


# --------------------------------------------------------------------------- ap_axi_sdata.h

AXIS_PROGRAM = r"""
#include <type_traits>
#include <ap_int.h>
#include <ap_axi_sdata.h>
typedef {word} word;
template <class A, class B> constexpr bool same() {{ return std::is_same<A, B>::value; }}
typedef hls::axis_absent none;
{checks}
int main() {{ word w; {body} (void)w; return 0; }}
"""


def axis_program(word: str, checks: str = "", body: str = "") -> str:
    return AXIS_PROGRAM.format(word=word, checks=checks, body=body)


def members(**types: str) -> str:
    return "\n".join(f'static_assert(same<decltype(word::{m}), {t}>(), "{m} is {t}");' for m, t in types.items())


REJECTED = [
    # The declaration tritium_types.h made before issue 13: strict, DATA not named.
    ("hls::axis<ap_uint<24>, 0, 0, 0, AXIS_ENABLE_LAST, true>", "DATA"),
    ("hls::axis<ap_uint<8>, 4, 0, 0, AXIS_ENABLE_DATA, true>", "USER"),       # width, not enabled
    ("hls::axis<ap_uint<8>, 0, 0, 0, AXIS_ENABLE_DATA | AXIS_ENABLE_ID, true>", "ID"),  # enabled, no width
    ("hls::axis<ap_uint<8>, 0, 0, 3, AXIS_ENABLE_DATA | AXIS_ENABLE_LAST, true>", "DEST"),
]


@pytest.mark.parametrize("word,signal", REJECTED)
def test_strict_enablement_rejects_a_mismatched_signal(word, signal, amd_headers, tmp_path):
    r = compile_snippet(tmp_path, axis_program(word), vendor_headers(amd_headers).flags, True)
    assert r.returncode != 0
    assert "static assertion failed" in r.stderr or "static_assert" in r.stderr, r.stderr[-2000:]
    assert f"mismatched enablement for {signal} signal" in r.stderr, r.stderr[-2000:]


ACCEPTED = [
    # The library's stream word now (tritium::axis_word): TDATA and TLAST, nothing else.
    ("hls::axis<ap_uint<24>, 0, 0, 0, AXIS_ENABLE_DATA | AXIS_ENABLE_LAST, true>",
     members(data="ap_uint<24>", last="ap_uint<1>", keep="none", strb="none", user="none", id="none",
             dest="none")),
    ("hls::axis<ap_int<16>, 2, 0, 5, AXIS_ENABLE_DATA | AXIS_ENABLE_USER | AXIS_ENABLE_DEST | "
     "AXIS_ENABLE_KEEP, true>",
     members(data="ap_int<16>", keep="ap_uint<2>", user="ap_uint<2>", dest="ap_uint<5>", last="none",
             strb="none", id="none")),
    # Not strict, the default signals: TDATA, TKEEP, TSTRB, TLAST; side channels by width.
    ("ap_axiu<32, 0, 0, 0>", members(data="ap_uint<32>", keep="ap_uint<4>", strb="ap_uint<4>",
                                     last="ap_uint<1>", user="none", id="none", dest="none")),
    ("ap_axis<12, 1, 2, 3>", members(data="ap_int<12>", keep="ap_uint<2>", user="ap_uint<1>",
                                     id="ap_uint<2>", dest="ap_uint<3>")),
]


@pytest.mark.parametrize("word,checks", ACCEPTED)
def test_conforming_declarations_compile_with_their_signals(word, checks, amd_headers, tmp_path):
    r = compile_snippet(tmp_path, axis_program(word, checks, "w.data = 1;"), vendor_headers(amd_headers).flags,
                        True)
    assert r.returncode == 0, r.stderr[-3000:]


def test_a_disabled_signal_cannot_be_used(amd_headers, tmp_path):
    word = "hls::axis<ap_uint<8>, 0, 0, 0, AXIS_ENABLE_DATA | AXIS_ENABLE_LAST, true>"
    flags = vendor_headers(amd_headers).flags
    assert compile_snippet(tmp_path, axis_program(word, body="w.last = 1;"), flags, True).returncode == 0
    r = compile_snippet(tmp_path, axis_program(word, body="w.keep = 1;"), flags, True)
    assert r.returncode != 0 and "keep" in r.stderr


# --------------------------------------------------------------------------- tritium_types.h

LIBRARY_WORD = r"""
#include "tritium_types.h"
static_assert(TRITIUM_VENDOR == 1, "built against AMD's types");
int beat_bits(long long x) {
    tritium::axis_word<40> beat;
    beat.data = 0;
    beat.data.range(35, 4) = x;
    beat.last = 1;
    return static_cast<int>(beat.data.range(11, 4).to_uint64()) + static_cast<int>(beat.last);
}
"""


def test_library_word_builds_against_amd_headers_warning_free(amd_headers, tmp_path):
    r = compile_snippet(tmp_path, LIBRARY_WORD, (*vendor_headers(amd_headers).flags, f"-I{LIB_DIR}"))
    assert r.returncode == 0, r.stderr[-3000:]


def test_our_own_warnings_stay_errors_with_amd_headers(amd_headers, tmp_path):
    """The diagnostic pragmas around the vendor includes cover AMD's lines only."""
    own = LIBRARY_WORD + "int own(int a) { int x; if (a > 0) x = a; return x; }\n"
    r = compile_snippet(tmp_path, own, (*vendor_headers(amd_headers).flags, f"-I{LIB_DIR}"))
    assert r.returncode != 0 and "uninitialized" in r.stderr and "t.cpp" in r.stderr, r.stderr[-2000:]


def test_vendor_types_are_required_when_asked_for(tmp_path):
    r = compile_snippet(tmp_path, '#include "tritium_types.h"\n', ("-DTRITIUM_VENDOR_TYPES", f"-I{LIB_DIR}"))
    assert r.returncode != 0 and "ap_axi_sdata.h" in r.stderr
    r = compile_snippet(tmp_path, '#include "tritium_types.h"\n',
                        ("-DTRITIUM_VENDOR_TYPES", "-DTRITIUM_COMPAT", f"-I{LIB_DIR}"))
    assert r.returncode != 0 and "not both" in r.stderr


# --------------------------------------------------------------------------- the header folder

def test_header_folder_is_checked(tmp_path):
    with pytest.raises(OptionError, match=r"is not a folder; point --hls-include at"):
        vendor_headers(tmp_path / "missing")
    (tmp_path / "ap_int.h").write_text("// ap_int\n")
    with pytest.raises(OptionError, match=r"has no hls_stream\.h; point --hls-include"):
        vendor_headers(tmp_path)
    (tmp_path / "hls_stream.h").write_text("// stream\n")
    h = vendor_headers(tmp_path)
    assert h.dirs == (tmp_path.absolute(), MODEL_DIR) and h.axi_sdata == "tritium model"
    assert h.flags == ("-DTRITIUM_VENDOR_TYPES", "-isystem", str(tmp_path.absolute()), "-isystem", str(MODEL_DIR))
    (tmp_path / "ap_axi_sdata.h").write_text("// a vendor's own\n")
    own = vendor_headers(tmp_path)
    assert own.dirs == (tmp_path.absolute(),) and own.axi_sdata == "DIR"


def test_cache_key_holds_the_headers_content(tmp_path):
    for name in ("ap_int.h", "hls_stream.h"):
        (tmp_path / name).write_text(f"// {name}\n")
    before = vendor_headers(tmp_path)
    assert csim.build_tool("g++", headers=before) != csim.build_tool("g++")
    assert csim.build_tool("g++", headers=before) == csim.build_tool("g++", headers=vendor_headers(tmp_path))
    (tmp_path / "etc").mkdir()
    (tmp_path / "etc" / "ap_private.h").write_text("// nested files count too\n")
    after = vendor_headers(tmp_path)
    assert after.digest != before.digest
    assert csim.build_tool("g++", headers=after) != csim.build_tool("g++", headers=before)
    assert "-DTRITIUM_COMPAT" in csim.build_flags("g++")[0]       # the stand-in, whatever the include path


# --------------------------------------------------------------------------- fetch

def test_fetch_extracts_only_ap_types(amd_headers):
    if amd_headers.name != "ap_types":
        pytest.skip("TRITIUM_HLS_INCLUDE names another header folder; nothing was fetched")
    files = {p.relative_to(amd_headers).as_posix() for p in amd_headers.rglob("*") if p.is_file()}
    assert {"ap_int.h", "ap_fixed.h", "hls_stream.h", "etc/ap_private.h"} <= files
    assert not [f for f in files if not f.endswith(".h")], files     # no Python, no metadata of hls4ml
    assert fetch_ap_types(amd_headers) == amd_headers                # already there: no download


def test_fetch_without_pypi_is_one_clear_error(tmp_path, monkeypatch):
    """As on a machine without network: an index nobody listens on, no pip cache."""
    for var, value in {"PIP_INDEX_URL": "http://127.0.0.1:9/simple", "PIP_RETRIES": "0", "PIP_TIMEOUT": "2",
                       "PIP_NO_CACHE_DIR": "1"}.items():
        monkeypatch.setenv(var, value)
    for var in ("PIP_EXTRA_INDEX_URL", "PIP_FIND_LINKS", "PIP_NO_INDEX"):
        monkeypatch.delenv(var, raising=False)
    with pytest.raises(ToolError, match=r"cannot download hls4ml==1\.3\.0 from PyPI.*--hls-include"):
        fetch_ap_types(tmp_path / "ap_types")
    assert not (tmp_path / "ap_types").exists()
    assert [p.name for p in tmp_path.iterdir()] == []                # nothing half-written


def test_a_wheel_that_is_not_the_pinned_one_is_refused(amd_headers, tmp_path, monkeypatch):
    monkeypatch.setattr(hls_headers, "WHEEL_SHA256", "0" * 64)
    with pytest.raises(ToolError, match="not the pinned"):
        fetch_ap_types(tmp_path / "ap_types")
    assert list(tmp_path.iterdir()) == []
