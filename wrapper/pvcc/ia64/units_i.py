"""I-unit slots: misc (major 0), deposit (4), shift/test bit (5), multimedia (7).

Each decoder returns ``(op, fields, template)``; see the package docstring.
"""

from __future__ import annotations

from .bits import (
    UNKNOWN,
    nop_break_hint,
    r1_of,
    r2_of,
    r3_of,
    relative,
    sext,
    target21_a,
    x3_of,
    x6_of,
)

_EXTEND = {0x10: "zxt1", 0x11: "zxt2", 0x12: "zxt4", 0x14: "sxt1", 0x15: "sxt2", 0x16: "sxt4",
           0x18: "czx1.l", 0x19: "czx2.l", 0x1C: "czx1.r", 0x1D: "czx2.r"}  # I29


def i_misc(r, addr):  # I-unit major opcode 0
    x3 = x3_of(r)
    if x3 == 7:  # I21 mov to br: b1, r2, wh (21:20), x (22) ret, ih (23), timm9c (32:24)
        if (r >> 20) & 3 == 3:  # reserved hint
            return UNKNOWN
        return "mov.to.br", {"b1": r >> 6 & 7, "r2": r2_of(r), "wh": (r >> 20) & 3,
                             "ret": (r >> 22) & 1, "imp": (r >> 23) & 1,
                             "target": relative(addr, (r >> 24) & 0x1FF, 9)}, "b{b1}=r{r2}"
    if x3 == 3:  # I23 mov pr=r2,mask17: s (36) : mask8c (31:24) : mask7a (12:6), bit 0 = 0
        m = ((r >> 20) & 0x10000) | (((r >> 24) & 0xFF) << 8) | (((r >> 6) & 0x7F) << 1)
        return "mov.to.pr", {"r2": r2_of(r), "mask": sext(m, 17) & ((1 << 64) - 1)}, (
            "pr=r{r2},{mask}")
    if x3 == 2:  # I24 mov pr.rot=imm44: s (36) : imm27a (32:6), shifted left by 16
        imm = sext(((r >> 9) & 0x8000000) | ((r >> 6) & 0x7FFFFFF), 28) << 16
        return "mov.to.pr.rot", {"imm": imm & ((1 << 64) - 1)}, "pr.rot={imm}"
    if x3 == 1:  # I20 chk.s.i r2,target25
        return "chk.s.i", {"r2": r2_of(r), "target": target21_a(r, addr)}, "r{r2},{target}"
    if x3:
        return UNKNOWN
    x6 = x6_of(r)
    if x6 <= 1:  # I19 break.i, I18 nop.i/hint.i
        return nop_break_hint(r, x6)
    if x6 in _EXTEND:
        return _EXTEND[x6], {"r1": r1_of(r), "r3": r3_of(r)}, "r{r1}=r{r3}"
    if x6 == 0x0A:  # I27 mov.i ar3=imm8
        return "mov.to.ar", {"ar": r3_of(r), "imm": sext(((r >> 29) & 0x80) | r2_of(r), 8)}, (
            "{ar}={imm}")
    if x6 == 0x2A:  # I26
        return "mov.to.ar", {"ar": r3_of(r), "r2": r2_of(r)}, "{ar}=r{r2}"
    if x6 == 0x32:  # I28
        return "mov.from.ar", {"r1": r1_of(r), "ar": r3_of(r)}, "r{r1}={ar}"
    if x6 == 0x31:  # I22 mov r1=b2
        return "mov.from.br", {"r1": r1_of(r), "b2": (r >> 13) & 7}, "r{r1}=b{b2}"
    if x6 == 0x30:  # I25
        return "mov.from.ip", {"r1": r1_of(r)}, "r{r1}=ip"
    if x6 == 0x33:  # I25
        return "mov.from.pr", {"r1": r1_of(r)}, "r{r1}=pr"
    return UNKNOWN


def i_dep_reg(r, addr):  # I15 (major 4) dep r1=r2,r3,pos,len4: cpos6d (36:31), len4d (30:27)
    return "dep", {"r1": r1_of(r), "r2": r2_of(r), "r3": r3_of(r),
                   "pos": 63 - ((r >> 31) & 0x3F), "len": ((r >> 27) & 0xF) + 1}, (
        "r{r1}=r{r2},r{r3},{pos},{len}")


# I16/I17: (ta (33), tb (36), c (12)) -> (relation, type)
_TEST = {(0, 0, 0): ("z", ""), (0, 0, 1): ("z", "unc"), (0, 1, 0): ("z", "and"),
         (0, 1, 1): ("nz", "and"), (1, 0, 0): ("z", "or"), (1, 0, 1): ("nz", "or"),
         (1, 1, 0): ("z", "or.andcm"), (1, 1, 1): ("nz", "or.andcm")}


