"""B-unit slots: branches, calls, returns, B8 misc, nop/hint/break.

Each decoder returns ``(op, fields, template)``; see the package docstring.
"""

from __future__ import annotations

from .bits import UNKNOWN, imm21, target21_b, x6_of

WH2 = ("sptk", "spnt", "dptk", "dpnt")  # B1, B3, B4, X3, X4: bits 34:33
WH3 = {1: "sptk", 3: "spnt", 5: "dptk", 7: "dpnt"}  # B5: bits 34:32
PH = ("few", "many")  # bit 12


def br_hints(r) -> dict:
    return {"wh": WH2[(r >> 33) & 3], "p": PH[(r >> 12) & 1], "d": (r >> 35) & 1}


B8 = {0x02: "cover", 0x04: "clrrrb", 0x05: "clrrrb.pr", 0x08: "rfi", 0x0C: "bsw.0",
       0x0D: "bsw.1", 0x10: "epc", 0x18: "vmsw.0", 0x19: "vmsw.1"}
B4 = {(0x20, 0): "br.cond.ind", (0x20, 1): "br.ia", (0x21, 4): "br.ret"}
B1_BTYPE = {0: "br.cond", 2: "br.wexit", 3: "br.wtop", 5: "br.cloop", 6: "br.cexit",
             7: "br.ctop"}


def b_ind(r, addr):  # B-unit major opcode 0: B4 indirect, B8 misc, B9 break.b
    x6 = x6_of(r)
    if x6 == 0:
        return "break", {"imm": imm21(r)}, "{imm}"
    if x6 in B8:
        return B8[x6], {}, ""
    name = B4.get((x6, (r >> 6) & 7))
    if name is None:
        return UNKNOWN
    return name, {"b2": (r >> 13) & 7, "btype": (r >> 6) & 7, **br_hints(r)}, "b{b2}"


def b5(r, addr):  # B5 br.call b1=b2: wh is 3 bits (34:32)
    wh = WH3.get((r >> 32) & 7)
    if wh is None:
        return UNKNOWN
    return "br.call.ind", {"b1": (r >> 6) & 7, "b2": (r >> 13) & 7, "wh": wh,
                           "p": PH[(r >> 12) & 1], "d": (r >> 35) & 1}, "b{b1}=b{b2}"


def b_nop(r, addr):  # B9 nop.b / hint.b (major 2), B7 brp indirect
    x6 = x6_of(r)
    if x6 in (0x10, 0x11):  # brp.ind / brp.ret: a prediction hint, no architectural effect
        # indwh (bits 4:3): 0 sptk, 2 dptk; 1 and 3 are reserved
        return ("brp", {}, "") if not (r >> 3) & 1 else UNKNOWN
    if x6 > 1:
        return UNKNOWN
    return ("hint" if x6 else "nop"), {"imm": imm21(r)}, "{imm}"


def b1(r, addr):  # B1 IP-relative br.cond & co (major 4)
    name = B1_BTYPE.get((r >> 6) & 7)
    if name is None:
        return UNKNOWN
    return name, {"target": target21_b(r, addr), "btype": (r >> 6) & 7, **br_hints(r)}, (
        "{target}")


def b3(r, addr):  # B3 IP-relative br.call (major 5)
    return "br.call", {"target": target21_b(r, addr), "b1": (r >> 6) & 7, **br_hints(r)}, (
        "b{b1}={target}")


def b6(r, addr):  # B6 IP-relative brp (major 7): a prediction hint, no architectural effect
    return "brp", {}, ""
