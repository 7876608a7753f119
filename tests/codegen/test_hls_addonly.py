"""Ternary layers are add-only: no multiplication touches a weight code.

The check parses C++ (tokens without comments and strings), finds the
ternary PE's body and every generated source, and flags any statement where
a `*` or `*=` meets a weight code or a variable derived from one. It is
tested against injected multiplications, so it cannot pass vacuously.
"""
from __future__ import annotations

import numpy as np
import pytest

from tritium.board import load_board
from tritium.codegen.hls import (alias_target, check_add_only, function_body, generate_hls, library_files,
                                  weight_multiplications)
from tritium.frontend import load_model
from tritium.passes import lower
from tritium.schedule import schedule_network
from tritium.zoo.random_net import random_graph

BOARD = load_board("zcu104")
PE = library_files()["tritium_pe.h"]
LIB = "hls/lib/tritium_pe.h"


@pytest.fixture(scope="module")
def resnet_plan():
    g = lower(load_model("zoo:resnet8"))
    return generate_hls(g, schedule_network(g, BOARD), part=BOARD.part, clock_mhz=BOARD.clock_mhz)


def test_library_ternary_pe_is_add_only():
    lane = function_body(PE, "ternary_lane")
    assert "CODE" in lane and "+=" in lane and "CODE_NEG" in lane   # the body really is the lane op
    assert weight_multiplications(lane) == []
    loop = function_body(PE, "pe_program")
    assert "LANE" in loop and "mac" in loop and "requant_channel" in loop   # ... and this the program loop
    assert weight_multiplications(loop) == []
    assert weight_multiplications(function_body(PE, "rom_field"), {"word"}) == []
    assert alias_target(PE, "pe_ternary") == ["pe_program", "<", "CFG", ",", "ternary_lane", "<", "CFG", ">", ">"]


def test_int_pe_multiplies_and_the_check_sees_it():
    assert len(weight_multiplications(function_body(PE, "int_lane"))) == 1
    assert "int_lane" in alias_target(PE, "pe_int")


# Five kinds of multiplication by a code, injected into the ternary lane op.
INJECTIONS = [
    ("acc += (code & CODE_NEG) ? nv : v;", "acc += (code & CODE_NEG) ? nv : v * code;"),
    ("const acc_t nv = -v;", "const acc_t nv = code * v;"),
    ("acc += (code & CODE_NEG) ? nv : v;", "acc += (v) * (CFG::CODE[0][0][0]);"),
    ("const acc_t nv = -v;", "const acc_t nv = -v; int sign = code; acc += sign * x;"),
    ("acc += (code & CODE_NEG) ? nv : v;", "acc += (code & CODE_NEG) ? nv : v; acc *= code;"),
]


@pytest.mark.parametrize("inject", INJECTIONS)
def test_injected_multiplication_is_caught(inject, resnet_plan):
    old, new = inject
    bad = PE.replace(old, new, 1)
    assert bad != PE
    assert weight_multiplications(function_body(bad, "ternary_lane"))
    assert any("pe_ternary multiplies a weight (ternary_lane)" in p for p in check_add_only({**resnet_plan, LIB: bad}))


@pytest.mark.parametrize("where, old, new", [
    ("pe_program", "LANE::mac(acc, LANE::code(p, word, l), xb[j % CFG::IN_BANKS][j / CFG::IN_BANKS][l]);",
     "LANE::mac(acc, LANE::code(p, word, l) * 1, xb[j % CFG::IN_BANKS][j / CFG::IN_BANKS][l]);"),
    ("pe_program", "++word;", "++word; acc *= LANE::code(p, word, 0);"),
    ("rom_field", "& static_cast<CHUNK>((1ULL << BITS) - 1ULL);", "& static_cast<CHUNK>((1ULL << BITS) - 1ULL) * 1;"),
])
def test_multiplication_in_the_shared_loop_or_code_extraction_is_caught(where, old, new, resnet_plan):
    bad = PE.replace(old, new, 1)
    assert bad != PE
    assert any(f"pe_ternary multiplies a weight ({where})" in p for p in check_add_only({**resnet_plan, LIB: bad}))


def test_ternary_pe_bound_to_the_multiplier_lane_is_caught(resnet_plan):
    bad = PE.replace("using pe_ternary = pe_program<CFG, ternary_lane<CFG> >;",
                     "using pe_ternary = pe_program<CFG, int_lane<CFG> >;", 1)
    assert bad != PE
    assert any("pe_ternary is not pe_program with ternary_lane" in p for p in check_add_only({**resnet_plan, LIB: bad}))


def test_comments_strings_and_pointers_are_not_multiplications():
    src = ("struct ternary_lane { static void run(const int* codes) { // acc += x * code\n"
           "/* code * x */ const char* s = \"x * code\"; int acc = *codes; (void)s; (void)acc; } };")
    assert weight_multiplications(function_body(src, "ternary_lane")) == []


def test_generated_networks_are_add_only(resnet_plan):
    assert check_add_only(resnet_plan) == []
    params = next(t for p, t in resnet_plan.items() if p.endswith("_params.h"))
    assert params.count("tritium::pe_ternary<") >= 7 and params.count("tritium::pe_int<") == 2


def test_check_add_only_catches_a_ternary_layer_on_the_multiplier(resnet_plan):
    path = next(p for p in resnet_plan if p.endswith("_params.h"))
    text = resnet_plan[path]
    i = text.index("tritium::pe_ternary<")
    bad = {**resnet_plan, path: text[:i] + "tritium::pe_int<" + text[i + len("tritium::pe_ternary<"):]}
    assert any("not the add-only PE" in p for p in check_add_only(bad))
    lib = resnet_plan[LIB].replace("const acc_t nv = -v;", "const acc_t nv = v * code;", 1)
    assert any("pe_ternary multiplies" in p for p in check_add_only({**resnet_plan, LIB: lib}))


def test_pruned_groups_are_in_no_program():
    from tritium.codegen.hls import _pe_roms
    from tritium.schedule.groups import lane_layout
    g = lower(random_graph(31))
    s = schedule_network(g, load_board("pynq-z2"))
    for layer in s.layers:
        mask = lane_layout(g.node(layer.name).attrs, layer.simd).mask()
        roms = _pe_roms(layer)
        scheduled = set()
        for p in range(layer.pe):
            items = iter(roms["ITEM"][p])
            for r in range(roms["NROWS"][p]):
                scheduled |= {(int(roms["ROW"][p, r]), int(next(items))) for _ in range(roms["NITEMS"][p, r])}
        assert scheduled == {tuple(map(int, rc)) for rc in np.argwhere(mask)}   # exactly the nonzero groups
