"""Integer ALU, shift, bit-field, compare and multimedia semantics (A and I units)."""

from __future__ import annotations

import re

from .gen import Unimplemented, gd, on_nat, pd, propagate_nat, sext, signed


def _src2(i) -> str:
    """The second operand: r2 or an immediate (A3/A8/A4 forms)."""
    fl = i.fields
    if "r2" in fl:
        return f"g[{fl['r2']}]"
    return f"{fl['imm'] & ((1 << 64) - 1):#x}"


@on_nat(propagate_nat)
def add(i, c):
    fl = i.fields
    return [f"{gd(fl['r1'])} = (g[{fl['r2']}] + g[{fl['r3']}]{' + 1' if fl.get('carry') else ''}) & M"]


@on_nat(propagate_nat)
def sub(i, c):
    fl = i.fields
    extra = " - 1" if fl.get("carry") else ""
    return [f"{gd(fl['r1'])} = ({_src2(i)} - g[{fl['r3']}]{extra}) & M"]


@on_nat(propagate_nat)
def logic(i, c):
    fl = i.fields
    a = _src2(i)
    b = f"g[{fl['r3']}]"
    expr = {"and": f"{a} & {b}", "or": f"{a} | {b}", "xor": f"{a} ^ {b}",
            "andcm": f"{a} & ({b} ^ M)"}[i.op]
    return [f"{gd(fl['r1'])} = {expr}"]


@on_nat(propagate_nat)
def adds(i, c):
    fl = i.fields
    if fl["imm"] == 0:  # mov r1=r3
        return [f"{gd(fl['r1'])} = g[{fl['r3']}] + 0"]
    return [f"{gd(fl['r1'])} = ({fl['imm'] & ((1 << 64) - 1):#x} + g[{fl['r3']}]) & M"]


@on_nat(propagate_nat)
def movl(i, c):
    return [f"{gd(i.fields['r1'])} = {i.fields['imm'] & ((1 << 64) - 1):#x}"]


def _p4(expr: str, base: str) -> str:
    return f"((({expr}) & 0xFFFFFFFF) | ((({base}) >> 30) & 3) << 61)"


@on_nat(propagate_nat)
def addp4(i, c):
    fl = i.fields
    b = f"g[{fl['r3']}]"
    return [f"{gd(fl['r1'])} = {_p4(_src2(i) + ' + ' + b, b)}"]


@on_nat(propagate_nat)
def shladd(i, c):
    fl = i.fields
    b = f"g[{fl['r3']}]"
    s = f"(g[{fl['r2']}] << {fl['count']}) + {b}"
    if i.op == "shladdp4":
        return [f"{gd(fl['r1'])} = {_p4(s, b)}"]
    return [f"{gd(fl['r1'])} = ({s}) & M"]


@on_nat(propagate_nat)
def shift(i, c):
    """shl r1=r2,r3 / shr[.u] r1=r3,r2 (by register) and the immediate pseudo-forms."""
    fl = i.fields
    d = gd(fl["r1"])
    if "count" in fl or "imm" in fl:  # immediate count (if the decoder names it so)
        n = fl.get("count", fl.get("imm"))
        if i.op == "shl":
            return [f"{d} = (g[{fl['r2']}] << {n}) & M"]
        src = f"g[{fl.get('r3', fl.get('r2'))}]"
        if i.op == "shr.u":
            return [f"{d} = {src} >> {n}"]
        return [f"{d} = ({signed(src)} >> {n}) & M"]
    if i.op == "shl":
        return [f"_n = g[{fl['r3']}]", f"{d} = (g[{fl['r2']}] << _n) & M if _n < 64 else 0"]
    if i.op == "shr.u":
        return [f"_n = g[{fl['r2']}]", f"{d} = g[{fl['r3']}] >> _n if _n < 64 else 0"]
    src = signed(f"g[{fl['r3']}]")
    return [f"_n = g[{fl['r2']}]", f"{d} = ({src} >> min(_n, 63)) & M"]


@on_nat(propagate_nat)
def extr(i, c):
    fl = i.fields
    pos, ln = fl["pos"], fl["len"]
    src = f"(g[{fl['r3']}] >> {pos})" if pos else f"g[{fl['r3']}]"
    if i.op == "extr.u":
        return [f"{gd(fl['r1'])} = {src} & {(1 << ln) - 1:#x}"]
    bits = min(ln, 64 - pos)  # a field reaching past bit 63 takes its sign from bit 63
    return [f"{gd(fl['r1'])} = {sext(src, bits) if bits < 64 else src}"]


