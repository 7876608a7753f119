"""Unit tests of the hand-written HLS library, each block against a numpy model.

One C++ driver (compiled with g++ -std=c++17 -Wall -Wextra -Werror, once
against Tritium's stand-in types and once against AMD's ap_int.h/hls_stream.h,
the `amd_headers` fixture) holds a hand-written config per block; `driver CASE`
reads integers from stdin and prints integers. Every block test runs with
both, so the stand-in's wrap-around is also checked against the real ap_int. The Conv/Dense engine and its PEs are
tested on one-layer graphs through the generator, against the golden model.
"""
from __future__ import annotations

import subprocess

import numpy as np
import pytest

from tritium.board import load_board
from tritium.codegen.hls import LIB_DIR, generate_hls
from tritium.ir.graph import GraphBuilder
from tritium.ir.interp import apply_requant, windows
from tritium.ir.ops import InputAttrs, MacAttrs, Op, Stage
from tritium.ir.types import QType, Requant, Weights, WeightKind, signed_width
from tritium.schedule import Granularity, schedule_network
from tritium.toolchain import find_tool
from tritium.sim.csim import run_csim
from tritium.sim.hls_headers import vendor_headers
from tritium.sim.vectors import make_vectors

DRIVER = r"""
#include <cstdio>
#include <iostream>
#include <string>
#include "tritium.h"
using namespace tritium;

static long long next() { long long v; std::cin >> v; return v; }

struct mp { typedef ap_int<8> act_t; static const int H = 7, W = 5, C = 3, KH = 3, KW = 3, SH = 2, SW = 2,
            PT = 1, PL = 1, OH = 4, OW = 3, PAD = -128; };
// The requantizers' mult_t, bias_t and sum_t are the narrowest that hold their constants and
// max|x| * max|M| + max|B| (as tritium.codegen.hls sizes them), so these tests fail if one is short.
struct ap { typedef ap_uint<6> act_t; typedef ap_int<5> out_t; typedef ap_int<10> acc_t;
            typedef ap_int<4> mult_t; typedef ap_int<8> bias_t; typedef ap_int<13> sum_t;
            static const int H = 6, W = 7, C = 2, KH = 2, KW = 2, SH = 2, SW = 2, PT = 0, PL = 0, OH = 3, OW = 4,
            PAD = 0, SHIFT = 3; static const long long LO = -16, HI = 15; static const int MULT[2];
            static const long long BIAS[2]; };
const int ap::MULT[2] = {3, -5};
const long long ap::BIAS[2] = {4, 100};
struct gp { typedef ap_int<7> act_t; typedef ap_uint<4> out_t; typedef ap_int<12> acc_t;
            typedef ap_int<6> mult_t; typedef ap_int<11> bias_t; typedef ap_int<17> sum_t;
            static const int PIXELS = 12, C = 5, SHIFT = 5; static const long long LO = 0, HI = 15;
            static const int MULT[5]; static const long long BIAS[5]; };
const int gp::MULT[5] = {1, 7, -3, 20, 11};
const long long gp::BIAS[5] = {16, 0, -40, 3, 1000};
struct ad { typedef ap_uint<8> a_t; typedef ap_int<6> b_t; typedef ap_int<9> out_t;
            typedef ap_int<7> ma_t; typedef ap_int<8> mb_t; typedef ap_int<5> bias_t; typedef ap_int<15> sum_t;
            static const int PIXELS = 16, C = 3, SHIFT = 4; static const long long MA = 37, MB = -90, B = 8,
            LO = -256, HI = 255; };
struct rq { typedef ap_int<16> in_t; typedef ap_uint<3> out_t; static const int PIXELS = 4, C = 2, SHIFT = 9;
            typedef ap_int<9> mult_t; typedef ap_int<10> bias_t; typedef ap_int<24> sum_t;
            static const long long LO = 0, HI = 7; static const int MULT[2]; static const long long BIAS[2]; };
const int rq::MULT[2] = {200, -77};
const long long rq::BIAS[2] = {256, -3};
struct ax { typedef ap_int<12> act_t; static const int PIXELS = 3, C = 9, BITS = 12, W = 112; };
struct axo { typedef ap_int<12> act_t; static const int PIXELS = 3, C = 9, W = 16; };

// Applies `n` (op, operand) pairs to one ap_int/ap_uint and prints its value after each.
template <int N, bool S>
static void wrap_ops(long long n) {
    typedef typename std::conditional<S, ap_int<N>, ap_uint<N> >::type T;
    T v = 0;
    for (long long i = 0; i < n; ++i) {
        long long op = next(), x = next();
        switch (op) {
            case 0: v += x; break;
            case 1: v -= x; break;
            case 2: v += ap_int<64>(x); break;               // a wider ap operand (residue path)
            case 3: v -= ap_uint<N>(x); break;               // the same width, unsigned
            case 4: v <<= static_cast<int>(x); break;
            case 5: v >>= static_cast<int>(x); break;
            case 6: ++v; break;
            case 7: v = x; break;
            case 8: v += ap_int<(N > 3 ? N - 3 : 1)>(x); break;   // a narrower ap operand (value path)
            case 9: v.range(static_cast<int>(x % N), 0) = x; break;
            default: v = T(v + x); break;                    // read-modify-write through long long
        }
        std::printf("%lld ", (long long)v);
    }
}

template <class T, int C>
static void feed(hls::stream<pixel<T, C> >& s, int pixels) {
    for (int i = 0; i < pixels; ++i) { pixel<T, C> p; for (int c = 0; c < C; ++c) p.d[c] = next(); s.write(p); }
}
template <class T, int C>
static void dump(hls::stream<pixel<T, C> >& s) {
    while (!s.empty()) { pixel<T, C> p = s.read(); for (int c = 0; c < C; ++c) std::printf("%lld ", (long long)p.d[c]); }
}

int main(int argc, char** argv) {
    std::string which = argc > 1 ? argv[1] : "";
    if (which == "types") {
        ap_int<5> a = 19; ap_uint<5> b = -1; ap_int<12> acc = 2040; acc += 10; ap_int<64> big = -(1LL << 62);
        ap_uint<130> w = 0; w.range(127, 116) = -5; w.range(11, 0) = 2047; w.range(75, 60) = 0xBEEF;
        ap_int<12> back = w.range(127, 116);
        std::printf("%lld %lld %lld %lld %lld %lld %llu\n", (long long)a, (long long)b, (long long)acc,
                    (long long)(big >> 3), (long long)back, (long long)w.range(11, 0), w.range(75, 60).to_uint64());
    } else if (which == "wrap") {
        long long width = next(), sign = next(), n = next();
#define WRAP_CASE(W) \
        if (width == W) { if (sign) wrap_ops<W, true>(n); else wrap_ops<W, false>(n); }
        WRAP_CASE(1) WRAP_CASE(2) WRAP_CASE(5) WRAP_CASE(8) WRAP_CASE(13) WRAP_CASE(16) WRAP_CASE(20)
        WRAP_CASE(31) WRAP_CASE(32) WRAP_CASE(33) WRAP_CASE(63) WRAP_CASE(64)
#undef WRAP_CASE
    } else if (which == "requant") {
        long long n = next();
        for (long long i = 0; i < n; ++i) {
            long long acc = next(), m = next(), b = next(), sh = next(), lo = next(), hi = next();
            // |acc| <= 2^45, |m| < 2^15, |b| <= 2^40: the sum needs exactly 61 bits.
            std::printf("%lld ", (long long)requant<ap_int<62>, ap_int<61> >(ap_int<46>(acc), ap_int<16>(m),
                                                                             ap_int<41>(b), (int)sh, lo, hi));
        }
    } else if (which == "maxpool") {
        hls::stream<pixel<mp::act_t, 3> > in, out; feed(in, 35); maxpool<mp>(in, out); dump(out);
        if (!in.empty()) return 3;
    } else if (which == "avgpool") {
        hls::stream<pixel<ap::act_t, 2> > in; hls::stream<pixel<ap::out_t, 2> > out;
        feed(in, 42); avgpool<ap>(in, out); dump(out); if (!in.empty()) return 3;
    } else if (which == "gap") {
        hls::stream<pixel<gp::act_t, 5> > in; hls::stream<pixel<gp::out_t, 5> > out;
        feed(in, 12); global_avgpool<gp>(in, out); dump(out);
    } else if (which == "add") {
        hls::stream<pixel<ad::a_t, 3> > a; hls::stream<pixel<ad::b_t, 3> > b; hls::stream<pixel<ad::out_t, 3> > out;
        feed(a, 16); feed(b, 16); residual_add<ad>(a, b, out); dump(out);
    } else if (which == "requant_engine") {
        hls::stream<pixel<rq::in_t, 2> > in; hls::stream<pixel<rq::out_t, 2> > out;
        feed(in, 4); requant_engine<rq>(in, out); dump(out);
    } else if (which == "axis") {
        hls::stream<axis_word<112> > beats; hls::stream<axis_word<16> > outb;
        hls::stream<pixel<ax::act_t, 9> > px, a, b, back; hls::stream<pixel<ax::act_t, 27> > flat;
        for (int p = 0; p < 3; ++p) {
            axis_word<112> w; w.data = 0;
            for (int c = 0; c < 9; ++c) w.data.range(c * 12 + 11, c * 12) = next();
            w.last = p == 2; beats.write(w);
        }
        axis_unpack<ax>(beats, px); fork2<ax::act_t, 9, 3>(px, a, b); flatten<ax::act_t, 3, 9>(a, flat);
        dump(flat);
        axis_pack<axo>(b, outb);
        while (!outb.empty()) { axis_word<16> w = outb.read(); std::printf("%lld:%d ", (long long)ap_int<16>(w.data), (int)w.last); }
    } else {
        return 2;
    }
    std::printf("\n");
    return 0;
}
"""


