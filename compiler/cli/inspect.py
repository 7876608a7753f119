"""`tritium inspect MODEL`: layers, types and weight statistics."""
from __future__ import annotations

from .. import schema
from ..ir.stats import model_stats
from .common import add_model_args, console, emit_json, load


def register(sub) -> None:
    p = sub.add_parser("inspect", help="layers, shapes, types and weight statistics of a model")
    add_model_args(p)
    p.add_argument("--simd", "--group-size", dest="simd", type=int, default=16, metavar="S",
                   help="PE lane width S for PE-group density (default 16)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--ir", action="store_true", help="also print the lowered IR")
    p.set_defaults(func=run)


def run(args) -> int:
    from ..errors import OptionError
    from ..ir.printer import format_graph
    if args.simd < 1:
        raise OptionError(f"--simd must be a positive integer, got {args.simd}")
    m = load(args)
    g = m.graph
    stats = model_stats(g, args.simd)
    if args.json:
        d = schema.stamp("inspect", stats.to_dict())
        d.update(model=args.model, simd=args.simd, nodes=[_node(n) for n in g.nodes],
                 requant_error_lsb={n.name: n.attrs.requant.error_lsb for n in g.nodes
                                    if getattr(n.attrs, "requant", None) is not None})
        emit_json(d)
        return 0
    _print(args, g, stats)
    if args.ir:
        print(format_graph(g))
    return 0


def _node(n) -> dict:
    q = n.qtype
    return {"name": n.name, "op": n.op.value, "shape": list(n.shape),
            "type": {"bits": q.bits, "signed": q.signed, "scale": q.scale}}


def _print(args, g, stats) -> None:
    from rich.table import Table
    t = Table(title=f"{args.model}: {len(g.nodes)} nodes, {len(stats.layers)} MAC layers "
                    f"(PE groups at S={args.simd})")
    for col in ("layer", "op", "in", "out", "weights", "params", "zeros", "group density",
                "MACs", "add-only", "requant err (lsb)"):
        t.add_column(col, justify="left" if col in ("layer", "op", "weights") else "right")
    for s in stats.layers:
        rq = g.node(s.name).attrs.requant
        t.add_row(s.name, s.op, "x".join(map(str, s.in_shape)), "x".join(map(str, s.out_shape)),
                  s.weights, f"{s.params:,}", f"{s.zero_fraction:.1%}", f"{s.group_density:.3f}",
                  f"{s.macs:,}", f"{s.adds:,}", f"{rq.error_lsb:.3g}")
    c = console()
    c.print(t)
    kb = stats.weight_bits / 8 / 1024
    c.print(f"parameters {stats.params:,}; weights {stats.weight_bits:,} bits ({kb:,.1f} KiB), "
            f"{stats.fp32_bits / max(stats.weight_bits, 1):.1f}x smaller than fp32; "
            f"ternary {stats.ternary_fraction:.1%} of parameters; "
            f"PE-group density of ternary layers {stats.group_density:.3f}")
    c.print(f"MACs per inference {stats.macs:,}, of which add/sub only {stats.adds:,} "
            f"({stats.adds / max(stats.macs, 1):.1%}); input {g.input.qtype}, output {g.output_node.qtype}")
