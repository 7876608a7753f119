"""Weight memory (BRAM, URAM, DRAM streaming) and the machine's cycle model."""
from __future__ import annotations

import math

import numpy as np
import pytest
import yaml

from tritium.board import BOARDS_DIR, board_from_dict, load_board
from tritium.errors import UnsupportedError
from tritium.ir.types import Weights, WeightKind
from tritium.schedule import schedule_network
from tritium.schedule.model import IN_PORT, OUT_PORT, frame_cycles
from tritium.schedule.options import WeightMemory

from sched_helpers import group_pruned_ternary, tiny_net


def mlp(seed=0):
    """conv -> flatten -> a large ternary Dense -> an int8 Dense."""
    from tritium.ir.graph import GraphBuilder
    from tritium.ir.ops import InputAttrs, MacAttrs, NoAttrs, Op
    from tritium.ir.types import QType

    rng = np.random.default_rng(seed)
    u8, i8 = QType(8, False, 0.05), QType(8, True, 0.05)
    b = GraphBuilder("mlp")
    b.add("x", Op.INPUT, [], InputAttrs(), qtype=u8, shape=(8, 8, 16))
    w0 = group_pruned_ternary(rng, 32, 16, 3, 3, 16, 0.5)
    b.add("conv", Op.CONV2D, ["x"], MacAttrs(Weights(WeightKind.TERNARY, w0, np.ones(32), 2, "conv"),
                                             padding=(1, 1, 1, 1)), qtype=u8)
    b.add("flat", Op.FLATTEN, ["conv"], NoAttrs(), qtype=u8)
    w1 = group_pruned_ternary(rng, 512, 2048, 1, 1, 16, 0.5)[:, :, 0, 0]
    b.add("fc1", Op.DENSE, ["flat"], MacAttrs(Weights(WeightKind.TERNARY, w1, np.ones(512), 2, "fc1")),
          qtype=u8)
    w2 = rng.integers(-127, 128, size=(10, 512))
    b.add("fc2", Op.DENSE, ["fc1"], MacAttrs(Weights(WeightKind.INT, w2, np.ones(10), 8, "fc2")),
          qtype=i8)
    return b.build()


def board(base="zcu102", **over):
    d = yaml.safe_load((BOARDS_DIR / f"{base}.yaml").read_text())
    return board_from_dict(d | over, f"{base}+{over}")


@pytest.mark.parametrize("name", ["zcu102", "pynq-z2", "ulx3s"])
@pytest.mark.parametrize("graph", [tiny_net, mlp])
def test_engines_are_the_machine_model(graph, name):
    """Every engine's cycles (ports included) equal `frame_cycles`, the formula the RTL
    backend reports and its simulation measures. At one PE per layer: the formula holds
    for any folding, and mlp's 512-channel Dense collector does not fit ulx3s's LUT4s
    next to anything more."""
    g = graph()
    net = schedule_network(g, load_board(name), pe=1, check_fit=False)
    model = frame_cycles(g, net)
    assert {e.name: e.cycles for e in net.engines} == model["engines"]
    assert [e.name for e in net.engines][0] == IN_PORT and net.engines[-1].name == OUT_PORT
    assert net.bottleneck.name == model["bottleneck"]
    assert net.bottleneck.cycles == model["cycles_per_frame"]


def test_stream_costs_pixels_not_channel_beats():
    g = mlp()
    net = schedule_network(g, load_board("zcu102"))
    assert net.engine(IN_PORT).cycles == 64           # 8x8 pixels, one beat each
    assert net.engine("flat").cycles == 64            # 64 pixels in, one vector out
    assert net.engine(OUT_PORT).cycles == 10          # one beat per output value


def test_everything_on_chip_when_it_fits():
    net = schedule_network(mlp(), load_board("zcu102"))
    assert {l.weight_memory for l in net.layers} == {WeightMemory.BRAM}
    assert all(l.dram_cycles == 0 for l in net.layers)


