"""A-unit instructions (majors 8-0xE in an M or I slot): integer ALU, multimedia ALU, compares.

Each decoder returns ``(op, fields, template)``; see the package docstring.
"""

from __future__ import annotations

from .bits import UNKNOWN, r1_of, r2_of, r3_of, sext, x6_of

_RRR = "r{r1}=r{r2},r{r3}"
_IRR = "r{r1}={imm},r{r3}"

# A1 (x2a 0, ve 0): (x4 (32:29), x2b (28:27)) -> (op, carry)
_A1 = {(0, 0): ("add", 0), (0, 1): ("add", 1), (1, 1): ("sub", 0), (1, 0): ("sub", 1),
       (2, 0): ("addp4", 0),
       (3, 0): ("and", 0), (3, 1): ("andcm", 0), (3, 2): ("or", 0), (3, 3): ("xor", 0)}
# A3 (x2a 0, ve 0): register op immediate8
_A3 = {(9, 1): "sub", (0xB, 0): "and", (0xB, 1): "andcm", (0xB, 2): "or", (0xB, 3): "xor"}
# A9 multimedia (x2a 1): (x4, x2b) -> name without the element size
_A9 = {(0, 0): "padd{}", (0, 1): "padd{}.sss", (0, 2): "padd{}.uuu", (0, 3): "padd{}.uus",
       (1, 0): "psub{}", (1, 1): "psub{}.sss", (1, 2): "psub{}.uuu", (1, 3): "psub{}.uus",
       (2, 2): "pavg{}", (2, 3): "pavg{}.raz", (3, 2): "pavgsub{}",
       (9, 0): "pcmp{}.eq", (9, 1): "pcmp{}.gt"}
_A9_WORDS = {"padd{}", "psub{}", "pcmp{}.eq", "pcmp{}.gt"}  # the only ones with 4-byte elements
_MM_SIZE = {(0, 0): 1, (0, 1): 2, (1, 0): 4}  # (za (36), zb (33)) -> element bytes


def _a_major8(r):
    x2a, x4, x2b = (r >> 34) & 3, (r >> 29) & 0xF, (r >> 27) & 3
    if x2a == 1:  # A9 / A10 multimedia
        size = _MM_SIZE.get(((r >> 36) & 1, (r >> 33) & 1))
        if size is None:
            return UNKNOWN
        if x4 in (4, 6) and size == 2:  # A10 pshladd2/pshradd2 r1=r2,count2,r3
            name = "pshladd2" if x4 == 4 else "pshradd2"
            return name, {"r1": r1_of(r), "r2": r2_of(r), "count": x2b + 1, "r3": r3_of(r)}, (
                "r{r1}=r{r2},{count},r{r3}")
        name = _A9.get((x4, x2b))
        if name is None or (size == 4 and name not in _A9_WORDS):
            return UNKNOWN
        return name.format(size), {"r1": r1_of(r), "r2": r2_of(r), "r3": r3_of(r)}, _RRR
    if (r >> 33) & 1:  # ve
        return UNKNOWN
    if x2a == 0:
        found = _A1.get((x4, x2b))
        if found is not None:  # A1
            name, carry = found
            f = {"r1": r1_of(r), "r2": r2_of(r), "r3": r3_of(r), "carry": carry}
            return name, f, _RRR + (",1" if carry else "")
        if x4 in (4, 6):  # A2 shladd/shladdp4 r1=r2,count2,r3 (count = x2b + 1)
            return ("shladd" if x4 == 4 else "shladdp4"), {
                "r1": r1_of(r), "r2": r2_of(r), "count": x2b + 1, "r3": r3_of(r)}, (
                "r{r1}=r{r2},{count},r{r3}")
        name = _A3.get((x4, x2b))
        if name is None:
            return UNKNOWN
        # A3: imm8 = s (36) : imm7b (19:13)
        imm = sext(((r >> 29) & 0x80) | r2_of(r), 8)
        return name, {"r1": r1_of(r), "imm": imm, "r3": r3_of(r)}, _IRR
    # A4 adds (x2a 2) / addp4 (x2a 3): imm14 = s (36) : imm6d (32:27) : imm7b (19:13)
    imm = sext(((r >> 23) & 0x2000) | (x6_of(r) << 7) | r2_of(r), 14)
    return ("adds" if x2a == 2 else "addp4"), {"r1": r1_of(r), "imm": imm, "r3": r3_of(r)}, _IRR


def _a_addl(r):  # A5 addl: imm22 = s (36) : imm5c (26:22) : imm9d (35:27) : imm7b
    imm = (((r >> 15) & 0x200000) | (((r >> 22) & 0x1F) << 16)
           | (((r >> 27) & 0x1FF) << 7) | r2_of(r))
    return "addl", {"r1": r1_of(r), "imm": sext(imm, 22), "r3": (r >> 20) & 3}, _IRR


_CMP_BASE = {0xC: "lt", 0xD: "ltu", 0xE: "eq"}  # the relation of the normal form
_CMP_PARALLEL = {0xC: "and", 0xD: "or", 0xE: "or.andcm"}
_CMP_ZERO_REL = ("gt", "le", "ge", "lt")  # A7: (ta, c) -> relation of r0 to r3


def _a_cmp(r):
    """A6 (register), A7 (r0 against a register, parallel), A8 (imm8) compares.

    Fields: p1, p2, r3 and r2 (A6, A7 with r2 = 0) or imm (A8); rel (lt ltu eq ne
    gt le ge), size (4 or 8), unc (0/1) and ctype ("", "unc", "and", "or", "or.andcm").
    """
    major = r >> 37
    x2, tb, ta, c = (r >> 34) & 3, (r >> 36) & 1, (r >> 33) & 1, (r >> 12) & 1
    if x2 < 2 and tb:  # A7: only parallel types, r2 must be r0
        if r2_of(r):
            return UNKNOWN
        rel, ctype = _CMP_ZERO_REL[ta * 2 + c], _CMP_PARALLEL[major]
    elif ta:  # A6/A8 parallel: eq (c 0) or ne (c 1)
        rel, ctype = ("ne" if c else "eq"), _CMP_PARALLEL[major]
    else:
        rel, ctype = _CMP_BASE[major], ("unc" if c else "")
    size = 4 if x2 & 1 else 8
    f = {"rel": rel, "size": size, "unc": int(ctype == "unc"), "ctype": ctype,
         "p1": (r >> 6) & 0x3F, "p2": x6_of(r), "r3": r3_of(r)}
    op = ("cmp4." if size == 4 else "cmp.") + rel + ("." + ctype if ctype else "")
    if x2 >= 2:  # A8 immediate form: imm8 = s (36) : imm7b (19:13)
        f["imm"] = sext(((r >> 29) & 0x80) | r2_of(r), 8)
        return op, f, "p{p1},p{p2}={imm},r{r3}"
    f["r2"] = r2_of(r)
    if x2 < 2 and tb:
        return op, f, "p{p1},p{p2}=r0,r{r3}"
    return op, f, "p{p1},p{p2}=r{r2},r{r3}"


def alu(r, addr):
    major = r >> 37
    if major == 8:
        return _a_major8(r)
    if major == 9:
        return _a_addl(r)
    if major in _CMP_BASE:
        return _a_cmp(r)
    return UNKNOWN
