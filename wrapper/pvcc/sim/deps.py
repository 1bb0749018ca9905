"""Registers each instruction reads and writes, for the instruction-group check.

Registers are numbered in one space: GR n -> n, PR n -> 128+n, BR n -> 192+n,
AR n -> 200+n, FR n -> 328+n, CR n -> 456+n, PSR -> 584, RR/PKR/... -> 585.
r0, p0, f0 and f1 are never dependencies.  Derived from the operand fields'
roles (r1/p1/p2/b1/f1 written; r2/r3/b2/f2-f4 read) plus the per-op
exceptions below.  Branches may read predicates, branch registers and ar.pfs
written earlier in their group (the SDM's limited RAW for branches); parallel
compares may write the same predicate as other parallel compares.
"""

from __future__ import annotations

GR, PR, BR, AR, FR, CR = 0, 128, 192, 200, 328, 456
PSR, IND = 584, 585
_MASK_PR = ((1 << 64) - 1) << PR


def _bit(n: int) -> int:
    return 1 << n


def _is_branch(op: str) -> bool:
    return op.startswith(("br", "brl", "chk"))


def reads_writes(i) -> tuple[int, int, bool]:
    """(reads, writes, parallel-compare) masks of a decoded instruction."""
    op = i.op
    fl = i.fields
    r = w = 0
    branch = _is_branch(op)
    if i.qp and not branch:
        r |= _bit(PR + i.qp)
    store_like = op.startswith(("st", "mov.to."))
    if "r1" in fl and fl["r1"] and not op.startswith("chk"):
        w |= _bit(GR + fl["r1"])
    elif "r1" in fl and op.startswith("chk.a"):
        r |= _bit(GR + fl["r1"])
    for k in ("r2", "r3"):
        if fl.get(k) and not (op == "addl" and k == "r3" and fl[k] == 0):
            r |= _bit(GR + fl[k])
    if op.startswith(("ld", "st", "lfetch")) and "r3" in fl and (
            "imm" in fl or (op.startswith(("ld", "lfetch")) and "r2" in fl)):
        w |= _bit(GR + fl["r3"])
    for k in ("p1", "p2"):
        if fl.get(k):
            w |= _bit(PR + fl[k])
    if fl.get("b1") is not None and op not in ("mov.from.br",):
        w |= _bit(BR + fl["b1"])
    if fl.get("b2") is not None and not branch:
        r |= _bit(BR + fl["b2"])
    if fl.get("f1", 0) > 1 and not op.startswith("chk"):
        w |= _bit(FR + fl["f1"])
    for k in ("f2", "f3", "f4"):
        if fl.get(k, 0) > 1:
            r |= _bit(FR + fl[k])
    if "ar" in fl:
        if op == "mov.to.ar":
            w |= _bit(AR + fl["ar"])
        else:
            r |= _bit(AR + fl["ar"])
    if "cr" in fl:
        if op == "mov.to.cr":
            w |= _bit(CR + fl["cr"])
        else:
            r |= _bit(CR + fl["cr"])
    if op in ("br.call", "brl.call", "br.call.ind"):
        w |= _bit(AR + 64)
    if op == "alloc":
        r |= _bit(AR + 64)
    if op == "br.cloop":
        r |= _bit(AR + 65)
        w |= _bit(AR + 65)
    if op == "mov.to.pr":
        m = fl["mask"]
        w |= (m & ~1 & ((1 << 64) - 1)) << PR
    if op == "mov.from.pr":
        r |= _MASK_PR & ~_bit(PR)
    if op.startswith("cmpxchg"):
        r |= _bit(AR + 32)
    # st8.spill/ld8.fill touch one ar.unat bit each (chosen by the address):
    # consecutive spills in one group are valid, so they are not tracked.
    if op in ("ssm", "rsm", "sum", "rum", "mov.to.psr.l", "mov.to.psr.um"):
        w |= _bit(PSR)
    if op in ("mov.from.psr", "mov.from.psr.um"):
        r |= _bit(PSR)
    if op.startswith("mov.to.") and op.rsplit(".", 1)[1] in ("rr", "pkr", "dbr", "ibr",
                                                             "pmc", "pmd", "msr"):
        w |= _bit(IND)
    if store_like:
        pass
    parallel = (op.startswith(("cmp", "tbit", "tnat"))
                and any(op.endswith(s) for s in (".or", ".and", ".or.andcm", ".orcm",
                                                 ".andcm", ".and.orcm")))
    return r, w, parallel


def names(mask: int) -> list[str]:
    """Register names of a mask (for messages)."""
    out = []
    n = 0
    while mask:
        if mask & 1:
            if n < PR:
                out.append(f"r{n}")
            elif n < BR:
                out.append(f"p{n - PR}")
            elif n < AR:
                out.append(f"b{n - BR}")
            elif n < FR:
                out.append(f"ar{n - AR}")
            elif n < CR:
                out.append(f"f{n - FR}")
            elif n < PSR:
                out.append(f"cr{n - CR}")
            else:
                out.append("psr" if n == PSR else "rr/pkr/...")
        mask >>= 1
        n += 1
    return out
