"""M-unit slots: system and memory management (majors 0, 1), integer loads, stores and
semaphores (4, 5), floating-point loads (also pairs), stores, setf and lfetch (6, 7).

Each decoder returns ``(op, fields, template)``; see the package docstring.
"""

from __future__ import annotations

import re

from .bits import (
    UNKNOWN,
    nop_break_hint,
    r1_of,
    r2_of,
    r3_of,
    sext,
    target21_a,
    target21_b,
    x3_of,
    x6_of,
)

M_SYS_X4_X2 = {  # M24/M25 (op 0, x3 0): (x4, x2) -> name
    (0xA, 0): "loadrs", (0xC, 0): "flushrs", (0, 1): "invala", (0, 2): "fwb",
    (2, 2): "mf", (3, 2): "mf.a", (0, 3): "srlz.d", (1, 3): "srlz.i", (3, 3): "sync.i",
}
_M44 = {4: "sum", 5: "rum", 6: "ssm", 7: "rsm"}
_CHK_A = {4: ("chk.a.nc", "r{r1},{target}"), 5: ("chk.a.clr", "r{r1},{target}"),  # M22
          6: ("chk.a.nc", "f{f1},{target}"), 7: ("chk.a.clr", "f{f1},{target}")}  # M23


def m_sys(r, addr):  # M-unit major opcode 0
    x3 = x3_of(r)
    if x3 in _CHK_A:
        op, tmpl = _CHK_A[x3]
        key = "r1" if tmpl[0] == "r" else "f1"
        return op, {key: r1_of(r), "target": target21_b(r, addr)}, tmpl
    if x3:
        return UNKNOWN
    x4, x2 = (r >> 27) & 0xF, (r >> 31) & 3
    if x4 in _M44:  # M44: imm24 = i (36) : i2d (32:31) : imm21a (26:6)
        imm = ((r >> 13) & 0x800000) | (x2 << 21) | ((r >> 6) & 0x1FFFFF)
        return _M44[x4], {"imm": imm}, "{imm}"
    if x2 == 0 and x4 in (0, 1):  # M37 break.m, M48 nop.m/hint.m
        return nop_break_hint(r, x4)
    if x2 == 2 and x4 == 8:  # M30 mov.m ar3=imm8
        return "mov.to.ar", {"ar": r3_of(r), "imm": sext(((r >> 29) & 0x80) | r2_of(r), 8)}, (
            "{ar}={imm}")
    if x2 == 1 and x4 == 2:  # M26 invala.e r1
        return "invala.e", {"r1": r1_of(r)}, "r{r1}"
    if x2 == 1 and x4 == 3:  # M27 invala.e f1
        return "invala.e", {"f1": r1_of(r)}, "f{f1}"
    name = M_SYS_X4_X2.get((x4, x2))
    return (name, {}, "") if name else UNKNOWN


IND = ("rr", "dbr", "ibr", "pkr", "pmc", "pmd", "msr")
# M-unit major 1, x3 0: x6 -> (op, template); the fields are the template's placeholders.
_M_MGMT: dict[int, tuple[str, str]] = {}
for _i, _n in enumerate(IND):
    _M_MGMT[0x00 + _i] = ("mov.to." + _n, _n + "[r{r3}]=r{r2}")  # M42
    _M_MGMT[0x10 + _i] = ("mov.from." + _n, "r{r1}=" + _n + "[r{r3}]")  # M43
