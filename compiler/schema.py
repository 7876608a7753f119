"""Schema versions of every JSON document Tritium writes or prints, and the one check.

Each document carries `"schema_version": "MAJOR.MINOR"`. A reader accepts its
own major version and any minor (a newer minor only adds fields, which an
older reader ignores); it rejects a newer major with a message naming the fix.
The rule that keeps this honest (docs/architecture.md, "JSON documents"):
every field added to a document bumps its MINOR, every field removed,
renamed or given new units bumps its MAJOR, in `VERSIONS` below and in the
same commit.

A document written before versions were strings carries an integer `N`
(report.json, schedule.json: 1), read as `N.0`.
"""
from __future__ import annotations

from .errors import ModelError

# kind -> the version this tritium writes.
VERSIONS: dict[str, str] = {
    "report": "1.2",      # OUTDIR/report.json; 1.1: synth section per engine, glue, comparable, fit; 1.2: timing (tritium build)
    "compile": "1.1",     # OUTDIR/compile.json; 1.1: board_profile
    "schedule": "1.0",    # OUTDIR/schedule.json
    "simulate": "1.2",    # `tritium simulate --json`; 1.1: csim hls_include, ap_axi_sdata; 1.2: clamped_inputs
    "compress": "2.0",    # OUT.compress.json; 2.0: accuracies as fractions 0..1 (1: percent, key "version")
    "synth": "1.1",       # OUTDIR/synth.json, `tritium synth --json`; 1.1: engines, glue
    "build": "1.0",       # OUTDIR/build.json, `tritium build --json`
    "inspect": "1.0",     # `tritium inspect --json`
    "boards": "1.0",      # `tritium boards --json`
    "run": "1.0",         # `tritium run --json`
}


class SchemaError(ModelError):
    """A JSON document is of a schema this tritium cannot read."""


def version(kind: str) -> str:
    """The `schema_version` this tritium writes for `kind`."""
    return VERSIONS[kind]


def stamp(kind: str, doc: dict) -> dict:
    """`doc` with `schema_version` first (JSON writers sort keys; the stamp is what matters)."""
    return {"schema_version": VERSIONS[kind], **doc}


def parse(v) -> tuple[int, int]:
    """'1.2' -> (1, 2); an old integer N -> (N, 0)."""
    if isinstance(v, int) and not isinstance(v, bool):
        return v, 0
    if isinstance(v, str):
        major, _, minor = v.partition(".")
        if major.isdigit() and (minor.isdigit() or not minor):
            return int(major), int(minor or 0)
    raise ValueError(f"not a schema version: {v!r}")


def check(kind: str, doc, source: str) -> dict:
    """Return `doc` if this tritium can read it as a `kind` document; else raise
    `SchemaError` naming the fix (`source` names the file in the message)."""
    if not isinstance(doc, dict) or "schema_version" not in doc:
        raise SchemaError(f"{source} is not a tritium {kind} document (no schema_version); "
                          "write it again with this tritium")
    try:
        major, minor = parse(doc["schema_version"])
    except ValueError:
        raise SchemaError(f"{source} has an unreadable schema_version "
                          f"{doc['schema_version']!r}; write it again with this tritium") from None
    ours = parse(VERSIONS[kind])[0]
    if major > ours:
        raise SchemaError(f"{source} was written by a newer tritium (schema {major}.x, this tritium "
                          f"reads {ours}.x); upgrade tritium")
    if major < ours:
        raise SchemaError(f"{source} was written by an older tritium (schema {major}.{minor}, this "
                          f"tritium reads {ours}.x); write it again with this tritium")
    return doc