@on_nat(propagate_nat)
def dep(i, c):
    fl = i.fields
    pos, ln = fl["pos"], fl["len"]
    ln = min(ln, 64 - pos)
    m = ((1 << ln) - 1) << pos
    d = gd(fl["r1"])
    if i.op == "dep.z":
        if "imm" in fl:
            return [f"{d} = {((fl['imm'] << pos) & m):#x}"]
        return [f"{d} = (g[{fl['r2']}] << {pos}) & {m:#x}"]
    # dep r1=r2,r3,pos,len (I15) or dep r1=imm1,r3,pos,len (I14)
    if "imm" in fl:
        ins = f"{((fl['imm'] << pos) & m):#x}"
    else:
        ins = f"((g[{fl['r2']}] << {pos}) & {m:#x})"
    return [f"{d} = (g[{fl['r3']}] & {(m ^ ((1 << 64) - 1)):#x}) | {ins}"]


@on_nat(propagate_nat)
def ext(i, c):
    fl = i.fields
    bits = {"1": 8, "2": 16, "4": 32}[i.op[-1]]
    src = f"g[{fl['r3']}]"
    if i.op.startswith("zxt"):
        return [f"{gd(fl['r1'])} = {src} & {(1 << bits) - 1:#x}"]
    return [f"{gd(fl['r1'])} = {sext(src, bits)}"]


@on_nat(propagate_nat)
def popcnt(i, c):
    fl = i.fields
    return [f"{gd(fl['r1'])} = g[{fl['r3']}].bit_count()"]


@on_nat(propagate_nat)
def shrp(i, c):
    fl = i.fields
    n = fl["count"]
    return [f"{gd(fl['r1'])} = ((g[{fl['r2']}] << 64 | g[{fl['r3']}]) >> {n}) & M"]


@on_nat(propagate_nat)
def mux(i, c):
    fl = i.fields
    d = gd(fl["r1"])
    src = f"g[{fl['r2']}]"
    if i.op == "mux2":
        t = fl["mhtype"]
        parts = [f"((_a >> {16 * ((t >> (2 * k)) & 3)}) & 0xFFFF) << {16 * k}" for k in range(4)]
        return [f"_a = {src}", f"{d} = " + " | ".join(parts)]
    mb = fl["mbtype"]
    order = {0: [0] * 8, 0xB: list(range(7, -1, -1))}.get(mb)  # @brcst, @rev
    if order is None:
        raise Unimplemented(f"mux1 type {mb}")
    parts = [f"((_a >> {8 * o}) & 0xFF) << {8 * k}" for k, o in enumerate(order)]
    return [f"_a = {src}", f"{d} = " + " | ".join(parts)]


# -- compares ---------------------------------------------------------------

_CMP_OP = re.compile(r"^(cmp4?|tbit|tnat)((?:\.[a-z]+)*)$")
_RELS = ("eq", "ne", "lt", "le", "gt", "ge", "ltu", "leu", "gtu", "geu", "z", "nz")
_CTYPES = ("unc", "or", "and", "or.andcm", "orcm", "andcm", "and.orcm")


def _cmp_parts(i) -> tuple[str, int, str, str]:
    """(kind, size, relation, ctype) from the fields (rel, ctype, size) or the op name."""
    fl = i.fields
    m = _CMP_OP.match(i.op)
    if not m:
        raise Unimplemented(i.op)
    kind = m.group(1)
    rel, ctype = fl.get("rel"), fl.get("ctype")
    if rel is None or ctype is None:
        parts = [p for p in m.group(2).split(".") if p]
        if parts and parts[0] in _RELS:
            rel = parts.pop(0)
        ctype = ".".join(parts)
    ctype = ctype or ("unc" if fl.get("unc") else "none")
    size = fl.get("size", 4 if kind == "cmp4" else 8)
    if ctype not in (*_CTYPES, "none") or (kind != "tnat" and not rel):
        raise Unimplemented(i.op)
    return kind, size, rel or "", ctype


