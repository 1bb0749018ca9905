"""M-unit slots: system and memory management (majors 0, 1) and loads/stores (4)."""

from __future__ import annotations

from .bits import UNKNOWN, nop_break_hint, r1_of, r2_of, r3_of, sext, x3_of, x6_of

M_SYS_X4_X2 = {  # M24/M25 (op 0, x3 0): (x4, x2) -> name
    (0xA, 0): "loadrs", (0xC, 0): "flushrs", (0, 1): "invala", (0, 2): "fwb",
    (2, 2): "mf", (3, 2): "mf.a", (0, 3): "srlz.d", (1, 3): "srlz.i", (3, 3): "sync.i",
}
_M44 = {4: "sum", 5: "rum", 6: "ssm", 7: "rsm"}


def m_sys(r, addr):  # M-unit major opcode 0
    if x3_of(r):
        return UNKNOWN
    x4, x2 = (r >> 27) & 0xF, (r >> 31) & 3
    if x4 in _M44:  # M44: imm24 = i (36) : i2d (32:31) : imm21a (26:6)
        imm = ((r >> 13) & 0x800000) | (x2 << 21) | ((r >> 6) & 0x1FFFFF)
        return _M44[x4], {"imm": imm}
    if x2 == 0 and x4 in (0, 1):  # M37 break.m, M48 nop.m/hint.m
        return nop_break_hint(r, x4)
    if x2 == 2 and x4 == 8:  # M30 mov.m ar3=imm8
        return "mov.to.ar", {"ar": r3_of(r), "imm": sext(((r >> 29) & 0x80) | r2_of(r), 8)}
    name = M_SYS_X4_X2.get((x4, x2))
    return (name, {}) if name else UNKNOWN


IND = ("rr", "dbr", "ibr", "pkr", "pmc", "pmd", "msr")
_M_MGMT: dict[int, tuple[str, tuple[str, ...]]] = {}
for _i, _n in enumerate(IND):
    _M_MGMT[0x00 + _i] = ("mov.to." + _n, ("r3", "r2"))  # M42
    _M_MGMT[0x10 + _i] = ("mov.from." + _n, ("r1", "r3"))  # M43
_M_MGMT.update({
    0x17: ("mov.from.cpuid", ("r1", "r3")),  # M43
    0x09: ("ptc.l", ("r3", "r2")), 0x0A: ("ptc.g", ("r3", "r2")),  # M45
    0x0B: ("ptc.ga", ("r3", "r2")), 0x0C: ("ptr.d", ("r3", "r2")),
    0x0D: ("ptr.i", ("r3", "r2")),
    0x0E: ("itr.d", ("r3", "r2")), 0x0F: ("itr.i", ("r3", "r2")),  # M42
    0x18: ("probe.r", ("r1", "r3", "imm2")), 0x19: ("probe.w", ("r1", "r3", "imm2")),  # M39
    0x1A: ("thash", ("r1", "r3")), 0x1B: ("ttag", ("r1", "r3")),  # M46
    0x1E: ("tpa", ("r1", "r3")), 0x1F: ("tak", ("r1", "r3")),
    0x21: ("mov.from.psr.um", ("r1",)), 0x25: ("mov.from.psr", ("r1",)),  # M36
    0x22: ("mov.from.ar", ("r1", "ar")),  # M31
    0x24: ("mov.from.cr", ("r1", "cr")),  # M33
    0x29: ("mov.to.psr.um", ("r2",)), 0x2D: ("mov.to.psr.l", ("r2",)),  # M35
    0x2A: ("mov.to.ar", ("ar", "r2")),  # M29
    0x2C: ("mov.to.cr", ("cr", "r2")),  # M32
    0x2E: ("itc.d", ("r2",)), 0x2F: ("itc.i", ("r2",)),  # M41
    0x30: ("fc", ("r3",)),  # M28 (bit 36 set: fc.i)
    0x31: ("probe.rw.fault", ("r3", "imm2")), 0x32: ("probe.r.fault", ("r3", "imm2")),  # M40
    0x33: ("probe.w.fault", ("r3", "imm2")),
    0x34: ("ptc.e", ("r3",)),  # M47
    0x38: ("probe.r", ("r1", "r3", "r2")), 0x39: ("probe.w", ("r1", "r3", "r2")),  # M38
})
_GETTERS = {"r1": r1_of, "r2": r2_of, "r3": r3_of, "ar": r3_of, "cr": r3_of,
            "imm2": lambda r: (r >> 13) & 3}


def m_mgmt(r, addr):  # M-unit major opcode 1
    x3 = x3_of(r)
    if x3 == 6:  # M34 alloc: sor (30:27, in units of 8), sol (26:20), sof (19:13)
        return "alloc", {"r1": r1_of(r), "sof": r2_of(r), "sol": r3_of(r), "sor": ((r >> 27) & 0xF) * 8}
    if x3:
        return UNKNOWN
    entry = _M_MGMT.get(x6_of(r))
    if entry is None:
        return UNKNOWN
    name, names = entry
    if name == "fc" and (r >> 36) & 1:
        name = "fc.i"
    return name, {n: _GETTERS[n](r) for n in names}


def m_ldst(r, addr):  # M-unit major opcode 4: M1 ld / M4 st, no post-increment
    if (r >> 36) & 1 or (r >> 27) & 1:
        return UNKNOWN
    # Only the plain hints (none, .nt1, .nta): hint 2 and a non-zero unused
    # field (r2 of a load, r1 of a store) are the ".d2"-".d7" hints of newer
    # processors, which objdump prints and this decoder leaves 'unknown'.
    x6, hint = (r >> 30) & 0x3F, (r >> 28) & 3
    if x6 <= 3 and hint != 2 and not r2_of(r):
        return f"ld{1 << x6}", {"r1": r1_of(r), "r3": r3_of(r), "hint": hint}
    if 0x30 <= x6 <= 0x33 and hint in (0, 3) and not r1_of(r):
        return f"st{1 << (x6 - 0x30)}", {"r3": r3_of(r), "r2": r2_of(r), "hint": hint}
    return UNKNOWN
