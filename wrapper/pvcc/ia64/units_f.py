"""F-unit slots: floating-point misc (major 0), compare (4), multiply-add (8-0xD),
integer multiply-add and select (0xE).

Each decoder returns ``(op, fields, template)``; see the package docstring.  The F-unit
register fields are f4 (33:27), f3 (26:20), f2 (19:13), f1 (12:6); sf (35:34) selects
the FPSR status field.
"""

from __future__ import annotations

from .bits import UNKNOWN, nop_break_hint, x6_of


def _f(r) -> dict:
    return {"f1": (r >> 6) & 0x7F, "f2": (r >> 13) & 0x7F, "f3": (r >> 20) & 0x7F}


# F8-F11 (major 0, x (33) 0): x6 -> (op, uses sf, template)
_F_MISC = {
    0x10: ("fmerge.s", False), 0x11: ("fmerge.ns", False), 0x12: ("fmerge.se", False),
    0x14: ("fmin", True), 0x15: ("fmax", True), 0x16: ("famin", True), 0x17: ("famax", True),
    0x28: ("fpack", False), 0x2C: ("fand", False), 0x2D: ("fandcm", False),
    0x2E: ("for", False), 0x2F: ("fxor", False),
    0x34: ("fswap", False), 0x35: ("fswap.nl", False), 0x36: ("fswap.nr", False),
    0x39: ("fmix.lr", False), 0x3A: ("fmix.r", False), 0x3B: ("fmix.l", False),
    0x3C: ("fsxt.r", False), 0x3D: ("fsxt.l", False),
}
_F_CVT = {0x18: "fcvt.fx", 0x19: "fcvt.fxu", 0x1A: "fcvt.fx.trunc", 0x1B: "fcvt.fxu.trunc"}


def f_misc(r, addr):  # F-unit major 0
    x6 = x6_of(r)
    sf = (r >> 34) & 3
    if (r >> 33) & 1:  # F6 frcpa (q (36) 0) / F7 frsqrta (q 1): p2 (32:27)
        f = {**_f(r), "p2": x6, "sf": sf}
        if (r >> 36) & 1:
            del f["f2"]
            return "frsqrta", f, "f{f1},p{p2}=f{f3}"
        return "frcpa", f, "f{f1},p{p2}=f{f2},f{f3}"
    if x6 <= 1:  # F15 break.f, F16 nop.f/hint.f
        return nop_break_hint(r, x6)
    if x6 in _F_CVT:  # F10 fcvt.fx*: f1=f2
        return _F_CVT[x6], {"f1": (r >> 6) & 0x7F, "f2": (r >> 13) & 0x7F, "sf": sf}, (
            "f{f1}=f{f2}")
    if x6 == 0x1C:  # F11 fcvt.xf
        return "fcvt.xf", {"f1": (r >> 6) & 0x7F, "f2": (r >> 13) & 0x7F}, "f{f1}=f{f2}"
    entry = _F_MISC.get(x6)
    if entry is None:
        return UNKNOWN
    op, uses_sf = entry
    f = _f(r)
    if uses_sf:
        f["sf"] = sf
    return op, f, "f{f1}=f{f2},f{f3}"


_FCMP_REL = {(0, 0): "eq", (0, 1): "lt", (1, 0): "le", (1, 1): "unord"}  # (ra (33), rb (36))


def f_cmp(r, addr):  # F4 fcmp (major 4): p2 (32:27), ta (12): .unc
    rel = _FCMP_REL[((r >> 33) & 1, (r >> 36) & 1)]
    unc = (r >> 12) & 1
    f = {"p1": (r >> 6) & 0x3F, "p2": x6_of(r), "f2": (r >> 13) & 0x7F, "f3": (r >> 20) & 0x7F,
         "sf": (r >> 34) & 3, "rel": rel, "unc": unc}
    return "fcmp." + rel + (".unc" if unc else ""), f, "p{p1},p{p2}=f{f2},f{f3}"


# F1 (majors 8-0xD): (major, x (36)) -> op
_F1 = {(8, 0): "fma", (8, 1): "fma.s", (9, 0): "fma.d", (9, 1): "fpma",
       (0xA, 0): "fms", (0xA, 1): "fms.s", (0xB, 0): "fms.d", (0xB, 1): "fpms",
       (0xC, 0): "fnma", (0xC, 1): "fnma.s", (0xD, 0): "fnma.d", (0xD, 1): "fpnma"}


def f_fma(r, addr):  # F1: f1 = f3 * f4 + f2 (fms: - f2; fnma: -(f3 * f4) + f2)
    f = {**_f(r), "f4": (r >> 27) & 0x7F, "sf": (r >> 34) & 3}
    return _F1[(r >> 37, (r >> 36) & 1)], f, "f{f1}=f{f3},f{f4},f{f2}"


_XMA = {0: "xma.l", 2: "xma.hu", 3: "xma.h"}  # F2 x2 (35:34)


def f_xma(r, addr):  # major 0xE: F2 xma (x (36) 1), F3 fselect (x 0)
    f = {**_f(r), "f4": (r >> 27) & 0x7F}
    if not (r >> 36) & 1:
        return "fselect", f, "f{f1}=f{f3},f{f4},f{f2}"
    op = _XMA.get((r >> 34) & 3)
    if op is None:
        return UNKNOWN
    return op, f, "f{f1}=f{f3},f{f4},f{f2}"