@pytest.fixture(scope="module", params=["stand-in", "amd"])
def driver(request, tmp_path_factory):
    types = ("-DTRITIUM_COMPAT",) if request.param == "stand-in" else \
        vendor_headers(request.getfixturevalue("amd_headers")).flags
    d = tmp_path_factory.mktemp("hlslib")
    (d / "driver.cpp").write_text(DRIVER)
    cxx = find_tool("g++", "TRITIUM_CXX", "install g++")
    r = subprocess.run([cxx, "-std=c++17", "-O1", "-Wall", "-Wextra", "-Werror", *types, f"-I{LIB_DIR}", "-o",
                        str(d / "driver"), str(d / "driver.cpp")], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr

    def run(case: str, ints=()) -> list:
        out = subprocess.run([str(d / "driver"), case], input=" ".join(str(int(v)) for v in ints),
                             capture_output=True, text=True)
        assert out.returncode == 0, out.stdout + out.stderr
        return out.stdout.split()
    return run


def test_compat_types_wrap_like_ap_int(driver):
    got = driver("types")
    assert got == ["-13", "31", "-2046", str(-(1 << 62) >> 3), "-5", "2047", str(0xBEEF)]


WRAP_WIDTHS = [1, 2, 5, 8, 13, 16, 20, 31, 32, 33, 63, 64]


def _wrap(v: int, n: int, signed: bool) -> int:
    v &= (1 << n) - 1
    return v - (1 << n) if signed and v >> (n - 1) else v


def _wrap_model(n: int, signed: bool, ops) -> list[int]:
    v, out = 0, []
    for op, x in ops:
        if op in (0, 2, 10):
            v += x
        elif op == 1:
            v -= x
        elif op == 3:
            v -= _wrap(x, n, False)
        elif op == 4:
            v <<= x
        elif op == 5:
            v >>= x
        elif op == 6:
            v += 1
        elif op == 7:
            v = x
        elif op == 8:
            v += _wrap(x, max(n - 3, 1), True)
        elif op == 9:
            hi = x % n
            m = (1 << (hi + 1)) - 1
            v = (_wrap(v, n, signed) & ~m) | (x & m)
        v = _wrap(v, n, signed)
        out.append(v)
    return out


@pytest.mark.parametrize("signed", [True, False])
def test_compat_types_wrap_exactly_on_every_operation(driver, signed):
    """ap_narrow wraps lazily (on read); every value read must be the wrapped one."""
    rng = np.random.default_rng(7 + signed)
    for n in WRAP_WIDTHS:
        ops = []
        for _ in range(400):
            op = int(rng.integers(0, 11))
            if op in (4, 5):
                x = int(rng.integers(0, min(n + 4, 64) if op == 4 else n))
            elif op == 9:                   # bits [x % n, 0] := x
                x = int(rng.integers(0, 1 << 62))
            elif rng.random() < 0.5:
                x = int(rng.integers(-(1 << 62), 1 << 62)) * int(rng.integers(1, 3))
            else:
                x = int(rng.integers(-(1 << min(n + 1, 62)), 1 << min(n + 1, 62)))
            ops.append((op, x))
        got = driver("wrap", [n, int(signed), len(ops), *[v for o in ops for v in o]])
        want = [_wrap(v, 64, True) for v in _wrap_model(n, signed, ops)]   # printed as long long
        assert [int(v) for v in got] == want, f"ap_{'' if signed else 'u'}int<{n}>"


def test_requant_matches_numpy(driver):
    rng = np.random.default_rng(0)
    n = 2000
    acc = rng.integers(-(1 << 45), 1 << 45, n)
    m = rng.integers(-(1 << 15) + 1, 1 << 15, n)
    b = rng.integers(-(1 << 40), 1 << 40, n)
    sh = rng.integers(0, 32, n)
    lo = rng.integers(-(1 << 20), 0, n)
    hi = rng.integers(0, 1 << 20, n)
    acc[:5] = [0, -1, 1, -(1 << 45), (1 << 45) - 1]
    acc[5:9], m[5:9] = -(1 << 45), [(1 << 15) - 1, -(1 << 15) + 1, (1 << 15) - 1, -(1 << 15) + 1]
    b[5:9] = [(1 << 40) - 1, (1 << 40) - 1, -(1 << 40), -(1 << 40)]
    lo[5:9], hi[5:9] = -(1 << 61), (1 << 61) - 1                   # unclamped: the sum itself, shifted
    want = np.clip((acc * m + b) >> sh, lo, hi)
    rows = np.stack([acc, m, b, sh, lo, hi], 1).reshape(-1)
    got = driver("requant", [n, *rows])
    np.testing.assert_array_equal(np.array(got, np.int64), want)


def _image(rng, shape, lo, hi):
    return rng.integers(lo, hi + 1, shape)


def test_maxpool_pads_with_the_minimum(driver):
    x = _image(np.random.default_rng(1), (1, 7, 5, 3), -128, 127)
    want = windows(x, (3, 3), (2, 2), (1, 1, 1, 1), -128).max(axis=(3, 4))
    assert want.shape == (1, 4, 3, 3)
    np.testing.assert_array_equal(np.array(driver("maxpool", x.reshape(-1)), np.int64), want.reshape(-1))


def test_avgpool_sums_the_window_and_requantizes(driver):
    x = _image(np.random.default_rng(2), (1, 6, 7, 2), 0, 63)
    r = Requant(np.array([3, -5]), np.array([4, 100]), 3, -16, 15)
    s = windows(x, (2, 2), (2, 2), (0, 0, 0, 1)).sum(axis=(3, 4))
    want = apply_requant(s, r)
    assert want.shape == (1, 3, 4, 2)
    np.testing.assert_array_equal(np.array(driver("avgpool", x.reshape(-1)), np.int64), want.reshape(-1))


def test_global_avgpool(driver):
    x = _image(np.random.default_rng(3), (1, 4, 3, 5), -64, 63)
    r = Requant(np.array([1, 7, -3, 20, 11]), np.array([16, 0, -40, 3, 1000]), 5, 0, 15)
    want = apply_requant(x.sum(axis=(1, 2)), r)
    np.testing.assert_array_equal(np.array(driver("gap", x.reshape(-1)), np.int64), want.reshape(-1))


def test_residual_add(driver):
    rng = np.random.default_rng(4)
    a, b = _image(rng, (16, 3), 0, 255), _image(rng, (16, 3), -32, 31)
    want = np.clip((a * 37 + b * -90 + 8) >> 4, -256, 255)
    got = driver("add", [*a.reshape(-1), *b.reshape(-1)])
    np.testing.assert_array_equal(np.array(got, np.int64), want.reshape(-1))


def test_requant_engine(driver):
    x = _image(np.random.default_rng(5), (4, 2), -(1 << 15), (1 << 15) - 1)
    want = np.clip((x * np.array([200, -77]) + np.array([256, -3])) >> 9, 0, 7)
    np.testing.assert_array_equal(np.array(driver("requant_engine", x.reshape(-1)), np.int64), want.reshape(-1))


def test_axis_unpack_fork_flatten_pack(driver):
    x = _image(np.random.default_rng(6), (3, 9), -2048, 2047)
    got = driver("axis", x.reshape(-1))
    np.testing.assert_array_equal(np.array(got[:27], np.int64), x.reshape(-1))       # 112-bit beats
    beats = [tuple(map(int, g.split(":"))) for g in got[27:]]
    assert [v for v, _ in beats] == list(x.reshape(-1))                               # sign-extended
    assert [l for _, l in beats] == [0] * 26 + [1]                                    # TLAST on the last value


# ---- the Conv/Dense engine and its PEs, one layer at a time ----

def one_layer(shape, weights: Weights, stride=(1, 1), padding=(0, 0, 0, 0), groups=1, signed=True):
    qi = QType(6, signed, 0.1)
    b = GraphBuilder("one")
    b.add("x", Op.INPUT, [], InputAttrs(), qtype=qi, shape=shape)
    w = weights.values.reshape(len(weights.values), -1)
    acc = signed_width(int(np.abs(w).sum(1).max()) * qi.max_abs)
    m = weights.out_channels
    rng = np.random.default_rng(m)
    r = Requant(rng.integers(-3000, 3000, m), rng.integers(-5000, 5000, m), 9, -100, 100)
    op = Op.DENSE if len(shape) == 1 else Op.CONV2D
    b.add("y", op, ["x"], MacAttrs(weights, None, stride, padding, groups, r, acc), qtype=QType(8, True, 1.0))
    return b.build(stage=Stage.INTEGER)


def ternary(rng, shape, density=0.5):
    return Weights(WeightKind.TERNARY, rng.choice([-1, 0, 1], shape, p=[(1 - density) / 2, density, (1 - density) / 2]) * 1,
                   np.ones(shape[0]))


@pytest.mark.parametrize("case", ["flat3x3s2", "channel3x3", "depthwise", "int_dense", "tile",
                                  "narrow_simd", "wide_simd", "int_wide"])
def test_mac_engine_one_layer(case, tmp_path_factory, monkeypatch):
    monkeypatch.setenv("TRITIUM_CACHE", str(tmp_path_factory.getbasetemp() / "cache"))
    rng = np.random.default_rng(len(case))
    sched = {}
    if case == "flat3x3s2":
        g = one_layer((7, 6, 5), ternary(rng, (9, 5, 3, 3)), (2, 2), (1, 1, 0, 1))
    elif case == "channel3x3":
        w = ternary(rng, (7, 16, 3, 3)).values.copy()
        w[:, :8] *= rng.random((7, 1, 1, 1)) < 0.5            # prune whole 8-channel groups
        g = one_layer((5, 5, 16), Weights(WeightKind.TERNARY, w, np.ones(7)), padding=(1, 1, 1, 1))
        sched = {"simd": 8}
    elif case == "depthwise":
        g = one_layer((6, 5, 7), ternary(rng, (7, 1, 3, 3)), padding=(1, 1, 1, 1), groups=7)
    elif case == "int_dense":
        g = one_layer((37,), Weights(WeightKind.INT, rng.integers(-127, 128, (11, 37)), np.ones(11), 8))
    elif case == "tile":
        g = one_layer((5, 4, 16), ternary(rng, (12, 16, 1, 1), 0.3), signed=False)
        sched = {"simd": 8, "granularity": Granularity.TILE, "pe": 3}
    elif case == "narrow_simd":    # 4-bit words in 8-bit ROM chunks
        g = one_layer((6, 5, 7), ternary(rng, (6, 7, 3, 3)), padding=(1, 1, 1, 1))
        sched = {"simd": 2}
    elif case == "wide_simd":      # 128-bit words: two 64-bit ROM chunks per word
        g = one_layer((4, 4, 100), ternary(rng, (9, 100, 3, 3)), padding=(1, 1, 1, 1))
        sched = {"simd": 64}
    else:                          # 256-bit int8 words: 8 lanes per 64-bit chunk
        g = one_layer((45,), Weights(WeightKind.INT, rng.integers(-127, 128, (7, 45)), np.ones(7), 8))
        sched = {"simd": 32}
    board = load_board("pynq-z2")
    s = schedule_network(g, board, **sched)
    v = make_vectors(g, rng.normal(0, 3, (64,) + g.input.shape))
    r = run_csim(generate_hls(g, s, part=board.part, clock_mhz=100, vectors=v), v)
    assert r.mismatches == 0, str(r.first_mismatch)
