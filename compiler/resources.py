"""Where the package's data folders are: `hls_templates/` and `boards/`.

In a checkout (and an editable install) they sit beside `compiler/`; a wheel
installs them inside the package (`tritium/hls_templates`, `tritium/boards`,
see pyproject.toml). Every module finds them here, nowhere else.
"""
from __future__ import annotations

from pathlib import Path

PACKAGE = Path(__file__).resolve().parent


def data_dir(name: str) -> Path:
    """The folder `name` (`hls_templates` or `boards`), installed or in the checkout."""
    for base in (PACKAGE, PACKAGE.parent):
        if (base / name).is_dir():
            return base / name
    raise FileNotFoundError(f"tritium's data folder '{name}' is missing from {PACKAGE} and "
                            f"{PACKAGE.parent}; reinstall tritium (pip install .)")


TEMPLATES = data_dir("hls_templates")
BOARDS = data_dir("boards")
