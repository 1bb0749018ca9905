"""Values a general or floating-point register may hold besides an integer.

A register with its NaT bit set holds a ``NaT`` (the value beside the bit is
kept for ``st8.spill``/``ld8.fill`` and the register stack).  A stacked
register outside the current frame holds ``OUTSIDE``.  Neither supports
arithmetic, comparison or truth testing: an instruction that consumes one
raises ``TypeError`` (or ``struct.error`` in a store), and the executor then
runs that instruction's slow path, which implements the architected NaT
behaviour or reports the read of a register outside the frame.  Code that
never meets a NaT pays nothing for this.
"""

from __future__ import annotations


class _Unusable:
    __slots__ = ()

    def __eq__(self, other):
        if other is self:
            return True
        raise TypeError("NaT or out-of-frame register compared")

    __ne__ = __lt__ = __le__ = __gt__ = __ge__ = __eq__
    __hash__ = None

    def __bool__(self):
        raise TypeError("NaT or out-of-frame register tested")


class NaT(_Unusable):
    """A register value whose NaT bit is set (``v`` is the 64-bit value beside it)."""

    __slots__ = ("v",)

    def __init__(self, v: int = 0):
        self.v = v

    def __repr__(self):
        return f"NaT({self.v:#x})"


class _Outside(_Unusable):
    __slots__ = ()

    def __repr__(self):
        return "OUTSIDE"


OUTSIDE = _Outside()
NAT0 = NaT(0)


def is_nat(v) -> bool:
    return type(v) is NaT


def plain(v) -> int:
    """The 64-bit value of a register, without its NaT bit (OUTSIDE reads as 0)."""
    if type(v) is int:
        return v
    return v.v if type(v) is NaT else 0
