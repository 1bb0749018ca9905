"""An I/O SAPIC.

The MADT lists one (otherwise arch/ia64/kernel/acpi.c prints "Error parsing
MADT - no IOSAPIC entries"); ``iosapic_init`` reads its version register and
the kernel may program redirection entries.  Registers
(arch/ia64/include/asm/iosapic.h): a 32-bit register select at 0x00, the
32-bit window at 0x10, EOI at 0x40.  Indirect registers: 0 id, 1 version
(24 redirection entries, version 0x21), 0x10 + 2i / 0x11 + 2i the low and
high words of entry i, masked at reset.

Inputs (``set_line(pin, level)``; the UART's with the machine's ``uart_irq``)
are delivered to the processor as the entry's vector (``deliver``, the CPU
side's interrupt controller) when the entry is unmasked: an edge-triggered
entry (RTE bit 15 = 0) on each rising edge, a level-triggered one while the
line is high, once until the processor writes the vector to EOI.  The line's
level is the active level (polarity, bit 13, is not modelled: the DSDT
declares the UART's interrupt active high), nor are delivery mode and
destination (one processor, fixed delivery).
"""

from __future__ import annotations

from .errors import DeviceError

REG_SELECT = 0x00
WINDOW = 0x10
EOI = 0x40
VERSION = 0x01
NUM_RTE = 24
VERSION_VALUE = ((NUM_RTE - 1) << 16) | 0x21
RTE_MASK = 1 << 16
RTE_LEVEL = 1 << 15
RTE_LOW = 1 << 13


class IoSapic:
    def __init__(self, sapic_id: int = 0):
        self.select = 0
        self.regs = {0: sapic_id << 24, VERSION: VERSION_VALUE}
        for i in range(NUM_RTE):
            self.regs[0x10 + 2 * i] = RTE_MASK
            self.regs[0x11 + 2 * i] = 0
        self.eois: list[int] = []
        self.deliver = None              # callable(vector): the processor's
        self.lines: dict[int, bool] = {}
        self.inflight: set[int] = set()  # level-triggered inputs delivered, not EOI'd
        self.delivered = 0

    def set_line(self, pin: int, level: bool) -> None:
        old = self.lines.get(pin, False)
        self.lines[pin] = level
        if level and (not old or self._rte(pin) & RTE_LEVEL):
            self._fire(pin)

    def _rte(self, pin: int) -> int:
        return self.regs.get(0x10 + 2 * pin, RTE_MASK)

    def _fire(self, pin: int) -> None:
        rte = self._rte(pin)
        if rte & RTE_MASK or self.deliver is None:
            return
        if rte & RTE_LEVEL:
            if pin in self.inflight:
                return
            self.inflight.add(pin)
        self.delivered += 1
        self.deliver(rte & 0xFF)

    def _check(self, offset: int, size: int, what: str) -> None:
        if size != 4 or offset not in (REG_SELECT, WINDOW, EOI):
            raise DeviceError(f"I/O SAPIC: {size}-byte {what} at offset {offset:#x} "
                              "(its registers are 32-bit, at 0x0, 0x10 and 0x40)")

    def read(self, offset: int, size: int) -> int:
        self._check(offset, size, "read")
        if offset == REG_SELECT:
            return self.select
        if offset == WINDOW:
            return self.regs.get(self.select, 0)
        return 0

    def write(self, offset: int, size: int, value: int) -> None:
        self._check(offset, size, "write")
        value &= 0xFFFFFFFF
        if offset == REG_SELECT:
            self.select = value & 0xFF
        elif offset == WINDOW:
            if self.select >= 0x10:          # id and version are read-only here
                self.regs[self.select] = value
                pin = (self.select - 0x10) // 2
                if not self.select & 1 and self._rte(pin) & RTE_LEVEL and self._asserted(pin):
                    self._fire(pin)           # unmasked with the line high
        else:
            self.eois.append(value)
            for pin in list(self.inflight):
                if self._rte(pin) & 0xFF == value & 0xFF:
                    self.inflight.discard(pin)
                    if self._asserted(pin):
                        self._fire(pin)

    def _asserted(self, pin: int) -> bool:
        return self.lines.get(pin, False)
