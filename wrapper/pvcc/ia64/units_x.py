"""MLX long instructions (L slot + X slot): movl, brl, nop.x/hint.x/break.x.

The decoder returns ``(op, fields, template)``; see the package docstring.
"""

from __future__ import annotations

from .bits import MASK64, UNKNOWN, nop_break_hint, r1_of, r2_of, sext, x3_of, x6_of
from .units_b import br_hints


def decode_long(x, l_, addr):  # MLX: x = X slot (2), l_ = L slot (1)
    major = x >> 37
    if major == 0:  # X1 break.x / X5 nop.x, hint.x: imm62 = imm41 : i : imm20a
        x6 = x6_of(x)
        if x3_of(x) or x6 > 1:
            return UNKNOWN
        op, f, tmpl = nop_break_hint(x, x6)
        return op, {"imm": (l_ << 21) | f["imm"]}, tmpl
    if major == 6:  # X2 movl: i:imm41:ic:imm5c:imm9d:imm7b; vc (20) must be 0
        if (x >> 20) & 1:
            return UNKNOWN
        imm = (((x >> 36) & 1) << 63 | l_ << 22 | ((x >> 21) & 1) << 21
               | ((x >> 22) & 0x1F) << 16 | ((x >> 27) & 0x1FF) << 7 | r2_of(x))
        return "movl", {"r1": r1_of(x), "imm": imm}, "r{r1}={imm}"
    if major in (0xC, 0xD):  # X3 brl.cond / X4 brl.call: imm60 = i : L[40:2] : imm20b
        imm60 = ((x >> 36) & 1) << 59 | (l_ >> 2) << 20 | (x >> 13) & 0xFFFFF
        f = {"target": (addr + (sext(imm60, 60) << 4)) & MASK64, **br_hints(x)}
        if major == 0xD:
            return "brl.call", {"b1": (x >> 6) & 7, **f}, "b{b1}={target}"
        if (x >> 6) & 7:
            return UNKNOWN
        return "brl.cond", {"btype": 0, **f}, "{target}"
    return UNKNOWN
