"""Atomic file output: a file is either written whole or not at all.

Data goes to a temporary file beside the target and is renamed over it, so
an interrupted or failed run never leaves half a file. Modes follow the
umask (0644 usually), not mkstemp's private 0600. Whole directories are
written by `tritium.codegen.plan.write_plan` on the same principle.
"""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

from .errors import OptionError


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def atomic_write(path: str | Path, data: bytes | str) -> Path:
    path = Path(path)
    if not path.parent.is_dir():
        raise OptionError(f"cannot write '{path}': directory '{path.parent}' does not exist")
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data.encode() if isinstance(data, str) else data)
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path
