"""The machine's view of physical memory: a two-method interface and a RAM.

Everything the machine places in memory (firmware tables, ACPI, the boot
parameter block, the kernel's segments, the initrd) goes through
``write(paddr, data)``; firmware calls that return data through memory use
``read`` and ``write`` too.  Addresses are physical.

The CPU side may hand the machine any object with these two methods, or one
with ``write_bytes``/``read_bytes`` (pvcc.sim.cpu.memory.Memory: ``accessor``
wraps it); ``RAM`` is the machine's own implementation, used by the tests and
by anything that builds the firmware without a CPU.
"""

from __future__ import annotations

from typing import Protocol

from .errors import DeviceError

PAGE_SHIFT = 16
PAGE_SIZE = 1 << PAGE_SHIFT


class PhysicalMemory(Protocol):
    def write(self, paddr: int, data: bytes) -> None: ...

    def read(self, paddr: int, size: int) -> bytes: ...


class RAM:
    """``size`` bytes of RAM from physical address 0, sparse: 64 KiB pages are
    allocated on first write and read as zeros before."""

    def __init__(self, size: int):
        self.size = size
        self.pages: dict[int, bytearray] = {}

    def _check(self, paddr: int, n: int, what: str) -> None:
        if paddr < 0 or n < 0 or paddr + n > self.size:
            raise DeviceError(f"{what} of {n} bytes at physical {paddr:#x} is outside "
                              f"the RAM [0, {self.size:#x})")

    def write(self, paddr: int, data: bytes) -> None:
        self._check(paddr, len(data), "write")
        view = memoryview(bytes(data))
        while view:
            page, off = divmod(paddr, PAGE_SIZE)
            n = min(len(view), PAGE_SIZE - off)
            p = self.pages.get(page)
            if p is None:
                p = self.pages[page] = bytearray(PAGE_SIZE)
            p[off:off + n] = view[:n]
            view = view[n:]
            paddr += n

    def read(self, paddr: int, size: int) -> bytes:
        self._check(paddr, size, "read")
        out = bytearray()
        while size:
            page, off = divmod(paddr, PAGE_SIZE)
            n = min(size, PAGE_SIZE - off)
            p = self.pages.get(page)
            out += p[off:off + n] if p is not None else bytes(n)
            size -= n
            paddr += n
        return bytes(out)


class BytesMemory:
    """``write``/``read`` over a memory whose methods are ``write_bytes`` and
    ``read_bytes`` (the CPU's memory)."""

    def __init__(self, mem):
        self.mem = mem

    def write(self, paddr: int, data: bytes) -> None:
        self.mem.write_bytes(paddr, data)

    def read(self, paddr: int, size: int) -> bytes:
        return self.mem.read_bytes(paddr, size)


def accessor(mem) -> PhysicalMemory:
    """``mem`` as the machine's PhysicalMemory."""
    if hasattr(mem, "write_bytes") and hasattr(mem, "read_bytes"):
        return BytesMemory(mem)
    return mem
