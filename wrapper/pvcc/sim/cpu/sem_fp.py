"""Floating-point register semantics as far as integer code uses them (F unit):
integer multiply (xmpy/xma), fnorm, fmerge/mov between FRs."""

from __future__ import annotations

from . import fparith
from .gen import Unimplemented, fd, gd, on_nat, propagate_nat, signed


def _base(op: str) -> str:
    """The op without a status-field completer (.s0-.s3)."""
    parts = op.split(".")
    if parts[-1] in ("s0", "s1", "s2", "s3"):
        parts.pop()
    return ".".join(parts)


@on_nat(propagate_nat)
def xmpy(i, c):
    fl = i.fields
    d = fd(fl["f1"])
    a, b = f"fs[{fl['f3']}]", f"fs[{fl['f4']}]"
    op = _base(i.op)
    add = f" + fs[{fl['f2']}]" if op.startswith("xma") and fl.get("f2") else ""
    addsig = " + " + signed(f"fs[{fl['f2']}]") if add else ""
    kind = op.split(".")[1]
    if kind == "l":
        v = f"({a} * {b}{add}) & M"
    elif kind == "hu":
        v = f"(({a} * {b}{add}) >> 64) & M"
    elif kind == "h":
        v = f"(({signed(a)} * {signed(b)}{addsig}) >> 64) & M"
    else:
        raise Unimplemented(i.op)
    return [f"fs[{d}] = {v}", f"fe[{d}] = 0x1003E"]


@on_nat(propagate_nat)
def fnorm(i, c):
    fl = i.fields
    d = fd(fl["f1"])
    f3 = fl["f3"]
    return [f"_s = fs[{f3}]", f"_e = fe[{f3}]",
            "if _e & 0x1FFFF == 0x1FFFF:", f"    fs[{d}] = _s", f"    fe[{d}] = _e",
            "elif _s == 0:", f"    fs[{d}] = 0", f"    fe[{d}] = _e & 0x20000",
            "else:", "    _n = 64 - _s.bit_length()",
            f"    fs[{d}] = (_s << _n) & M", f"    fe[{d}] = (_e & 0x20000) | ((_e & 0x1FFFF) - _n)"]


def _fma_call(i, c, neg_prod: bool, neg_add: bool, prec: str) -> list[str]:
    fl = i.fields
    d = fd(fl["f1"])

    def reg(n):
        return f"(fs[{n}], fe[{n}])"

    return [(f"fs[{d}], fe[{d}] = FP_FMA({reg(fl['f3'])}, {reg(fl['f4'])}, {reg(fl['f2'])}, "
            f"{neg_prod}, {neg_add}, {prec!r}, {fl.get('sf', 0)}, ar[40])")]


@on_nat(propagate_nat)
def fma(i, c):
    """fma/fms/fnma (.s .d): f1 = +-(f3 * f4) +- f2, rounded once.  fnorm (a value
    times f1 plus f0 at the register's precision) keeps its fast form."""
    fl = i.fields
    kind, _, prec = _base(i.op).partition(".")
    if (kind == "fma" and not prec and fl.get("f4") == 1 and fl.get("f2") == 0
            and fl.get("sf", 0) in (0, 1)):
        return fnorm(i, c)
    if kind not in ("fma", "fms", "fnma") or prec not in ("", "s", "d"):
        raise Unimplemented(i.op)
    return _fma_call(i, c, kind == "fnma", kind == "fms", prec)


def fcmp(i, c):
    fl = i.fields
    p1, p2 = (f"pr[{fl[k] or 64}]" for k in ("p1", "p2"))
    rel = fl.get("rel") or i.op.split(".")[1]
    test = f"FP_CMP((fs[{fl['f2']}], fe[{fl['f2']}]), (fs[{fl['f3']}], fe[{fl['f3']}]), {rel!r})"
    body = [f"_r = {test}", f"{p1} = _r", f"{p2} = not _r"]
    if fl.get("unc") and i.qp:  # .unc: both targets cleared when the predicate is false
        return [f"if pr[{i.qp}]:", *("    " + b for b in body), "else:",
                f"    {p1} = {p2} = False"]
    return body


