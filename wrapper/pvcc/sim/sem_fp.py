"""Floating-point register semantics as far as integer code uses them (F unit):
integer multiply (xmpy/xma), fnorm, fmerge/mov between FRs."""

from __future__ import annotations

from .gen import Unimplemented, fd, signed


def _base(op: str) -> str:
    """The op without a status-field completer (.s0-.s3)."""
    parts = op.split(".")
    if parts[-1] in ("s0", "s1", "s2", "s3"):
        parts.pop()
    return ".".join(parts)


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


def fnorm(i, c):
    fl = i.fields
    d = fd(fl["f1"])
    f3 = fl["f3"]
    return [f"_s = fs[{f3}]", f"_e = fe[{f3}]",
            "if _s == 0:", f"    fs[{d}] = 0", f"    fe[{d}] = _e & 0x20000",
            "else:", "    _n = 64 - _s.bit_length()",
            f"    fs[{d}] = (_s << _n) & M", f"    fe[{d}] = (_e & 0x20000) | ((_e & 0x1FFFF) - _n)"]


def fma(i, c):
    """fma f1=f3,f4,f2 as integer code uses it: fnorm (f4 = f1 = 1.0, f2 = f0 = +0.0)."""
    fl = i.fields
    if fl.get("f4") == 1 and fl.get("f2") == 0:
        return fnorm(i, c)
    raise Unimplemented(f"{i.op} with f4 != f1 or f2 != f0 (floating-point arithmetic)")


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


def fcvt_xf(i, c):
    """fcvt.xf: the signed 64-bit integer in f2's significand as a normalized value."""
    fl = i.fields
    d = fd(fl["f1"])
    return [f"_s = fs[{fl['f2']}]", "_neg = _s >> 63", "_m = ((1 << 64) - _s) & M if _neg else _s",
            "if _m == 0:", f"    fs[{d}] = 0", f"    fe[{d}] = 0",
            "else:", "    _n = 64 - _m.bit_length()", f"    fs[{d}] = (_m << _n) & M",
            f"    fe[{d}] = (_neg << 17) | (0x1003E - _n)"]


HANDLERS = {
    "fsxt.l": fsxt, "fsxt.r": fsxt, "fcvt.xf": fcvt_xf,"fmerge.s": fmerge, "fmerge.ns": fmerge, "mov.f": fmerge}


def family(op: str):
    b = _base(op)
    if b in ("xmpy.l", "xmpy.h", "xmpy.hu", "xma.l", "xma.h", "xma.hu"):
        return xmpy
    if b == "fnorm":
        return fnorm
    if b in ("fma", "fma.s", "fma.d"):
        return fma
    return None
