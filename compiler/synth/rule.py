"""Issue 12's rule for a whole design: is the synthesized hardware what the report says?

- The total (`"network"`): synthesized LUT and FF within ±15% of the estimate, BRAM18 and
  DSP within ±15% or ±2, whichever is larger.
- Every engine of 1,000 LUT or more (estimated or synthesized, so an engine priced far
  below what it builds is not let off): each resource within ±25% on its own (BRAM18 and
  DSP: ±25% or ±2), so errors of opposite sign in two engines cannot cancel.

The tolerance is a share of the estimate (the report's number is the promise), i.e.
`|synthesized - estimated| <= max(share * estimated, slack)`. Pure: no Yosys, no files;
`bench/synth_vs_estimate.py` and tests use it on a report's `synth` section.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

TOTAL = "network"                 # the report's name for the whole design
RESOURCES = ("lut", "ff", "bram18", "dsp")
TOTAL_SHARE = 0.15
ENGINE_SHARE = 0.25
ENGINE_MIN_LUT = 1000
SLACK = {"bram18": 2, "dsp": 2}   # absolute slack for the block resources


@dataclass(frozen=True)
class Violation:
    scope: str          # TOTAL or an engine name
    resource: str
    estimated: int
    synthesized: int
    allowed: float      # the largest |synthesized - estimated| the rule accepts

    @property
    def ratio(self) -> float | None:
        """estimated / synthesized, as the report gives it (None when nothing was synthesized)."""
        return round(self.estimated / self.synthesized, 3) if self.synthesized else None

    def __str__(self) -> str:
        share = TOTAL_SHARE if self.scope == TOTAL else ENGINE_SHARE
        slack = f" or ±{SLACK[self.resource]}" if self.resource in SLACK else ""
        what = "total" if self.scope == TOTAL else f"engine {self.scope}"
        ratio = "" if self.ratio is None else f", est/syn {self.ratio}"
        return (f"{what} {self.resource.upper()}: synthesized {self.synthesized:,} vs estimated "
                f"{self.estimated:,}{ratio} (allowed ±{share:.0%}{slack} of the estimate)")


def allowed(resource: str, estimated: int, share: float) -> float:
    """The largest |synthesized - estimated| accepted for `resource` at `share`."""
    # rounded: share * estimated is inexact in binary (0.15 * 100 = 15.000000000000002)
    return max(round(share * estimated, 6), SLACK.get(resource, 0))


def check(estimated: Mapping[str, Mapping[str, int]],
          synthesized: Mapping[str, Mapping[str, int]]) -> list[Violation]:
    """Violations of the rule, total first, then engines by name.

    `estimated` and `synthesized` map a scope (TOTAL, or an engine name) to counts by
    resource (`lut`, `ff`, `bram18`, `dsp`; others are ignored). A scope or resource
    missing on one side counts as 0 there; the TOTAL scope must be on both sides.
    """
    for side, doc in (("estimated", estimated), ("synthesized", synthesized)):
        if TOTAL not in doc:
            raise ValueError(f"{side} counts lack the total '{TOTAL}' (have: {', '.join(doc) or 'none'})")
    out = _scope(TOTAL, estimated[TOTAL], synthesized[TOTAL], TOTAL_SHARE)
    for name in sorted((set(estimated) | set(synthesized)) - {TOTAL}):
        est, syn = estimated.get(name, {}), synthesized.get(name, {})
        if is_large(est, syn):
            out += _scope(name, est, syn, ENGINE_SHARE)
    return out


def is_large(estimated: Mapping[str, int], synthesized: Mapping[str, int]) -> bool:
    """Whether an engine is checked on its own: ENGINE_MIN_LUT or more, estimated or synthesized."""
    return max(_count(estimated, "lut"), _count(synthesized, "lut")) >= ENGINE_MIN_LUT


def split(rows: Mapping[str, Mapping[str, Mapping[str, object]]]) -> tuple[dict, dict]:
    """A report's `synth.estimated_vs_synthesized` ({scope: {resource: {"estimated",
    "synthesized", "ratio"}}}) as the (estimated, synthesized) pair `check` takes."""
    est: dict[str, dict[str, int]] = {}
    syn: dict[str, dict[str, int]] = {}
    for scope, row in rows.items():
        est[scope] = {k: _int(v.get("estimated")) for k, v in row.items() if k in RESOURCES}
        syn[scope] = {k: _int(v.get("synthesized")) for k, v in row.items() if k in RESOURCES}
    return est, syn


def _scope(name: str, est: Mapping[str, int], syn: Mapping[str, int], share: float) -> list[Violation]:
    out = []
    for r in RESOURCES:
        e, s = _count(est, r), _count(syn, r)
        limit = allowed(r, e, share)
        if abs(s - e) > limit:
            out.append(Violation(name, r, e, s, limit))
    return out


def _count(counts: Mapping[str, int], resource: str) -> int:
    return _int(counts.get(resource, 0))


def _int(v) -> int:
    if v is None:
        raise ValueError("an estimate is missing (synthesized for another family than the "
                         "board's?); the rule compares a design with its own board's family")
    if isinstance(v, bool) or not isinstance(v, (int, float)) or v < 0:
        raise ValueError(f"resource counts are non-negative numbers, got {v!r}")
    return int(v)
