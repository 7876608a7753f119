"""An in-memory build plan and the one function that writes it.

`write_plan(plan, outdir)` writes every file into a fresh temporary directory
beside `outdir` and then swaps it into place, so an interrupted or failed run
leaves `outdir` as it was: never half-written. Files of `outdir` that the
plan does not name (another backend's output) are kept.
"""
from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path, PurePosixPath

from ..errors import OptionError

Plan = dict[str, "str | bytes"]


def write_plan(plan: Plan, outdir: str | Path, replace_dirs: tuple[str, ...] = ()) -> Path:
    """Write `plan` under `outdir`. Top-level folders named in `replace_dirs`
    are replaced as a whole (stale files in them disappear)."""
    out = Path(outdir)
    if out.exists() and not out.is_dir():
        raise OptionError(f"output '{out}' exists and is not a directory; choose another -o")
    parent = out.resolve().parent
    if not parent.is_dir():
        raise OptionError(f"cannot create '{out}': its parent directory does not exist")
    for rel in plan:
        p = PurePosixPath(rel)
        assert not p.is_absolute() and ".." not in p.parts, f"plan path escapes outdir: {rel}"
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".tmp", dir=parent))
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o777 & ~umask)  # mkdtemp makes it private; OUTDIR should not be
    old = None
    try:
        if out.is_dir():
            shutil.copytree(out, tmp, dirs_exist_ok=True, symlinks=True)
            for d in replace_dirs:
                shutil.rmtree(tmp / d, ignore_errors=True)
        for rel, content in sorted(plan.items()):
            f = tmp / rel
            f.parent.mkdir(parents=True, exist_ok=True)
            f.write_bytes(content.encode() if isinstance(content, str) else content)
        if out.is_dir():
            old = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".old", dir=parent))
            os.rmdir(old)
            os.rename(out, old)
        os.rename(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        if old is not None and not out.exists():
            os.rename(old, out)
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
    return out
