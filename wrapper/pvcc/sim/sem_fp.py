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


HANDLERS = {"fmerge.s": fmerge, "fmerge.ns": fmerge, "mov.f": fmerge}


def family(op: str):
    b = _base(op)
    if b in ("xmpy.l", "xmpy.h", "xmpy.hu", "xma.l", "xma.h", "xma.hu"):
        return xmpy
    if b == "fnorm":
        return fnorm
    return None
