"""Bit-field helpers shared by the slot decoders (41-bit instruction slots)."""

from __future__ import annotations

MASK41 = (1 << 41) - 1
MASK64 = (1 << 64) - 1


def sext(value: int, bits: int) -> int:
    """Sign-extend the low ``bits`` bits of ``value``."""
    sign = 1 << (bits - 1)
    return (value & (sign - 1)) - (value & sign)


def imm21(r: int) -> int:
    """nop/break/hint immediate: i (bit 36) : imm20a (25:6)."""
    return ((r >> 16) & 0x100000) | ((r >> 6) & 0xFFFFF)


def r1_of(r: int) -> int:
    return (r >> 6) & 0x7F


def r2_of(r: int) -> int:
    return (r >> 13) & 0x7F


def r3_of(r: int) -> int:
    return (r >> 20) & 0x7F


def x6_of(r: int) -> int:
    return (r >> 27) & 0x3F


def x3_of(r: int) -> int:
    return (r >> 33) & 7


def relative(addr: int, disp: int, bits: int) -> int:
    """The absolute target of a ``bits``-bit signed bundle displacement from ``addr``."""
    return (addr + (sext(disp, bits) << 4)) & MASK64


def target21_a(r: int, addr: int) -> int:
    """I20/M20/M21 (chk.s): s (36) : imm13c (32:20) : imm7a (12:6), in bundles."""
    return relative(addr, ((r >> 16) & 0x100000) | (((r >> 20) & 0x1FFF) << 7)
                    | ((r >> 6) & 0x7F), 21)


def target21_b(r: int, addr: int) -> int:
    """B1/B3/M22/M23 (br, chk.a): s (36) : imm20b (32:13), in bundles."""
    return relative(addr, ((r >> 16) & 0x100000) | ((r >> 13) & 0xFFFFF), 21)


# What a decoder returns for bits that match no form.
UNKNOWN = ("unknown", {}, "")


def nop_break_hint(r: int, nop_code: int) -> tuple[str, dict, str]:
    """Shared by M48/M37, I18/I19, F16/F15: x6 (or x4) 0 = break, 1 = nop/hint."""
    if nop_code == 0:
        return "break", {"imm": imm21(r)}, "{imm}"
    return ("hint" if (r >> 26) & 1 else "nop"), {"imm": imm21(r)}, "{imm}"
