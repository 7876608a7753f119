"""Ternary layers are add-only: no multiplication touches a weight code.

The check parses C++ (tokens without comments and strings), finds the
ternary PE's body and every generated source, and flags any statement where
a `*` or `*=` meets a weight code or a variable derived from one. It is
tested against injected multiplications, so it cannot pass vacuously.
"""
from __future__ import annotations

import numpy as np
import pytest

from compiler.board import load_board
from compiler.codegen.hls import (check_add_only, function_body, generate_hls, library_files,
                                  weight_multiplications)
from compiler.frontend import load_model
from compiler.passes import lower
from compiler.schedule import schedule_network
from compiler.zoo.random_net import random_graph

BOARD = load_board("zcu104")
PE = library_files()["tritium_pe.h"]


@pytest.fixture(scope="module")
def resnet_plan():
    g = lower(load_model("zoo:resnet8"))
    return generate_hls(g, schedule_network(g, BOARD), part=BOARD.part, clock_mhz=BOARD.clock_mhz)


def test_library_ternary_pe_is_add_only():
    body = function_body(PE, "pe_ternary")
    assert "CODE" in body and "+=" in body and "-=" in body   # the body really is the PE
    assert weight_multiplications(body) == []


def test_int_pe_multiplies_and_the_check_sees_it():
    assert len(weight_multiplications(function_body(PE, "pe_int"))) == 1


@pytest.mark.parametrize("inject", [
    ("acc += x;", "acc += x * code;"),
    ("acc -= x;", "acc -= code * x;"),
    ("acc += x;", "acc += (x) * (CFG::CODE[p][word][l]);"),
    ("typename CFG::act_t x = xv[g][item][t][l];",
     "typename CFG::act_t x = xv[g][item][t][l]; int sign = code; acc += sign * x;"),
    ("acc += x;", "acc += x; acc *= code;"),
])
def test_injected_multiplication_is_caught(inject):
    old, new = inject
    bad = PE.replace(old, new, 1)
    assert bad != PE
    assert weight_multiplications(function_body(bad, "pe_ternary"))


def test_comments_strings_and_pointers_are_not_multiplications():
    src = ("struct pe_ternary { static void run(const int* codes) { // acc += x * code\n"
           "/* code * x */ const char* s = \"x * code\"; int acc = *codes; (void)s; (void)acc; } };")
    assert weight_multiplications(function_body(src, "pe_ternary")) == []


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
    lib = resnet_plan["hls/lib/tritium_pe.h"].replace("acc += x;", "acc += x * code;", 1)
    assert any("pe_ternary multiplies" in p for p in check_add_only({**resnet_plan, "hls/lib/tritium_pe.h": lib}))


def test_pruned_groups_are_in_no_program():
    from compiler.codegen.hls import _pe_roms
    from compiler.schedule.groups import lane_layout
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
