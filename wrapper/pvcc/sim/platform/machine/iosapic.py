"""An I/O SAPIC with nothing wired to it.

The MADT lists one (otherwise arch/ia64/kernel/acpi.c prints "Error parsing
MADT - no IOSAPIC entries"); ``iosapic_init`` reads its version register and
the kernel may program redirection entries.  Registers
(arch/ia64/include/asm/iosapic.h): a 32-bit register select at 0x00, the
32-bit window at 0x10, EOI at 0x40.  Indirect registers: 0 id, 1 version
(24 redirection entries, version 0x21), 0x10 + 2i / 0x11 + 2i the low and
high words of entry i, masked at reset.  No device raises an interrupt
through it: the machine's only interrupt is the CPU's own timer.
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


class IoSapic:
    def __init__(self, sapic_id: int = 0):
        self.select = 0
        self.regs = {0: sapic_id << 24, VERSION: VERSION_VALUE}
        for i in range(NUM_RTE):
            self.regs[0x10 + 2 * i] = RTE_MASK
            self.regs[0x11 + 2 * i] = 0
        self.eois: list[int] = []

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
        else:
            self.eois.append(value)