def _rel_expr(i, kind, size, rel) -> str:
    fl = i.fields
    if kind == "tbit":
        bit = f"(g[{fl['r3']}] >> {fl['pos']}) & 1"
        return f"({bit}) == 0" if rel == "z" else f"({bit}) == 1"
    if kind == "tnat":
        t = f"type(g[{fl['r3']}]) is NaT"
        return f"not ({t})" if rel == "z" else t
    a = _src2(i) if ("r2" in fl or "imm" in fl) else "0"
    b = f"g[{fl['r3']}]"
    if size == 4:
        if rel.endswith("u") or rel in ("eq", "ne"):
            a, b = f"({a} & 0xFFFFFFFF)", f"({b} & 0xFFFFFFFF)"
        else:
            a = f"((({a}) & 0xFFFFFFFF ^ 0x80000000) - 0x80000000)"
            b = f"((({b}) & 0xFFFFFFFF ^ 0x80000000) - 0x80000000)"
    elif not rel.endswith("u") and rel not in ("eq", "ne"):
        a, b = signed(a), signed(b)
    op = {"eq": "==", "ne": "!=", "lt": "<", "le": "<=", "gt": ">", "ge": ">=",
          "ltu": "<", "leu": "<=", "gtu": ">", "geu": ">="}[rel]
    return f"{a} {op} {b}"


def _compare_nat(ins, st, nat_regs) -> bool:
    """A NaT source: the normal, .unc, and and andcm types clear both targets,
    the or types leave them (SDM vol. 3, cmp)."""
    ctype = _cmp_parts(ins)[3]
    if ctype in ("none", "unc", "and", "andcm"):
        fl = ins.fields
        st.pr[fl["p1"] or 64] = False
        st.pr[fl["p2"] or 64] = False
    return True


@on_nat(_compare_nat)
def compare(i, c):
    kind, size, rel, ctype = _cmp_parts(i)
    fl = i.fields
    p1, p2 = pd(fl["p1"]), pd(fl["p2"])
    r = _rel_expr(i, kind, size, rel)
    qp = i.qp
    if ctype == "none":
        return [f"_r = {r}", f"{p1} = _r", f"{p2} = not _r"]
    if ctype == "unc":  # runs whatever the predicate: cleared when it is false
        if qp:
            return [f"if pr[{qp}]:", f"    _r = {r}", f"    {p1} = _r", f"    {p2} = not _r",
                    "else:", f"    {p1} = {p2} = False"]
        return [f"_r = {r}", f"{p1} = _r", f"{p2} = not _r"]
    table = {  # (when, value of p1, value of p2)
        "and": ("not", False, False), "or": ("", True, True),
        "or.andcm": ("", True, False), "orcm": ("not", True, True),
        "andcm": ("", False, False), "and.orcm": ("not", False, True),
    }
    when, v1, v2 = table[ctype]
    return [f"if {when} ({r}):", f"    {p1} = {v1}", f"    {p2} = {v2}"]


# -- multimedia (as GCC emits them for integer code) --------------------------

def _lanes32(a: str, b: str, op: str) -> list[str]:
    return [f"_a = {a}", f"_b = {b}",
            f"_lo = ((_a & 0xFFFFFFFF) {op} (_b & 0xFFFFFFFF)) & 0xFFFFFFFF",
            f"_hi = ((_a >> 32) {op} (_b >> 32)) & 0xFFFFFFFF"]