@on_nat(propagate_nat)
def fcvt_fx(i, c):
    fl = i.fields
    d = fd(fl["f1"])
    signed_ = ".fxu" not in i.op
    trunc = i.op.endswith(".trunc")
    return [(f"fs[{d}] = FP_TO_INT(fs[{fl['f2']}], fe[{fl['f2']}], {signed_}, {trunc}, "
            f"FP_RC(ar[40], {fl.get('sf', 0)}))"), f"fe[{d}] = 0x1003E"]


def frcpa(i, c):
    """frcpa f1,p2=f2,f3: 1/f3 approximated and p2 = 1, or for special operands the
    IEEE quotient f2/f3 and p2 = 0."""
    fl = i.fields
    d = fd(fl["f1"])
    p2 = f"pr[{fl['p2'] or 64}]"
    return [(f"fs[{d}], fe[{d}], {p2} = FP_RCPA((fs[{fl['f2']}], fe[{fl['f2']}]), "
            f"(fs[{fl['f3']}], fe[{fl['f3']}]))")]


@on_nat(propagate_nat)
def fp_memory_format(i, c):
    """ldfs/ldfd, stfs/stfd, setf.s/.d and getf.s/.d: single and double precision."""
    fl = i.fields
    op = i.op
    size = 4 if op.endswith("s") else 8
    if op.startswith("ldf"):
        d = fd(fl["f1"])
        out = [f"_a = g[{fl['r3']}]", f"fs[{d}], fe[{d}] = FP_FROM_MEM(L{size}(_a), {size})"]
    elif op.startswith("stf"):
        out = [f"_a = g[{fl['r3']}]",
               f"S{size}(_a, FP_TO_MEM(fs[{fl['f2']}], fe[{fl['f2']}], {size}))"]
    elif op.startswith("setf"):
        d = fd(fl["f1"])
        return [(f"fs[{d}], fe[{d}] = FP_FROM_MEM(g[{fl['r2']}] & {(1 << (8 * size)) - 1:#x}, "
                f"{size})")]
    else:
        return [f"{gd(fl['r1'])} = FP_TO_MEM(fs[{fl['f2']}], fe[{fl['f2']}], {size})"]
    if "imm" in fl or "r2" in fl:
        inc = f"g[{fl['r2']}]" if "r2" in fl else f"{fl['imm'] & ((1 << 64) - 1):#x}"
        out.append(f"{gd(fl['r3'])} = (_a + {inc}) & M")
    return out


@on_nat(propagate_nat)
def fbits(i, c):
    """fand/for/fxor/fandcm, fselect, fmerge.se: significand bit operations."""
    fl = i.fields
    d = fd(fl["f1"])
    op = i.op
    if op == "fmerge.se":
        return [f"_e = fe[{fl['f2']}]", f"fs[{d}] = fs[{fl['f3']}]", f"fe[{d}] = _e"]
    if op == "fselect":
        v = f"(fs[{fl['f3']}] & fs[{fl['f2']}]) | (fs[{fl['f4']}] & (fs[{fl['f2']}] ^ M))"
    else:
        a, b = f"fs[{fl['f2']}]", f"fs[{fl['f3']}]"
        v = {"fand": f"{a} & {b}", "for": f"{a} | {b}", "fxor": f"{a} ^ {b}",
             "fandcm": f"{a} & ({b} ^ M)"}[op]
    return [f"fs[{d}] = {v}", f"fe[{d}] = 0x1003E"]


def _fp_fma(a, b, c, neg_prod, neg_add, prec, sf, fpsr):
    fmt, rc = fparith.precision(prec, fpsr, sf)
    return fparith.fma(a, b, c, neg_prod, neg_add, fmt, rc)


def _fp_rcpa(a, b):
    ka, kb = fparith.unpack(*a)[0], fparith.unpack(*b)[0]
    if ka in ("nan", "inf") or kb != "fin":
        return (*_quotient(a, b), False)
    return (*fparith.reciprocal_approx(*b), True)


def _quotient(a, b):
    """The IEEE quotient for frcpa's special operands (NaN, infinity, zero divisor)."""
    ka, sa, _, _ = fparith.unpack(*a)
    kb, sb, _, _ = fparith.unpack(*b)
    for k, x in ((ka, a), (kb, b)):
        if k == "nan":
            return x[0] | (1 << 62), x[1]
    s = sa ^ sb
    if (ka == "inf" and kb == "inf") or (ka == "zero" and kb == "zero"):
        return fparith.NAN_INDEFINITE
    if ka == "inf" or kb == "zero":
        return fparith.INT_BIT, s << 17 | fparith.EXP_SPECIAL
    return 0, s << 17  # finite / infinity


