"""Board profiles: the FPGA a design is compiled for, as validated data.

A profile is a YAML file in `boards/` (or any path) with exactly the keys of
`Board`. Resource counts come from the vendor's data sheet, named in `source`.
`usable_fraction` is the share of every resource the folding search may spend
(the rest is left for the shell, DMA, routing slack); `simd` is the default PE
lane width `S`, which is also the group width compression trains with.
`dram_gbps` is the peak bandwidth of the external memory the PL can stream
weights from (GB/s, from the board manual named in `dram_source`); the
folding search plans with `usable_fraction` of it (the rest is refresh, bus
turnaround, the processor and the input/output DMA). 0 means no external
memory for weights.

Unknown keys, missing keys and wrong types are errors that name the key, the
file and the valid keys: a typo never falls back to a default.
"""
from __future__ import annotations

import difflib
import enum
import re
from dataclasses import dataclass, fields
from pathlib import Path

import yaml

from .errors import BoardError
from .resources import BOARDS

BOARDS_DIR = BOARDS


class Family(enum.Enum):
    """Device family; selects LUT size, DSP width and memory primitives in the cost models."""

    XC7 = "xc7"      # 7-series / Zynq-7000: LUT6, DSP48E1 (25x18), RAMB18
    XCUP = "xcup"    # UltraScale+: LUT6, DSP48E2 (27x18), RAMB18, URAM
    ECP5 = "ecp5"    # Lattice ECP5: LUT4, MULT18X18D, EBR 18Kb


@dataclass(frozen=True)
class Board:
    """One FPGA board: part, resources from the data sheet, defaults for the compiler."""

    name: str
    part: str
    family: Family
    vendor: str
    lut: int
    ff: int
    dsp: int
    bram18: int
    uram: int
    clock_mhz: float
    usable_fraction: float
    simd: int
    source: str
    dram_gbps: float
    dram_source: str
    pnr: Pnr | None = None      # optional: place and route to a bitstream (`tritium build`)

    @property
    def clock_hz(self) -> float:
        return self.clock_mhz * 1e6

    @property
    def dram_bits_per_cycle(self) -> float:
        """Weight bits the external memory delivers per clock cycle, at the usable fraction:
        dram_gbps * 8e9 * usable_fraction / clock_hz."""
        return self.dram_gbps * 8e9 * self.usable_fraction / self.clock_hz

    def usable(self) -> dict[str, int]:
        """Resources the folding search may spend: floor(total * usable_fraction)."""
        return {k: int(getattr(self, k) * self.usable_fraction) for k in RESOURCES}

    def totals(self) -> dict[str, int]:
        return {k: getattr(self, k) for k in RESOURCES}

    def to_json(self) -> dict:
        d = {f.name: getattr(self, f.name) for f in fields(self)}
        d["family"] = self.family.value
        if self.pnr is None:
            del d["pnr"]
        else:
            d["pnr"] = {f.name: getattr(self.pnr, f.name) for f in fields(self.pnr)}
        return d