_M_MGMT.update({
    0x17: ("mov.from.cpuid", "r{r1}=cpuid[r{r3}]"),  # M43
    0x09: ("ptc.l", "r{r3},r{r2}"), 0x0A: ("ptc.g", "r{r3},r{r2}"),  # M45
    0x0B: ("ptc.ga", "r{r3},r{r2}"), 0x0C: ("ptr.d", "r{r3},r{r2}"),
    0x0D: ("ptr.i", "r{r3},r{r2}"),
    0x0E: ("itr.d", "dtr[r{r3}]=r{r2}"), 0x0F: ("itr.i", "itr[r{r3}]=r{r2}"),  # M42
    0x18: ("probe.r", "r{r1}=r{r3},{imm2}"), 0x19: ("probe.w", "r{r1}=r{r3},{imm2}"),  # M39
    0x1A: ("thash", "r{r1}=r{r3}"), 0x1B: ("ttag", "r{r1}=r{r3}"),  # M46
    0x1E: ("tpa", "r{r1}=r{r3}"), 0x1F: ("tak", "r{r1}=r{r3}"),
    0x21: ("mov.from.psr.um", "r{r1}=psr.um"), 0x25: ("mov.from.psr", "r{r1}=psr"),  # M36
    0x22: ("mov.from.ar", "r{r1}={ar}"),  # M31
    0x24: ("mov.from.cr", "r{r1}={cr}"),  # M33
    0x29: ("mov.to.psr.um", "psr.um=r{r2}"), 0x2D: ("mov.to.psr.l", "psr.l=r{r2}"),  # M35
    0x2A: ("mov.to.ar", "{ar}=r{r2}"),  # M29
    0x2C: ("mov.to.cr", "{cr}=r{r2}"),  # M32
    0x2E: ("itc.d", "r{r2}"), 0x2F: ("itc.i", "r{r2}"),  # M41
    0x30: ("fc", "r{r3}"),  # M28 (bit 36 set: fc.i)
    0x31: ("probe.rw.fault", "r{r3},{imm2}"), 0x32: ("probe.r.fault", "r{r3},{imm2}"),  # M40
    0x33: ("probe.w.fault", "r{r3},{imm2}"),
    0x34: ("ptc.e", "r{r3}"),  # M47
    0x38: ("probe.r", "r{r1}=r{r3},r{r2}"), 0x39: ("probe.w", "r{r1}=r{r3},r{r2}"),  # M38
})
_GETTERS = {"r1": r1_of, "r2": r2_of, "r3": r3_of, "ar": r3_of, "cr": r3_of,
            "imm2": lambda r: (r >> 13) & 3}
_M_MGMT_FIELDS = {x6: tuple(re.findall(r"\{(\w+)\}", tmpl)) for x6, (_, tmpl) in _M_MGMT.items()}


def m_mgmt(r, addr):  # M-unit major opcode 1
    x3 = x3_of(r)
    if x3 == 6:  # M34 alloc: sor (30:27, in units of 8), sol (26:20), sof (19:13)
        return "alloc", {"r1": r1_of(r), "sof": r2_of(r), "sol": r3_of(r),
                         "sor": ((r >> 27) & 0xF) * 8}, "r{r1}=ar.pfs,{sof},{sol},{sor}"
    if x3 == 1:  # M20 chk.s.m r2,target25
        return "chk.s.m", {"r2": r2_of(r), "target": target21_a(r, addr)}, "r{r2},{target}"
    if x3 == 3:  # M21 chk.s f2,target25
        return "chk.s", {"f2": r2_of(r), "target": target21_a(r, addr)}, "f{f2},{target}"
    if x3:
        return UNKNOWN
    x6 = x6_of(r)
    entry = _M_MGMT.get(x6)
    if entry is None:
        return UNKNOWN
    name, tmpl = entry
    if name == "fc" and (r >> 36) & 1:
        name = "fc.i"
    return name, {n: _GETTERS[n](r) for n in _M_MGMT_FIELDS[x6]}, tmpl


# Integer loads (M1-M3), x6 (35:30) -> op; stores (M4, M5) likewise.
_LD: dict[int, str] = {}
for _base, _sfx in ((0x00, ""), (0x04, ".s"), (0x08, ".a"), (0x0C, ".sa"), (0x10, ".bias"),
                    (0x14, ".acq"), (0x20, ".c.clr"), (0x24, ".c.nc"), (0x28, ".c.clr.acq")):
    for _k in range(4):
        _LD[_base + _k] = f"ld{1 << _k}{_sfx}"
_LD[0x1B] = "ld8.fill"
_ST = {0x30 + _k: f"st{1 << _k}" for _k in range(4)}
_ST.update({0x34 + _k: f"st{1 << _k}.rel" for _k in range(4)})
_ST[0x3B] = "st8.spill"

# Semaphores and getf (M16, M17, M19: major 4, m 0, x 1), x6 -> (op, template)
_SEM: dict[int, tuple[str, str]] = {}
for _k in range(4):
    _SEM[0x00 + _k] = (f"cmpxchg{1 << _k}.acq", "r{r1}=[r{r3}],r{r2},ar.ccv")
    _SEM[0x04 + _k] = (f"cmpxchg{1 << _k}.rel", "r{r1}=[r{r3}],r{r2},ar.ccv")
    _SEM[0x08 + _k] = (f"xchg{1 << _k}", "r{r1}=[r{r3}],r{r2}")
