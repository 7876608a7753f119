"""The user's error channel.

Every mistake a user can make (a bad file, an unsupported op, a board that
does not exist) raises one of these. The CLI prints the message, without a
traceback, and exits with status 2. Messages name the problem *and* the fix.
`assert` is kept for internal invariants only.
"""
from __future__ import annotations


class TritiumError(Exception):
    """Base of all user-facing errors."""


class ModelError(TritiumError):
    """The model file or module cannot be read or is malformed."""


class UnsupportedError(TritiumError):
    """The model uses an op or construct Tritium does not support."""


class QuantizationError(TritiumError):
    """Weights or activations do not match their declared quantization."""


class BoardError(TritiumError):
    """A board profile is unknown, malformed, or too small for the design."""


class DatasetError(TritiumError):
    """A dataset name or file is unusable."""


class ToolError(TritiumError):
    """An external tool (g++, verilator, yosys) is missing or failed."""


class OptionError(TritiumError):
    """A command-line option has a value that breaks a constraint."""