def test_uram_holds_weights_when_bram_runs_out():
    b = board(bram18=40, uram=64, dram_gbps=0)
    net = schedule_network(mlp(), b, pe=1)
    mem = {l.name: l.weight_memory for l in net.layers}
    assert mem["fc1"] is WeightMemory.URAM
    assert 0 < net.resources.uram <= b.usable()["uram"]
    assert not net.resources.over(b.usable())


def test_dram_streams_the_largest_dense_layer_first():
    b = board(bram18=40, uram=0)
    net = schedule_network(mlp(), b, pe=1)
    fc1 = net.layer("fc1")
    assert fc1.weight_memory is WeightMemory.DRAM and net.layer("conv").weight_memory is WeightMemory.BRAM
    # weight bits per frame / DRAM bits per cycle: 19.2 GB/s * 0.8 at 200 MHz = 614.4 bits
    assert fc1.dram_cycles == math.ceil(fc1.rom_bits * fc1.out_pixels / 614.4)
    assert net.engine("fc1").cycles == max(fc1.cycles, 64, fc1.dram_cycles)
    assert frame_cycles(mlp(), net)["engines"]["fc1"] == net.engine("fc1").cycles
    assert not net.resources.over(b.usable())


def test_max_throughput_streams_only_what_does_not_fit():
    small = board(bram18=40, uram=0)
    net = schedule_network(mlp(), small)
    assert [l.name for l in net.layers if l.weight_memory is WeightMemory.DRAM] == ["fc1"]
    assert not net.resources.over(small.usable())
    for l in net.layers:
        assert l.cycles <= 1.05 * l.lower_bound


def test_no_external_memory_still_fails_cleanly():
    from tritium.errors import BoardError
    with pytest.raises(BoardError, match="does not fit"):
        schedule_network(mlp(), board(bram18=4, uram=0, dram_gbps=0), pe=1)


def test_backends_refuse_dram_streamed_layers():
    from tritium.codegen.hls import build_context
    from tritium.codegen.rtl import generate_rtl
    net = schedule_network(mlp(), board(bram18=40, uram=0), pe=1)
    for call in (lambda: generate_rtl(mlp(), net),
                 lambda: build_context(mlp(), net, part="xczu9eg-ffvb1156-2-e", clock_mhz=200)):
        with pytest.raises(UnsupportedError, match=r"layer 'fc1': .*DRAM.*bigger board.*compress "
                                                   r"harder"):
            call()


def test_schedule_json_keeps_weight_memory():
    from tritium.schedule import NetworkSchedule
    net = schedule_network(mlp(), board(bram18=40, uram=0), pe=1)
    back = NetworkSchedule.from_json(net.to_json())
    assert back == net and back.layer("fc1").weight_memory is WeightMemory.DRAM


@pytest.mark.slow
def test_vgg16_on_zcu102_is_refused_as_built_and_schedules_without_the_fit_check():
    """zoo:vgg16 at density 0.25 on zcu102. Its window units, priced as the RTL builds
    them (one pixel of up to 512 channels per beat: a 3x3 register window of 4,096-bit
    pixels per layer), need more flip-flops than the part has, so the search refuses it
    and says which resource; the schedule itself keeps issue 4's quality."""
    from tritium.errors import BoardError
    from tritium.frontend import load_model
    from tritium.passes import lower
    b = load_board("zcu102")
    graph = lower(load_model("zoo:vgg16:density=0.25"))
    with pytest.raises(BoardError, match=r"does not fit zcu102.*FF [\d,]+ of [\d,]+ usable"):
        schedule_network(graph, b)
    net = schedule_network(graph, b, pe=16, check_fit=False)
    for l in net.layers:
        assert l.cycles <= 1.05 * l.lower_bound, l.name
    tern = [l for l in net.layers if l.weight_kind is WeightKind.TERNARY]
    assert sum(l.dense_cycles for l in tern) >= 3.5 * sum(l.cycles for l in tern)