for _x6, _n in ((0x12, "fetchadd4.acq"), (0x13, "fetchadd8.acq"), (0x16, "fetchadd4.rel"),
                (0x17, "fetchadd8.rel")):
    _SEM[_x6] = (_n, "r{r1}=[r{r3}],{inc}")
for _x6, _n in ((0x1C, "sig"), (0x1D, "exp"), (0x1E, "s"), (0x1F, "d")):
    _SEM[_x6] = ("getf." + _n, "r{r1}=f{f2}")
_FETCHADD_INC = (16, 8, 4, 1)  # i2b (14:13); s (15) negates


def _imm9_b(r):  # M3/M8/M15 post-increment: s (36) : i (27) : imm7b (19:13)
    return sext(((r >> 28) & 0x100) | ((r >> 20) & 0x80) | r2_of(r), 9)


def _imm9_a(r):  # M5/M10 post-increment: s (36) : i (27) : imm7a (12:6)
    return sext(((r >> 28) & 0x100) | ((r >> 20) & 0x80) | r1_of(r), 9)


def _semaphore(r):
    entry = _SEM.get((r >> 30) & 0x3F)
    if entry is None:
        return UNKNOWN
    op, tmpl = entry
    hint = (r >> 28) & 3
    if op.startswith("getf."):
        return op, {"r1": r1_of(r), "f2": r2_of(r)}, tmpl
    if hint == 2:
        return UNKNOWN
    f = {"r1": r1_of(r), "r3": r3_of(r), "hint": hint}
    if op.startswith("fetchadd"):
        inc = _FETCHADD_INC[(r >> 13) & 3]
        f["inc"] = -inc if (r >> 15) & 1 else inc
    else:
        f["r2"] = r2_of(r)
    return op, f, tmpl


def m_ldst(r, addr):  # M-unit major 4: M1/M2 ld, M4 st, M16/M17/M19 semaphores, getf
    m, x = (r >> 36) & 1, (r >> 27) & 1
    if x:
        return _semaphore(r) if not m else UNKNOWN
    # Only the plain hints (none, .nt1, .nta): hint 2 and a non-zero unused
    # field (r2 of a load, r1 of a store) are the ".d2"-".d7" hints of newer
    # processors, which objdump prints and this decoder leaves 'unknown'.
    x6, hint = (r >> 30) & 0x3F, (r >> 28) & 3
    op = _LD.get(x6)
    if op is not None and hint != 2:
        f = {"r1": r1_of(r), "r3": r3_of(r), "hint": hint}
        if m:  # M2: post-increment by r2
            f["r2"] = r2_of(r)
            return op, f, "r{r1}=[r{r3}],r{r2}"
        if not r2_of(r):
            return op, f, "r{r1}=[r{r3}]"
        return UNKNOWN
    op = _ST.get(x6)
    if op is not None and not m and hint in (0, 3) and not r1_of(r):
        return op, {"r3": r3_of(r), "r2": r2_of(r), "hint": hint}, "[r{r3}]=r{r2}"
    return UNKNOWN


def m_ldst_imm(r, addr):  # M-unit major 5: M3 ld / M5 st with post-increment by imm9
    x6, hint = (r >> 30) & 0x3F, (r >> 28) & 3
    op = _LD.get(x6)
    if op is not None and hint != 2:
        return op, {"r1": r1_of(r), "r3": r3_of(r), "imm": _imm9_b(r), "hint": hint}, (
            "r{r1}=[r{r3}],{imm}")
    op = _ST.get(x6)
    if op is not None and hint in (0, 3):
        return op, {"r3": r3_of(r), "r2": r2_of(r), "imm": _imm9_a(r), "hint": hint}, (
            "[r{r3}]=r{r2},{imm}")
    return UNKNOWN


# Floating-point loads (M6-M8) and stores (M9, M10), x6 (35:30) -> op
_LDF: dict[int, str] = {}
for _base, _sfx in ((0x00, ""), (0x04, ".s"), (0x08, ".a"), (0x0C, ".sa"), (0x20, ".c.clr"),
                    (0x24, ".c.nc")):
    for _k, _n in enumerate(("ldfe", "ldf8", "ldfs", "ldfd")):
        _LDF[_base + _k] = _n + _sfx