@on_nat(propagate_nat)
def parallel(i, c):
    fl = i.fields
    d = gd(fl["r1"])
    op = i.op
    if op in ("padd4", "psub4"):
        return [*_lanes32(f"g[{fl['r2']}]", f"g[{fl['r3']}]", "+" if op == "padd4" else "-"),
                f"{d} = _hi << 32 | _lo"]
    if op == "pcmp4.eq":
        return [f"_a = g[{fl['r2']}]", f"_b = g[{fl['r3']}]",
                (f"{d} = (0xFFFFFFFF if (_a & 0xFFFFFFFF) == (_b & 0xFFFFFFFF) else 0)"
                " | (0xFFFFFFFF00000000 if _a >> 32 == _b >> 32 else 0)")]
    if op == "pcmp4.gt":
        s = "(({} & 0xFFFFFFFF) ^ 0x80000000)"
        return [f"_a = g[{fl['r2']}]", f"_b = g[{fl['r3']}]",
                (f"{d} = (0xFFFFFFFF if {s.format('_a')} > {s.format('_b')} else 0)"
                f" | (0xFFFFFFFF00000000 if {s.format('(_a >> 32)')} > {s.format('(_b >> 32)')}"
                " else 0)")]
    if op in ("pshr4.u", "pshr4", "pshl4"):
        src = f"g[{fl.get('r2', fl.get('r3'))}]" if op == "pshl4" else f"g[{fl['r3']}]"
        n = fl.get("count")
        cnt = str(n) if n is not None else f"min(g[{fl['r2']}], 32)"
        if op == "pshl4":
            cnt = str(n) if n is not None else f"min(g[{fl['r3']}], 32)"
            return [f"_a = {src}", f"_n = {cnt}",
                    (f"{d} = (((_a >> 32) << _n) & 0xFFFFFFFF) << 32 | (((_a & 0xFFFFFFFF) << _n)"
                    " & 0xFFFFFFFF)")]
        if op == "pshr4.u":
            return [f"_a = {src}", f"_n = {cnt}",
                    f"{d} = ((_a >> 32) >> _n) << 32 | ((_a & 0xFFFFFFFF) >> _n)"]
        return [f"_a = {src}", f"_n = min({cnt}, 31)",
                "_h = (((_a >> 32) ^ 0x80000000) - 0x80000000) >> _n",
                "_l = (((_a & 0xFFFFFFFF) ^ 0x80000000) - 0x80000000) >> _n",
                f"{d} = (_h & 0xFFFFFFFF) << 32 | (_l & 0xFFFFFFFF)"]
    if op in ("pmpy2.r", "pmpy2.l"):
        sh = 0 if op == "pmpy2.r" else 16
        s16 = "(((({} >> {}) & 0xFFFF) ^ 0x8000) - 0x8000)"
        a, b = f"g[{fl['r2']}]", f"g[{fl['r3']}]"
        return [f"_lo = ({s16.format(a, sh)} * {s16.format(b, sh)}) & 0xFFFFFFFF",
                f"_hi = ({s16.format(a, sh + 32)} * {s16.format(b, sh + 32)}) & 0xFFFFFFFF",
                f"{d} = _hi << 32 | _lo"]
    if op == "mix4.l":
        return [f"{d} = (g[{fl['r2']}] & 0xFFFFFFFF00000000) | (g[{fl['r3']}] >> 32)"]
    if op == "mix4.r":
        return [f"{d} = (g[{fl['r2']}] & 0xFFFFFFFF) << 32 | (g[{fl['r3']}] & 0xFFFFFFFF)"]
    if op == "unpack4.l":
        return [f"{d} = (g[{fl['r2']}] & 0xFFFFFFFF) << 32 | (g[{fl['r3']}] & 0xFFFFFFFF)"]
    if op == "unpack4.h":
        return [f"{d} = (g[{fl['r2']}] & 0xFFFFFFFF00000000) | (g[{fl['r3']}] >> 32)"]
    raise Unimplemented(op)


HANDLERS = {
    "add": add, "sub": sub, "and": logic, "or": logic, "xor": logic, "andcm": logic,
    "adds": adds, "addl": adds, "movl": movl, "mov.imm": movl, "addp4": addp4, "shladd": shladd, "shladdp4": shladd,
    "shl": shift, "shr": shift, "shr.u": shift, "extr": extr, "extr.u": extr,
    "dep": dep, "dep.z": dep, "popcnt": popcnt, "shrp": shrp, "mux1": mux, "mux2": mux,
    **{f"{k}xt{n}": ext for k in "sz" for n in "124"},
    **{op: parallel for op in ("padd4", "psub4", "pcmp4.eq", "pcmp4.gt", "pshr4.u", "pshr4",
                               "pshl4", "pmpy2.r", "pmpy2.l", "mix4.l", "mix4.r",
                               "unpack4.l", "unpack4.h")},
}


def family(op: str):
    """Handlers matched by shape rather than exact name (compares)."""
    if _CMP_OP.match(op):
        return compare
    return None


def owns_predicate(i) -> bool:
    """True for the forms whose handler applies the qualifying predicate itself
    (.unc compares: they clear both targets when the predicate is false;
    br.wtop/br.wexit: the predicate decides how the loop goes on)."""
    if i.op.startswith("fcmp."):
        return bool(i.fields.get("unc"))
    if i.op in ("br.wtop", "br.wexit"):  # the predicate is an input of the branch
        return True
    return bool(_CMP_OP.match(i.op)) and _cmp_parts(i)[3] == "unc"
