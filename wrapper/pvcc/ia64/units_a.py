"""A-unit instructions (majors 8-0xE in an M or I slot): integer ALU and compares."""

from __future__ import annotations

from .bits import UNKNOWN, r1_of, r2_of, r3_of, sext, x6_of

_A1 = {(0, 0): ("add", 0), (0, 1): ("add", 1), (1, 1): ("sub", 0), (1, 0): ("sub", 1),
       (3, 0): ("and", 0), (3, 1): ("andcm", 0), (3, 2): ("or", 0), (3, 3): ("xor", 0)}
_CMP_REL = {0xC: "lt", 0xD: "ltu", 0xE: "eq"}


def alu(r, addr):  # A-unit instructions (major 8-0xE in an M or I slot)
    major = r >> 37
    if major == 8:
        x2a, ve = (r >> 34) & 3, (r >> 33) & 1
        if ve:
            return UNKNOWN
        if x2a == 0:  # A1: x4 (32:29), x2b (28:27)
            found = _A1.get(((r >> 29) & 0xF, (r >> 27) & 3))
            if found is None:
                return UNKNOWN
            name, carry = found
            return name, {"r1": r1_of(r), "r2": r2_of(r), "r3": r3_of(r), "carry": carry}
        if x2a == 2:  # A4 adds: imm14 = s (36) : imm6d (32:27) : imm7b (19:13)
            imm = sext(((r >> 23) & 0x2000) | (x6_of(r) << 7) | r2_of(r), 14)
            return "adds", {"r1": r1_of(r), "imm": imm, "r3": r3_of(r)}
        return UNKNOWN
    if major == 9:  # A5 addl: imm22 = s (36) : imm5c (26:22) : imm9d (35:27) : imm7b
        imm = (((r >> 15) & 0x200000) | (((r >> 22) & 0x1F) << 16)
               | (((r >> 27) & 0x1FF) << 7) | r2_of(r))
        return "addl", {"r1": r1_of(r), "imm": sext(imm, 22), "r3": (r >> 20) & 3}
    rel = _CMP_REL.get(major)
    if rel is None:
        return UNKNOWN
    x2, ta, c = (r >> 34) & 3, (r >> 33) & 1, (r >> 12) & 1
    if ta or (x2 < 2 and (r >> 36) & 1):  # parallel compares (A6/A7 with ta/tb)
        return UNKNOWN
    f = {"rel": rel, "size": 4 if x2 & 1 else 8, "unc": c,
         "p1": (r >> 6) & 0x3F, "p2": x6_of(r), "r3": r3_of(r)}
    if x2 < 2:  # A6 register form
        f["r2"] = r2_of(r)
    else:  # A8 immediate form: imm8 = s (36) : imm7b (19:13)
        f["imm"] = sext(((r >> 29) & 0x80) | r2_of(r), 8)
    return "cmp", f