def _test_bit(r, addr):  # I16 tbit, I17 tnat, tf (x2 0)
    rel, ctype = _TEST[((r >> 33) & 1, (r >> 36) & 1, (r >> 12) & 1)]
    f = {"p1": (r >> 6) & 0x3F, "p2": x6_of(r), "rel": rel, "ctype": ctype}
    suffix = f".{rel}" + (f".{ctype}" if ctype else "")
    if not (r >> 13) & 1:  # I16 tbit p1,p2=r3,pos6b (19:14)
        f.update(r3=r3_of(r), pos=(r >> 14) & 0x3F)
        return "tbit" + suffix, f, "p{p1},p{p2}=r{r3},{pos}"
    if (r >> 19) & 1:  # tf p1,p2=imm5b (18:14), an immediate 32..63
        f["imm"] = 32 + ((r >> 14) & 0x1F)
        return "tf" + suffix, f, "p{p1},p{p2}={imm}"
    f["r3"] = r3_of(r)  # I17 tnat p1,p2=r3
    return "tnat" + suffix, f, "p{p1},p{p2}=r{r3}"


def i_shift(r, addr):  # I-unit major opcode 5
    x2, x = (r >> 34) & 3, (r >> 33) & 1
    if x2 == 0:
        return _test_bit(r, addr)
    length = x6_of(r) + 1  # len6d (32:27) = len - 1
    if x2 == 1 and x == 0:  # I11 extr/extr.u r1=r3,pos6b (19:14),len6d
        return ("extr" if (r >> 13) & 1 else "extr.u"), {
            "r1": r1_of(r), "r3": r3_of(r), "pos": (r >> 14) & 0x3F, "len": length}, (
            "r{r1}=r{r3},{pos},{len}")
    if x2 == 1:  # I12/I13 dep.z: cpos6c (25:20) = 63 - pos
        f = {"r1": r1_of(r), "pos": 63 - ((r >> 20) & 0x3F), "len": length}
        if (r >> 26) & 1:  # I13: imm8 = s (36) : imm7b (19:13)
            f["imm"] = sext(((r >> 29) & 0x80) | r2_of(r), 8)
            return "dep.z", f, "r{r1}={imm},{pos},{len}"
        f["r2"] = r2_of(r)
        return "dep.z", f, "r{r1}=r{r2},{pos},{len}"
    if x2 == 3 and x == 0:  # I10 shrp r1=r2,r3,count6d (32:27)
        return "shrp", {"r1": r1_of(r), "r2": r2_of(r), "r3": r3_of(r), "count": x6_of(r)}, (
            "r{r1}=r{r2},r{r3},{count}")
    if x2 == 3:  # I14 dep r1=imm1,r3,pos,len6d: imm1 = s (36), cpos6b (19:14)
        return "dep", {"r1": r1_of(r), "imm": -((r >> 36) & 1), "r3": r3_of(r),
                       "pos": 63 - ((r >> 14) & 0x3F), "len": length}, (
            "r{r1}={imm},r{r3},{pos},{len}")
    return UNKNOWN


