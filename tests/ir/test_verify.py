from dataclasses import replace

import pytest

from tritium.ir.graph import GraphBuilder
from tritium.ir.ops import InputAttrs, Op, PoolAttrs, QuantAttrs, Stage
from tritium.ir.printer import format_graph
from tritium.ir.types import QType, TensorType
from tritium.ir.verify import VerifyError, verify
from tritium.passes import lower
from tritium.zoo.random_net import random_graph


def _tiny():
    b = GraphBuilder("tiny")
    b.add("x", Op.INPUT, [], InputAttrs(), shape=(4, 4, 2))
    b.add("q", Op.QUANT, ["x"], QuantAttrs(QType(8, False, 0.5)))
    b.add("p", Op.MAXPOOL, ["q"], PoolAttrs((2, 2), (2, 2)))
    return b.build()


def test_valid_graph_passes():
    assert verify(_tiny()) is not None


def test_wrong_shape_is_caught():
    g = _tiny()
    bad = replace(g.nodes[2], type=TensorType((3, 3, 2)))
    with pytest.raises(VerifyError, match="'p' .*shape"):
        verify(g.with_nodes([g.nodes[0], g.nodes[1], bad]))


def test_use_before_definition_is_caught():
    g = _tiny()
    with pytest.raises(VerifyError, match="not defined before its use"):
        verify(g.with_nodes([g.nodes[0], g.nodes[2], g.nodes[1]]))


def test_float_op_in_integer_graph_is_caught():
    g = _tiny()
    x = replace(g.nodes[0], type=TensorType((4, 4, 2), QType(8, False, 0.5)))
    with pytest.raises(VerifyError, match="'q' .*float-only op"):
        verify(replace(g, stage=Stage.INTEGER).with_nodes([x, *g.nodes[1:]]))


def test_printer_is_deterministic_and_complete():
    g = lower(random_graph(7))
    text = format_graph(g, weights=True)
    assert text == format_graph(lower(random_graph(7)), weights=True)
    assert len(text.splitlines()) == len(g.nodes) + 1
    assert g.fingerprint() != lower(random_graph(8)).fingerprint()


def test_printer_snapshot():
    assert format_graph(_tiny()) == (
        "graph tiny (float) -> %p\n"
        "  %x = input() : f32[4x4x2]\n"
        "  %q = quant(%x) to u8*0.5 : f32[4x4x2]\n"
        "  %p = maxpool(%q) k2x2 s2x2 p0,0,0,0 : f32[2x2x2]\n")
