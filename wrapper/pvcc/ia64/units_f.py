"""F-unit slots."""

from __future__ import annotations

from .bits import UNKNOWN, nop_break_hint, x6_of


def f_misc(r, addr):  # F-unit major 0: F15 break.f, F16 nop.f/hint.f
    if (r >> 33) & 1 or x6_of(r) > 1:
        return UNKNOWN
    return nop_break_hint(r, x6_of(r))
