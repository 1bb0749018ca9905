"""Sparse 64-bit little-endian memory for the model.

Memory is a set of mapped regions (name, start, size, writable); pages of
64 KiB (``page_shift``, 16 by default; the system mode's MMU wants 12: 4 KiB
pages it can hand out as they are) are allocated on first touch.  Every access must be naturally aligned
(ld8 at a multiple of 8, ...) and inside a mapped region, else ``MemoryFault``.

In system mode this is the physical memory behind the MMU (``system.mmu``),
which also reaches the device ranges a platform maps with ``map_device``:
each has a ``read(offset, size) -> int`` and a ``write(offset, size, value)``
callback (offset from the range's start).  ``loads``/``stores`` and the byte
accessors never reach a device (an access there is unmapped).
"""

from __future__ import annotations

import struct

from ..errors import SimError

PAGE_SHIFT = 16
PAGE_SIZE = 1 << PAGE_SHIFT
PAGE_MASK = PAGE_SIZE - 1
_FMT = {1: struct.Struct("<B"), 2: struct.Struct("<H"), 4: struct.Struct("<I"),
        8: struct.Struct("<Q")}


class MemoryFault(SimError):
    pass


class Device:
    """A device range of physical memory and its callbacks."""

    __slots__ = ("end", "name", "read", "start", "write")

    def __init__(self, start, end, name, read, write):
        self.start, self.end, self.name, self.read, self.write = start, end, name, read, write

    def __repr__(self):
        return f"<device {self.name} [{self.start:#x}, {self.end:#x})>"


class Memory:
    def __init__(self, page_shift: int = PAGE_SHIFT):
        self.page_shift = page_shift
        self.page_size = 1 << page_shift
        self.page_mask = self.page_size - 1
        self.pages: dict[int, bytearray] = {}
        self.regions: list[tuple[int, int, str, bool]] = []  # start, end, name, writable
        self.devices: list[Device] = []
        self.loads = self._make_loads()
        self.stores = self._make_stores()

    # -- mapping ---------------------------------------------------------
    def map(self, start: int, size: int, name: str, writable: bool = True) -> None:
        self._check_free(start, start + size, name)
        self.regions.append((start, start + size, name, writable))
        self.regions.sort()

    def _check_free(self, start: int, end: int, name: str) -> None:
        for s, e, n, _ in self.regions:
            if start < e and s < end:
                raise MemoryFault(f"region {name} [{start:#x}, {end:#x}) overlaps {n}")
        for d in self.devices:
            if start < d.end and d.start < end:
                raise MemoryFault(f"region {name} [{start:#x}, {end:#x}) overlaps device "
                                  f"{d.name}")

    def map_device(self, start: int, size: int, name: str, read, write) -> Device:
        """A device (MMIO) range: accesses there (system mode, through the MMU) call
        ``read(offset, size) -> int`` and ``write(offset, size, value)``."""
        self._check_free(start, start + size, name)
        d = Device(start, start + size, name, read, write)
        self.devices.append(d)
        return d

    def device_at(self, addr: int):
        """The Device whose range holds ``addr``, or None."""
        for d in self.devices:
            if d.start <= addr < d.end:
                return d
        return None

    def frame_in_ram(self, addr: int, size: int) -> bool:
        """Whether [addr, addr+size) lies inside one mapped (RAM) region."""
        r = self.region_at(addr)
        return r is not None and addr + size <= r[1]

    def page(self, addr: int, size: int, write: bool) -> bytearray:
        """The page (``page_size`` bytes) holding [addr, addr+size) (allocated on
        first touch; MemoryFault outside the mapped regions)."""
        return self._page(addr, size, write)

    def region_at(self, addr: int):
        for s, e, n, w in self.regions:
            if s <= addr < e:
                return s, e, n, w
        return None

    def _page(self, addr: int, size: int, write: bool) -> bytearray:
        """The page holding [addr, addr+size), allocated on first touch."""
        p = self.pages.get(addr >> self.page_shift)
        if p is not None:
            return p
        r = self.region_at(addr)
        if r is None or addr + size > r[1]:
            what = "write to" if write else "read of"
            raise MemoryFault(f"{what} unmapped address {addr:#x} ({size} bytes)")
        p = self.pages[addr >> self.page_shift] = bytearray(self.page_size)
        return p

    def write_bytes(self, addr: int, data: bytes) -> None:
        """Initialise memory (loader, system calls): no alignment rule."""
        i = 0
        while i < len(data):
            a = addr + i
            off = a & self.page_mask
            n = min(len(data) - i, self.page_size - off)
            self._page(a, n, True)[off:off + n] = data[i:i + n]
            i += n

    def read_bytes(self, addr: int, size: int) -> bytes:
        out = bytearray()
        while size > 0:
            off = addr & self.page_mask
            n = min(size, self.page_size - off)
            out += self._page(addr, n, False)[off:off + n]
            addr += n
            size -= n
        return bytes(out)

    # -- aligned accesses (the executor's hot path) --------------------------
    def _make_loads(self):
        pages = self.pages
        page = self._page
        out = {}
        for size, fmt in _FMT.items():
            unpack = fmt.unpack_from
            amask = size - 1

            def load(a, unpack=unpack, amask=amask, size=size, shift=self.page_shift,
                     mask=self.page_mask):
                if a & amask:
                    raise MemoryFault(f"unaligned {size}-byte read at {a:#x}")
                p = pages.get(a >> shift)
                if p is None:
                    p = page(a, size, False)
                return unpack(p, a & mask)[0]
            out[size] = load
        return out

    def _make_stores(self):
        pages = self.pages
        page = self._page
        out = {}
        for size, fmt in _FMT.items():
            pack = fmt.pack_into
            amask = size - 1
            vmask = (1 << (8 * size)) - 1

            def store(a, v, pack=pack, amask=amask, size=size, vmask=vmask,
                      shift=self.page_shift, mask=self.page_mask):
                if a & amask:
                    raise MemoryFault(f"unaligned {size}-byte write at {a:#x}")
                p = pages.get(a >> shift)
                if p is None:
                    p = page(a, size, True)
                pack(p, a & mask, v & vmask)
            out[size] = store
        return out

    def mapped(self, addr: int, size: int) -> bool:
        shift = self.page_shift
        if addr >> shift in self.pages and (addr + size - 1) >> shift in self.pages:
            return True
        r = self.region_at(addr)
        return r is not None and addr + size <= r[1]