@dataclass(frozen=True)
class Pnr:
    """How `tritium build` places and routes for the board (the `pnr` key of a profile):
    nextpnr-ecp5's device (`--85k`) and package (`--package CABGA381`), the speed grade,
    the board's pin constraints (`lpf`, a file beside the profile, its pins from the
    published board definition named in `pins_source`) and the oscillator the board top's
    PLL multiplies up to `clock_mhz`."""

    device: str
    package: str
    speed: int
    lpf: str
    pins_source: str
    oscillator_mhz: float

    def lpf_path(self) -> Path:
        """The constraint file: `lpf` as given if absolute, else beside the shipped profiles."""
        return Path(self.lpf) if Path(self.lpf).is_absolute() else BOARDS_DIR / self.lpf

    def pins(self) -> dict[str, str]:
        """{port: site} of the constraint file's `LOCATE COMP "port" SITE "site";` lines:
        the ports a board top must have (`led[0]` is bit 0 of `led`)."""
        text = self.lpf_path().read_text()
        return dict(re.findall(r'LOCATE\s+COMP\s+"([^"]+)"\s+SITE\s+"([^"]+)"\s*;', text))

    def io_types(self) -> dict[str, str]:
        """{port: IO_TYPE} of the constraint file's `IOBUF PORT "port" IO_TYPE=...` lines."""
        text = self.lpf_path().read_text()
        return dict(re.findall(r'IOBUF\s+PORT\s+"([^"]+)"[^;]*?IO_TYPE=(\w+)', text))

    def clock_port(self) -> str:
        """The oscillator's port: the constraint file's `FREQUENCY PORT` line."""
        m = re.search(r'FREQUENCY\s+PORT\s+"([^"]+)"', self.lpf_path().read_text())
        if m is None:
            raise BoardError(f"{self.lpf_path()} has no FREQUENCY PORT line naming the "
                             "oscillator's port")
        return m.group(1)


RESOURCES = ("lut", "ff", "bram18", "dsp", "uram")

_TYPES: dict[str, tuple[type, ...]] = {
    "name": (str,), "part": (str,), "family": (str,), "vendor": (str,), "lut": (int,),
    "ff": (int,), "dsp": (int,), "bram18": (int,), "uram": (int,), "clock_mhz": (int, float),
    "usable_fraction": (int, float), "simd": (int,), "source": (str,),
    "dram_gbps": (int, float), "dram_source": (str,),
}
OPTIONAL = ("pnr",)
KEYS = tuple(f.name for f in fields(Board))
PNR_TYPES: dict[str, tuple[type, ...]] = {
    "device": (str,), "package": (str,), "speed": (int,), "lpf": (str,), "pins_source": (str,),
    "oscillator_mhz": (int, float)}


def known_boards() -> list[str]:
    """Names of the profiles shipped in `boards/`, sorted."""
    return sorted(p.stem for p in BOARDS_DIR.glob("*.yaml"))


def load_board(name_or_path: str | Path) -> Board:
    """A board by name (`zcu102`) or by path to a YAML profile."""
    path = _resolve(str(name_or_path))
    try:
        data = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError) as e:
        raise BoardError(f"cannot read board profile {path}: {e}") from None
    return board_from_dict(data, where=str(path))


def board_from_dict(data: object, where: str = "<dict>") -> Board:
    """Validate a parsed profile into a `Board`; every problem names key, file and valid keys."""
    if not isinstance(data, dict):
        raise BoardError(f"board profile {where} must be a mapping of keys to values; "
                         f"valid keys: {', '.join(KEYS)}")
    _check_keys(data, where)
    for key, value in data.items():
        _check_type(key, value, where)
    return _build(data, where)


def compiled_board(meta: dict) -> Board:
    """The board a compile.json was written for: its `board_profile` (the whole profile,
    so a board given as a YAML path is found again), else the shipped profile by name."""
    if isinstance(meta.get("board_profile"), dict):
        return board_from_dict(meta["board_profile"], where="compile.json's board_profile")
    return load_board(meta["board"])


def _resolve(spec: str) -> Path:
    p = Path(spec)
    if spec.endswith((".yaml", ".yml")) or p.is_file():
        if not p.is_file():
            raise BoardError(f"board profile file {spec} does not exist")
        return p
    candidate = BOARDS_DIR / f"{spec}.yaml"
    if candidate.is_file():
        return candidate
    known = known_boards()
    close = difflib.get_close_matches(spec, known, n=1)
    hint = f"did you mean '{close[0]}'? " if close else ""
    raise BoardError(f"unknown board '{spec}'; {hint}known boards: {', '.join(known)} "
                     "(or give the path of a board YAML file)")


