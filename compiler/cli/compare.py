"""`tritium compare A.json B.json [...] [--html OUT]`: reports side by side."""
from __future__ import annotations

from ..errors import OptionError


def register(sub) -> None:
    p = sub.add_parser("compare", help="put two or more report.json side by side")
    p.add_argument("reports", nargs="+", metavar="REPORT", help="report.json files")
    p.add_argument("--html", metavar="OUT", help="also write the comparison as an HTML page")
    p.set_defaults(func=run)


def run(args) -> int:
    from ..api import compare
    from .common import console
    if len(args.reports) < 2:
        raise OptionError("compare needs two or more report.json files")
    console().print(compare(args.reports, labels=list(args.reports), html=args.html).table())
    return 0
