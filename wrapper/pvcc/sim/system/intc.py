"""The processor's interrupt controller and interval timer (SDM vol. 2, 5.8
"Interrupts", 5.8.3 "External Interrupt Control Registers"; the Interval Time
Counter and Interval Timer Match registers; ch. 8, External Interrupt vector).

External interrupts are vectors 0-255 pending in cr.irr0-3 (``irr``, one bit
per vector; a higher vector has a higher priority).  A pending vector is
*unmasked* when cr.tpr.mmi is 0, its priority class (vector >> 4) is above
cr.tpr.mic (5.8.3.3), and it is above the highest vector in service (an IVR
read "masks all pending external interrupts with equal or lower priority",
5.8.3.2).  cr.ivr reads the highest unmasked pending vector
and puts it in service (15, the spurious vector, when there is none);
writing cr.eoi ends the service of the highest vector in service.  The
processor takes the External Interrupt vector when psr.i = 1 and a vector is
unmasked; ``System`` checks after every bundle.

The interval timer: in system mode ar.itc advances by ``ITC_PER_INSN`` per
executed instruction (a bundle's instructions advance it when the bundle
ends, so a read inside a bundle sees the value at the bundle's start).  When
ar.itc reaches cr.itm the timer posts cr.itv.vector unless cr.itv.m is 1; a
match fires once per write of cr.itm or ar.itc (an cr.itm already behind
ar.itc fires only after ar.itc wraps, as the SDM's equality match does).
cr.pmv, cr.cmcv and cr.lrr0-1 have no source in the model: they are plain
registers (their mask bits read back).  Sources outside the processor (a
platform's devices) post vectors with ``Intc.post``.
"""

from __future__ import annotations

M64 = (1 << 64) - 1
ITC_PER_INSN = 1  # ar.itc ticks per executed instruction (system mode)
SPURIOUS = 15
CR_ITM, CR_LID, CR_IVR, CR_TPR, CR_EOI, CR_ITV = 1, 64, 65, 66, 67, 72
MASK_BIT = 1 << 16  # the m bit of itv, pmv, cmcv, lrr0, lrr1 and tpr.mmi
NEVER = 1 << 80


class Intc:
    def __init__(self, priv):
        self.priv = priv
        self.irr = 0  # pending vectors
        self.isr = 0  # vectors in service
        self.posted = 0  # interrupts posted (counter)
        self.on_post = None  # called after a post (System: check for delivery)

    def post(self, vector: int) -> None:
        """A source raises ``vector`` (16-255; 0-15 are reserved or special)."""
        self.irr |= 1 << (vector & 0xFF)
        self.posted += 1
        if self.on_post is not None:
            self.on_post()

    def _unmasked(self) -> int | None:
        """The highest pending vector cr.tpr and the in-service vectors let through."""
        if not self.irr:
            return None
        tpr = self.priv.cr[CR_TPR]
        if tpr & MASK_BIT:
            return None
        v = self.irr.bit_length() - 1
        cls = v >> 4
        if cls <= (tpr >> 4) & 0xF:
            return None
        if self.isr and v <= self.isr.bit_length() - 1:
            return None
        return v

    def deliverable(self) -> bool:
        return self._unmasked() is not None

    def read_ivr(self) -> int:
        v = self._unmasked()
        if v is None:
            return SPURIOUS
        self.irr &= ~(1 << v)
        self.isr |= 1 << v
        return v

    def write_eoi(self) -> None:
        if self.isr:
            self.isr &= ~(1 << (self.isr.bit_length() - 1))

    def read_irr(self, n: int) -> int:
        return (self.irr >> (64 * n)) & M64


class Timer:
    """ar.itc from the executed-instruction count, and the cr.itm match."""

    def __init__(self, priv, intc: Intc, itc: int = 0):
        self.priv = priv
        self.intc = intc
        self.icount = 0  # instructions executed in system mode (System.run keeps it)
        self.base_itc = itc
        self.base_count = 0
        self.next_event = NEVER  # icount at which the cr.itm match fires
        self.limit = NEVER  # the run's last instruction (max_insns)
        # the run loop's one check: min(next_event, limit + 1), or 0 when forced
        # (an external interrupt may have become deliverable)
        self.event = NEVER
        self.forced = False
        self.fired = 0  # timer interrupts posted (counter)

    def _next(self, at: int) -> None:
        self.next_event = at
        self.event = 0 if self.forced else min(at, self.limit + 1)

    def force(self) -> None:
        """Make the run loop look at its events after the current bundle."""
        self.forced = True
        self.event = 0

    def rearm(self) -> None:
        """The run loop looked: back to the timer match and the limit."""
        self.forced = False
        self._next(self.next_event)

    def set_limit(self, limit: int | None) -> None:
        self.limit = NEVER if limit is None else limit
        self._next(self.next_event)

    def read_itc(self) -> int:
        return (self.base_itc + (self.icount - self.base_count) * ITC_PER_INSN) & M64

    def write_itc(self, value: int) -> None:
        self.base_itc = value & M64
        self.base_count = self.icount
        self.arm()

    def arm(self) -> None:
        """Compute when ar.itc reaches cr.itm (after a write of either)."""
        itm = self.priv.cr[CR_ITM]
        ahead = (itm - self.read_itc()) & M64
        if ahead >= 1 << 63:  # behind: only after ar.itc wraps
            self._next(NEVER)
        else:
            self._next(self.icount + -(-ahead // ITC_PER_INSN))

    def tick(self) -> None:
        """Called when icount reached event: a match posts cr.itv's vector."""
        if self.icount < self.next_event:
            return
        self._next(NEVER)
        itv = self.priv.cr[CR_ITV]
        if not itv & MASK_BIT:
            self.fired += 1
            self.intc.post(itv & 0xFF)

    def fast_forward(self) -> bool:
        """Advance ar.itc to the next cr.itm match (a platform's idle loop,
        e.g. PAL_HALT_LIGHT); False when no match is armed."""
        if self.next_event >= NEVER:
            return False
        skip = self.next_event - self.icount
        self.base_itc = (self.base_itc + skip * ITC_PER_INSN) & M64
        self._next(self.icount)
        return True


class TimerView:
    """ar.itc, cr.itm and cr.itv as read-write attributes (what a platform's
    PAL_HALT_LIGHT reads and moves; System.timer_state)."""

    def __init__(self, timer: Timer):
        self._t = timer

    @property
    def itc(self) -> int:
        return self._t.read_itc()

    @itc.setter
    def itc(self, v: int) -> None:
        self._t.write_itc(v)

    @property
    def itm(self) -> int:
        return self._t.priv.cr[CR_ITM]

    @itm.setter
    def itm(self, v: int) -> None:
        self._t.priv.cr[CR_ITM] = v
        self._t.arm()

    @property
    def itv(self) -> int:
        return self._t.priv.cr[CR_ITV]

    @itv.setter
    def itv(self, v: int) -> None:
        self._t.priv.cr[CR_ITV] = v