_RRR = "r{r1}=r{r2},r{r3}"
_PMPYSHR_COUNT = (0, 7, 15, 16)
# I1-I9 (major 7, ve (32) 0): (za (36), zb (33), x2a (35:34), x2b (29:28), x2c (31:30))
# -> (op, shape); shapes: "rrr" r1=r2,r3; "r32" r1=r3,r2 (shift by register); "r3c" r1=r3,count5b;
# "r2c" r1=r2,count from ccount5c; "r3" r1=r3; "mux1"/"mux2"; "pmpyshr" r1=r2,r3,count2.
_MM = {
    (0, 1, 2, 1, 3): ("pmpy2.r", "rrr"), (0, 1, 2, 3, 3): ("pmpy2.l", "rrr"),
    (0, 0, 2, 0, 2): ("mix1.r", "rrr"), (0, 1, 2, 0, 2): ("mix2.r", "rrr"),
    (1, 0, 2, 0, 2): ("mix4.r", "rrr"), (0, 0, 2, 2, 2): ("mix1.l", "rrr"),
    (0, 1, 2, 2, 2): ("mix2.l", "rrr"), (1, 0, 2, 2, 2): ("mix4.l", "rrr"),
    (0, 1, 2, 0, 0): ("pack2.uss", "rrr"), (0, 1, 2, 2, 0): ("pack2.sss", "rrr"),
    (1, 0, 2, 2, 0): ("pack4.sss", "rrr"),
    (0, 0, 2, 0, 1): ("unpack1.h", "rrr"), (0, 1, 2, 0, 1): ("unpack2.h", "rrr"),
    (1, 0, 2, 0, 1): ("unpack4.h", "rrr"), (0, 0, 2, 2, 1): ("unpack1.l", "rrr"),
    (0, 1, 2, 2, 1): ("unpack2.l", "rrr"), (1, 0, 2, 2, 1): ("unpack4.l", "rrr"),
    (0, 0, 2, 1, 0): ("pmin1.u", "rrr"), (0, 0, 2, 1, 1): ("pmax1.u", "rrr"),
    (0, 1, 2, 3, 0): ("pmin2", "rrr"), (0, 1, 2, 3, 1): ("pmax2", "rrr"),
    (0, 0, 2, 3, 2): ("psad1", "rrr"),
    (0, 0, 3, 2, 2): ("mux1", "mux1"), (0, 1, 3, 2, 2): ("mux2", "mux2"),
    (0, 1, 0, 2, 0): ("pshr2", "r32"), (1, 0, 0, 2, 0): ("pshr4", "r32"),
    (1, 1, 0, 2, 0): ("shr", "r32"), (0, 1, 0, 0, 0): ("pshr2.u", "r32"),
    (1, 0, 0, 0, 0): ("pshr4.u", "r32"), (1, 1, 0, 0, 0): ("shr.u", "r32"),
    (0, 1, 1, 3, 0): ("pshr2", "r3c"), (1, 0, 1, 3, 0): ("pshr4", "r3c"),
    (0, 1, 1, 1, 0): ("pshr2.u", "r3c"), (1, 0, 1, 1, 0): ("pshr4.u", "r3c"),
    (0, 1, 0, 0, 1): ("pshl2", "rrr"), (1, 0, 0, 0, 1): ("pshl4", "rrr"),
    (1, 1, 0, 0, 1): ("shl", "rrr"),
    (1, 0, 0, 1, 3): ("mpy4", "rrr"), (1, 0, 0, 3, 3): ("mpyshl4", "rrr"),
    (0, 1, 3, 1, 1): ("pshl2", "r2c"), (1, 0, 3, 1, 1): ("pshl4", "r2c"),
    (0, 1, 1, 1, 2): ("popcnt", "r3"), (0, 1, 1, 1, 3): ("clz", "r3"),
}
MUX1_TYPES = {0: "@brcst", 8: "@mix", 9: "@shuf", 0xA: "@alt", 0xB: "@rev"}


def i_mm(r, addr):  # I-unit major opcode 7: multimedia shifts, mixes, popcnt
    if (r >> 32) & 1:  # ve
        return UNKNOWN
    za, zb, x2a, x2b, x2c = (r >> 36) & 1, (r >> 33) & 1, (r >> 34) & 3, (r >> 28) & 3, (
        (r >> 30) & 3)
    if (za, zb, x2a) == (0, 1, 0) and x2b in (1, 3):  # I1 pmpyshr2 r1=r2,r3,count2 (x2c)
        return ("pmpyshr2" if x2b == 3 else "pmpyshr2.u"), {
            "r1": r1_of(r), "r2": r2_of(r), "r3": r3_of(r), "count": _PMPYSHR_COUNT[x2c]}, (
            "r{r1}=r{r2},r{r3},{count}")
    found = _MM.get((za, zb, x2a, x2b, x2c))
    if found is None:
        return UNKNOWN
    op, shape = found
    if shape == "rrr":
        return op, {"r1": r1_of(r), "r2": r2_of(r), "r3": r3_of(r)}, _RRR
    if shape == "r32":
        return op, {"r1": r1_of(r), "r3": r3_of(r), "r2": r2_of(r)}, "r{r1}=r{r3},r{r2}"
    if shape == "r3c":  # I6: count5b (18:14)
        return op, {"r1": r1_of(r), "r3": r3_of(r), "count": (r >> 14) & 0x1F}, (
            "r{r1}=r{r3},{count}")
    if shape == "r2c":  # I8: ccount5c (24:20) = 31 - count
        return op, {"r1": r1_of(r), "r2": r2_of(r), "count": 31 - ((r >> 20) & 0x1F)}, (
            "r{r1}=r{r2},{count}")
    if shape == "r3":  # I9
        return op, {"r1": r1_of(r), "r3": r3_of(r)}, "r{r1}=r{r3}"
    if shape == "mux1":  # I3: mbtype4 (23:20)
        mbtype = (r >> 20) & 0xF
        if mbtype not in MUX1_TYPES:
            return UNKNOWN
        return op, {"r1": r1_of(r), "r2": r2_of(r), "mbtype": mbtype}, "r{r1}=r{r2},{mbtype}"
    # I4 mux2: mhtype8 (27:20)
    return op, {"r1": r1_of(r), "r2": r2_of(r), "mhtype": (r >> 20) & 0xFF}, (
        "r{r1}=r{r2},{mhtype}")
