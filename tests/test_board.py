"""Board profiles: shipped data and validation errors."""
from __future__ import annotations

import pytest
import yaml

from tritium.board import BOARDS_DIR, KEYS, OPTIONAL, Family, board_from_dict, known_boards, load_board
from tritium.errors import BoardError

DATASHEET = {  # part, LUT, FF, DSP, BRAM18, URAM
    "pynq-z2": ("xc7z020clg400-1", 53200, 106400, 220, 280, 0),
    "ultra96-v2": ("xczu3eg-sbva484-1-e", 70560, 141120, 360, 432, 0),
    "zcu102": ("xczu9eg-ffvb1156-2-e", 274080, 548160, 2520, 1824, 0),
    "zcu104": ("xczu7ev-ffvc1156-2-e", 230400, 460800, 1728, 624, 96),
    "kv260": ("xck26-sfvc784-2LV-c", 117120, 234240, 1248, 288, 64),
    "alveo-u250": ("xcu250-figd2104-2L-e", 1728000, 3456000, 12288, 5376, 1280),
    "ulx3s": ("LFE5U-85F-6BG381C", 83640, 83640, 156, 208, 0),
}


def test_known_boards():
    assert known_boards() == sorted(DATASHEET)


@pytest.mark.parametrize("name", sorted(DATASHEET))
def test_shipped_profiles_match_datasheets(name):
    b = load_board(name)
    assert (b.part, b.lut, b.ff, b.dsp, b.bram18, b.uram) == DATASHEET[name]
    assert b.name == name and b.source and 0 < b.usable_fraction <= 1 and b.simd == 16


def test_families_and_usable():
    assert load_board("pynq-z2").family is Family.XC7
    assert load_board("ulx3s").family is Family.ECP5
    assert load_board("zcu102").usable() == {"lut": 219264, "ff": 438528, "bram18": 1459, "dsp": 2016,
                                             "uram": 0}


def test_load_by_path(tmp_path):
    p = tmp_path / "mine.yaml"
    p.write_text((BOARDS_DIR / "zcu102.yaml").read_text())
    assert load_board(p) == load_board("zcu102")


def test_unknown_board_lists_known_and_suggests():
    with pytest.raises(BoardError, match=r"unknown board 'zcu12'; did you mean 'zcu102'\? known "
                                         r"boards: alveo-u250, kv260, pynq-z2"):
        load_board("zcu12")


def _data():
    return yaml.safe_load((BOARDS_DIR / "kv260.yaml").read_text())


def test_unknown_key_named_with_file_and_valid_keys():
    d = _data() | {"lutz": 3}
    with pytest.raises(BoardError, match=r"unknown key 'lutz' \(did you mean 'lut'\?\) in board "
                                         r"profile f.yaml; valid keys: name, part, family"):
        board_from_dict(d, "f.yaml")


def test_missing_key():
    d = _data()
    del d["dsp"], d["simd"]
    with pytest.raises(BoardError, match=r"missing keys dsp, simd in board profile f.yaml; valid keys"):
        board_from_dict(d, "f.yaml")


@pytest.mark.parametrize("key,value,msg", [
    ("lut", "many", r"key 'lut' in board profile f.yaml must be int, got 'many'"),
    ("lut", True, r"key 'lut' .* must be int"),
    ("clock_mhz", "fast", r"must be int or float"),
    ("family", "stratix", r"key 'family' .* is 'stratix'; use one of xc7, xcup, ecp5"),
    ("simd", 12, r"power of two in 1..256"),
    ("usable_fraction", 1.5, r"must be in \(0, 1\]"),
    ("dsp", -1, r"negative"),
    ("dram_gbps", -1, r"key 'dram_gbps' .* is negative"),
    ("dram_gbps", "fast", r"key 'dram_gbps' .* must be int or float"),
    ("dram_source", 3, r"key 'dram_source' .* must be str"),
])
def test_bad_values(key, value, msg):
    with pytest.raises(BoardError, match=msg):
        board_from_dict(_data() | {key: value}, "f.yaml")


def test_not_a_mapping_and_unreadable(tmp_path):
    with pytest.raises(BoardError, match="must be a mapping"):
        board_from_dict([1, 2], "f.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: [unclosed")
    with pytest.raises(BoardError, match="cannot read board profile"):
        load_board(bad)
    with pytest.raises(BoardError, match="does not exist"):
        load_board(tmp_path / "nope.yaml")


def test_keys_cover_dataclass():
    assert set(KEYS) - set(OPTIONAL) == set(_data())


def test_pnr_section_is_checked_and_optional():
    b = load_board("ulx3s")
    assert b.pnr.device == "85k" and b.pnr.lpf_path().is_file()
    assert load_board("pynq-z2").pnr is None
    good = {"device": "85k", "package": "CABGA381", "speed": 6, "lpf": "ulx3s.lpf",
            "pins_source": "x", "oscillator_mhz": 25}
    ecp5 = {**_data(), "family": "ecp5"}
    assert board_from_dict({**ecp5, "pnr": good}).pnr.package == "CABGA381"
    for bad, words in (({**good, "speed": "6"}, "pnr.speed"), ({**good, "route": 1}, "pnr.route"),
                       ({k: v for k, v in good.items() if k != "lpf"}, "pnr.lpf"),
                       ({**good, "lpf": "nope.lpf"}, "nope.lpf")):
        with pytest.raises(BoardError, match=words.replace(".", r"\.")):
            board_from_dict({**ecp5, "pnr": bad})
    with pytest.raises(BoardError, match="ECP5 boards only"):
        board_from_dict({**_data(), "family": "xc7", "pnr": good})


DRAM_GBPS = {"pynq-z2": 2.1, "ultra96-v2": 8.5, "zcu102": 19.2, "zcu104": 19.2, "kv260": 19.2,
             "alveo-u250": 77.0, "ulx3s": 0.33}


@pytest.mark.parametrize("name", sorted(DATASHEET))
def test_dram_bandwidth_from_board_manuals(name):
    b = load_board(name)
    assert b.dram_gbps == DRAM_GBPS[name] and "GB/s" in b.dram_source
    # ZCU102: 19.2 GB/s * 0.8 usable at 200 MHz = 614.4 bits per cycle
    assert b.dram_bits_per_cycle == pytest.approx(b.dram_gbps * 8e9 * b.usable_fraction / b.clock_hz)
    assert "uram" in b.usable() and "uram" in b.totals()


def test_dram_keys_are_required_and_typos_rejected():
    d = _data()
    del d["dram_gbps"]
    with pytest.raises(BoardError, match=r"missing key dram_gbps"):
        board_from_dict(d, "f.yaml")
    with pytest.raises(BoardError, match=r"unknown key 'dram_gbs' \(did you mean 'dram_gbps'\?\)"):
        board_from_dict(_data() | {"dram_gbs": 1.0}, "f.yaml")
    assert board_from_dict(_data() | {"dram_gbps": 0}, "f.yaml").dram_bits_per_cycle == 0


def test_pins_come_from_the_constraint_file():
    p = load_board("ulx3s").pnr
    pins = p.pins()
    assert p.clock_port() == "clk_25mhz" and pins["clk_25mhz"] == "G2"
    assert (pins["uart_rx"], pins["uart_tx"]) == ("M1", "L4")
    assert [pins[f"led[{i}]"] for i in range(8)] == "B2 C2 C1 D2 D1 E2 E1 H3".split()