_LDF[0x1B] = "ldf.fill"
# FP load pairs (M11/M12: x 1): x6 -> op; M12 post-increments by the pair's size
_LDFP: dict[int, str] = {}
for _base, _sfx in ((0x00, ""), (0x04, ".s"), (0x08, ".a"), (0x0C, ".sa"), (0x20, ".c.clr"),
                    (0x24, ".c.nc")):
    for _k, _n in ((1, "ldfp8"), (2, "ldfps"), (3, "ldfpd")):
        _LDFP[_base + _k] = _n + _sfx
_STF = {0x30: "stfe", 0x31: "stf8", 0x32: "stfs", 0x33: "stfd", 0x3B: "stf.spill"}
_LFETCH = {0x2C: "lfetch", 0x2D: "lfetch.excl", 0x2E: "lfetch.fault", 0x2F: "lfetch.fault.excl"}
_SETF = {0x1C: "setf.sig", 0x1D: "setf.exp", 0x1E: "setf.s", 0x1F: "setf.d"}  # M18


def m_fp_ldst(r, addr):  # M-unit major 6: M6/M7 ldf, M9 stf, M13/M14 lfetch, M18 setf
    m, x = (r >> 36) & 1, (r >> 27) & 1
    x6, hint = (r >> 30) & 0x3F, (r >> 28) & 3
    if x:
        if not m and x6 in _SETF:
            return _SETF[x6], {"f1": r1_of(r), "r2": r2_of(r)}, "f{f1}=r{r2}"
        op = _LDFP.get(x6)
        if op is None or hint == 2:
            return UNKNOWN
        f = {"f1": r1_of(r), "f2": r2_of(r), "r3": r3_of(r), "hint": hint}
        if m:  # M12: post-increment by the size of the pair
            f["imm"] = 8 if op.startswith("ldfps") else 16
            return op, f, "f{f1},f{f2}=[r{r3}],{imm}"
        return op, f, "f{f1},f{f2}=[r{r3}]"  # M11
    if x6 in _LFETCH:
        if r1_of(r):
            return UNKNOWN
        if m:  # M14
            return _LFETCH[x6], {"r3": r3_of(r), "r2": r2_of(r), "hint": hint}, "[r{r3}],r{r2}"
        if r2_of(r):
            return UNKNOWN
        return _LFETCH[x6], {"r3": r3_of(r), "hint": hint}, "[r{r3}]"  # M13
    op = _LDF.get(x6)
    if op is not None and hint != 2:
        f = {"f1": r1_of(r), "r3": r3_of(r), "hint": hint}
        if m:  # M7
            f["r2"] = r2_of(r)
            return op, f, "f{f1}=[r{r3}],r{r2}"
        if not r2_of(r):
            return op, f, "f{f1}=[r{r3}]"
        return UNKNOWN
    op = _STF.get(x6)
    if op is not None and not m and hint in (0, 3) and not r1_of(r):
        return op, {"r3": r3_of(r), "f2": r2_of(r), "hint": hint}, "[r{r3}]=f{f2}"  # M9
    return UNKNOWN


def m_fp_ldst_imm(r, addr):  # M-unit major 7: M8 ldf, M10 stf, M15 lfetch with imm9
    x6, hint = (r >> 30) & 0x3F, (r >> 28) & 3
    if x6 in _LFETCH:
        if r1_of(r):
            return UNKNOWN
        return _LFETCH[x6], {"r3": r3_of(r), "imm": _imm9_b(r), "hint": hint}, "[r{r3}],{imm}"
    op = _LDF.get(x6)
    if op is not None and hint != 2:
        return op, {"f1": r1_of(r), "r3": r3_of(r), "imm": _imm9_b(r), "hint": hint}, (
            "f{f1}=[r{r3}],{imm}")
    op = _STF.get(x6)
    if op is not None and hint in (0, 3):
        return op, {"r3": r3_of(r), "f2": r2_of(r), "imm": _imm9_a(r), "hint": hint}, (
            "[r{r3}]=f{f2},{imm}")
    return UNKNOWN