HELPERS = {
    "FP_FMA": _fp_fma, "FP_CMP": fparith.compare, "FP_TO_INT": fparith.to_int,
    "FP_RC": lambda fpsr, sf: fparith.status(fpsr, sf)[1], "FP_RCPA": _fp_rcpa,
    "FP_FROM_MEM": fparith.from_memory, "FP_TO_MEM": fparith.to_memory,
}


@on_nat(propagate_nat)
def fmerge(i, c):
    fl = i.fields
    d = fd(fl["f1"])
    op = i.op
    if op in ("mov", "fmov") or "f2" not in fl:
        return [f"fs[{d}] = fs[{fl['f3']}]", f"fe[{d}] = fe[{fl['f3']}]"]
    if op == "fmerge.s":
        return [f"_e = (fe[{fl['f2']}] & 0x20000) | (fe[{fl['f3']}] & 0x1FFFF)",
                f"fs[{d}] = fs[{fl['f3']}]", f"fe[{d}] = _e"]
    if op == "fmerge.ns":
        return [f"_e = ((fe[{fl['f2']}] ^ 0x20000) & 0x20000) | (fe[{fl['f3']}] & 0x1FFFF)",
                f"fs[{d}] = fs[{fl['f3']}]", f"fe[{d}] = _e"]
    raise Unimplemented(op)


@on_nat(propagate_nat)
def fsxt(i, c):
    """fsxt.l/.r: sign-extend the 32-bit half of f3 with the sign bit of f2's half."""
    fl = i.fields
    d = fd(fl["f1"])
    a, b = f"fs[{fl['f2']}]", f"fs[{fl['f3']}]"
    if i.op == "fsxt.r":
        v = f"(0xFFFFFFFF00000000 if ({a} >> 31) & 1 else 0) | ({b} & 0xFFFFFFFF)"
    else:
        v = f"({b} & 0xFFFFFFFF00000000) | (0xFFFFFFFF if ({a} >> 63) & 1 else 0)"
    return [f"fs[{d}] = {v}", f"fe[{d}] = 0x1003E"]


@on_nat(propagate_nat)
def fcvt_xf(i, c):
    """fcvt.xf: the signed 64-bit integer in f2's significand as a normalized value."""
    fl = i.fields
    d = fd(fl["f1"])
    return [f"_s = fs[{fl['f2']}]", "_neg = _s >> 63", "_m = ((1 << 64) - _s) & M if _neg else _s",
            "if _m == 0:", f"    fs[{d}] = 0", f"    fe[{d}] = 0",
            "else:", "    _n = 64 - _m.bit_length()", f"    fs[{d}] = (_m << _n) & M",
            f"    fe[{d}] = (_neg << 17) | (0x1003E - _n)"]


HANDLERS = {
    "fsxt.l": fsxt, "fsxt.r": fsxt, "fcvt.xf": fcvt_xf, "frcpa": frcpa,
    **{op: fcvt_fx for op in ("fcvt.fx", "fcvt.fxu", "fcvt.fx.trunc", "fcvt.fxu.trunc")},
    **{op: fp_memory_format for op in ("ldfs", "ldfd", "stfs", "stfd", "setf.s", "setf.d",
                                       "getf.s", "getf.d")},
    **{op: fbits for op in ("fand", "for", "fxor", "fandcm", "fselect", "fmerge.se")},"fmerge.s": fmerge, "fmerge.ns": fmerge, "mov.f": fmerge}


def family(op: str):
    b = _base(op)
    if b in ("xmpy.l", "xmpy.h", "xmpy.hu", "xma.l", "xma.h", "xma.hu"):
        return xmpy
    if b == "fnorm":
        return fnorm
    if b in ("fma", "fma.s", "fma.d", "fms", "fms.s", "fms.d", "fnma", "fnma.s", "fnma.d"):
        return fma
    if b.startswith("fcmp."):
        return fcmp
    return None
