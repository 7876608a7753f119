"""Reports (DESIGN §6): `report.json` (versioned), `report.html` (tables and plots), a terminal
summary, and `compare` of several reports side by side."""
from .data import REPORT_SCHEMA_VERSION, build_report, load_report

__all__ = ["REPORT_SCHEMA_VERSION", "build_report", "load_report"]
