"""Identifiers for generated C++, SystemVerilog and Tcl.

Names from a model never reach generated code unsanitized: `Namer` maps each
model name to a unique identifier of `[a-z0-9_]`, starting with a letter,
that is no keyword of C++, SystemVerilog or Tcl, and no name the generated
code itself uses (`reserved`).
"""
from __future__ import annotations

import re

CPP_KEYWORDS = frozenset("""
alignas alignof and and_eq asm auto bitand bitor bool break case catch char char8_t char16_t
char32_t class compl concept const consteval constexpr constinit const_cast continue co_await
co_return co_yield decltype default delete do double dynamic_cast else enum explicit export
extern false float for friend goto if inline int long mutable namespace new noexcept not not_eq
nullptr operator or or_eq private protected public register reinterpret_cast requires return
short signed sizeof static static_assert static_cast struct switch template this thread_local
throw true try typedef typeid typename union unsigned using virtual void volatile wchar_t while
xor xor_eq main std
""".split())

SV_KEYWORDS = frozenset("""
accept_on alias always always_comb always_ff always_latch and assert assign assume automatic
before begin bind bins binsof bit break buf bufif0 bufif1 byte case casex casez cell chandle
checker class clocking cmos config const constraint context continue cover covergroup coverpoint
cross deassign default defparam design disable dist do edge else end endcase endchecker endclass
endclocking endconfig endfunction endgenerate endgroup endinterface endmodule endpackage
endprimitive endprogram endproperty endspecify endsequence endtable endtask enum event
eventually expect export extends extern final first_match for force foreach forever fork
forkjoin function generate genvar global highz0 highz1 if iff ifnone ignore_bins illegal_bins
implements implies import incdir include initial inout input inside instance int integer
interconnect interface intersect join join_any join_none large let liblist library local
localparam logic longint macromodule matches medium modport module nand negedge nettype new
nexttime nmos nor noshowcancelled not notif0 notif1 null or output package packed parameter
pmos posedge primitive priority program property protected pull0 pull1 pulldown pullup
pulsestyle_ondetect pulsestyle_onevent pure rand randc randcase randsequence rcmos real realtime
ref reg reject_on release repeat restrict return rnmos rpmos rtran rtranif0 rtranif1 s_always
s_eventually s_nexttime s_until s_until_with scalared sequence shortint shortreal
showcancelled signed small soft solve specify specparam static string strong strong0 strong1
struct super supply0 supply1 sync_accept_on sync_reject_on table tagged task this throughout
time timeprecision timeunit tran tranif0 tranif1 tri tri0 tri1 triand trior trireg type typedef
union unique unique0 unsigned until until_with untyped use uwire var vectored virtual void wait
wait_order wand weak weak0 weak1 while wildcard wire with within wor xnor xor
""".split())

TCL_WORDS = frozenset("""
after append array break catch cd close concat continue dict else elseif eof error eval exec
exit expr for foreach format global if incr info join lappend lindex list llength load lrange
lreplace lsearch lsort namespace open proc puts read regexp regsub rename return set source
split string subst switch then unset uplevel upvar variable while
""".split())

RESERVED = CPP_KEYWORDS | SV_KEYWORDS | TCL_WORDS


class Namer:
    """Maps model names to unique, safe identifiers, deterministically."""

    def __init__(self, reserved: frozenset[str] | set[str] = frozenset()):
        self._taken = set(RESERVED) | {r.lower() for r in reserved}
        self._map: dict[str, str] = {}

    def __call__(self, name: str) -> str:
        if name not in self._map:
            base = re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_") or "node"
            base = base[:48].rstrip("_")
            if not base[0].isalpha() or base.startswith("ap_"):  # Vitis owns the ap_ prefix
                base = "n_" + base
            ident, i = base, 2
            while ident in self._taken:
                ident, i = f"{base}_{i}", i + 1
            self._taken.add(ident)
            self._map[name] = ident
        return self._map[name]