def _check_keys(data: dict, where: str) -> None:
    for key in data:
        if key not in KEYS:
            close = difflib.get_close_matches(str(key), KEYS, n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            raise BoardError(f"unknown key '{key}'{hint} in board profile {where}; "
                             f"valid keys: {', '.join(KEYS)}")
    missing = [k for k in KEYS if k not in data and k not in OPTIONAL]
    if missing:
        raise BoardError(f"missing key{'s' if len(missing) > 1 else ''} {', '.join(missing)} "
                         f"in board profile {where}; valid keys: {', '.join(KEYS)}")


def _check_type(key: str, value: object, where: str) -> None:
    if key == "pnr":
        _check_pnr(value, where)
        return
    types = _TYPES[key]
    if isinstance(value, bool) or not isinstance(value, types):
        kind = " or ".join(t.__name__ for t in types)
        raise BoardError(f"key '{key}' in board profile {where} must be {kind}, "
                         f"got {value!r}; valid keys: {', '.join(KEYS)}")


def _check_pnr(value: object, where: str) -> None:
    valid = ", ".join(PNR_TYPES)
    if not isinstance(value, dict):
        raise BoardError(f"key 'pnr' in board profile {where} must be a mapping with the keys "
                         f"{valid}")
    for key in value:
        if key not in PNR_TYPES:
            raise BoardError(f"unknown key 'pnr.{key}' in board profile {where}; valid keys: {valid}")
    missing = [k for k in PNR_TYPES if k not in value]
    if missing:
        raise BoardError(f"missing key{'s' if len(missing) > 1 else ''} "
                         f"{', '.join('pnr.' + k for k in missing)} in board profile {where}")
    for key, v in value.items():
        if isinstance(v, bool) or not isinstance(v, PNR_TYPES[key]):
            kind = " or ".join(t.__name__ for t in PNR_TYPES[key])
            raise BoardError(f"key 'pnr.{key}' in board profile {where} must be {kind}, got {v!r}")


def _build(data: dict, where: str) -> Board:
    try:
        family = Family(data["family"])
    except ValueError:
        raise BoardError(f"key 'family' in board profile {where} is '{data['family']}'; "
                         f"use one of {', '.join(f.value for f in Family)}") from None
    for key in ("lut", "ff", "dsp", "bram18", "uram"):
        if data[key] < 0:
            raise BoardError(f"key '{key}' in board profile {where} is negative ({data[key]})")
    if not 0 < data["usable_fraction"] <= 1:
        raise BoardError(f"key 'usable_fraction' in board profile {where} must be in (0, 1], "
                         f"got {data['usable_fraction']}")
    if data["clock_mhz"] <= 0:
        raise BoardError(f"key 'clock_mhz' in board profile {where} must be positive")
    if data["dram_gbps"] < 0:
        raise BoardError(f"key 'dram_gbps' in board profile {where} is negative "
                         f"({data['dram_gbps']}); give the external memory's peak GB/s, or 0 for none")
    s = data["simd"]
    if s < 1 or s > 256 or s & (s - 1):
        raise BoardError(f"key 'simd' in board profile {where} must be a power of two in "
                         f"1..256, got {s}")
    pnr = None
    if "pnr" in data:
        p = data["pnr"]
        if family is not Family.ECP5:
            raise BoardError(f"key 'pnr' in board profile {where}: `tritium build` places and "
                             f"routes ECP5 boards only (nextpnr-ecp5); this board is "
                             f"{family.value}")
        if not (BOARDS_DIR / p["lpf"]).is_file() and not Path(p["lpf"]).is_file():
            raise BoardError(f"key 'pnr.lpf' in board profile {where} names {p['lpf']}, which "
                             f"is not in {BOARDS_DIR}")
        pnr = Pnr(**{**p, "oscillator_mhz": float(p["oscillator_mhz"])})
    return Board(**{**data, "family": family, "clock_mhz": float(data["clock_mhz"]),
                    "usable_fraction": float(data["usable_fraction"]),
                    "dram_gbps": float(data["dram_gbps"]), "pnr": pnr})
