"""I-unit slots: moves to/from ar, br, pr, ip (major 0), deposit (5)."""

from __future__ import annotations

from .bits import MASK64, UNKNOWN, nop_break_hint, r1_of, r2_of, r3_of, sext, x3_of, x6_of


def i_misc(r, addr):  # I-unit major opcode 0
    x3 = x3_of(r)
    if x3 == 7:  # I21 mov to br: b1, r2, wh (21:20), x (22) ret, ih (23), timm9c (32:24)
        if (r >> 20) & 3 == 3:  # reserved hint
            return UNKNOWN
        tag = (addr + (sext((r >> 24) & 0x1FF, 9) << 4)) & MASK64
        return "mov.to.br", {"b1": r >> 6 & 7, "r2": r2_of(r), "wh": (r >> 20) & 3,
                             "ret": (r >> 22) & 1, "imp": (r >> 23) & 1, "target": tag}
    if x3 == 3:  # I23 mov pr=r2,mask17: s (36) : mask8c (31:24) : mask7a (12:6), bit 0 = 0
        m = ((r >> 20) & 0x10000) | (((r >> 24) & 0xFF) << 8) | (((r >> 6) & 0x7F) << 1)
        return "mov.to.pr", {"r2": r2_of(r), "mask": sext(m, 17) & ((1 << 64) - 1)}
    if x3:
        return UNKNOWN
    x6 = x6_of(r)
    if x6 <= 1:  # I19 break.i, I18 nop.i/hint.i
        return nop_break_hint(r, x6)
    if x6 == 0x0A:  # I27 mov.i ar3=imm8
        return "mov.to.ar", {"ar": r3_of(r), "imm": sext(((r >> 29) & 0x80) | r2_of(r), 8)}
    if x6 == 0x2A:  # I26
        return "mov.to.ar", {"ar": r3_of(r), "r2": r2_of(r)}
    if x6 == 0x32:  # I28
        return "mov.from.ar", {"r1": r1_of(r), "ar": r3_of(r)}
    if x6 == 0x31:  # I22 mov r1=b2
        return "mov.from.br", {"r1": r1_of(r), "b2": (r >> 13) & 7}
    if x6 == 0x30:  # I25
        return "mov.from.ip", {"r1": r1_of(r)}
    if x6 == 0x33:  # I25
        return "mov.from.pr", {"r1": r1_of(r)}
    return UNKNOWN


def i_dep(r, addr):  # I-unit major opcode 5: only dep.z (I12 reg, I13 imm8)
    if (r >> 33) & 7 != 3:  # x2 (35:34) = 1, x (33) = 1 (bit 36: I13 sign, else ignored)
        return UNKNOWN
    # len6d (32:27) = len - 1, cpos6c (25:20) = 63 - pos
    f = {"r1": r1_of(r), "pos": 63 - ((r >> 20) & 0x3F), "len": x6_of(r) + 1}
    if (r >> 26) & 1:  # I13: imm8 = s (36) : imm7b (19:13)
        f["imm"] = sext(((r >> 29) & 0x80) | r2_of(r), 8)
    else:
        f["r2"] = r2_of(r)
    return "dep.z", f
