"""Sparse 64-bit little-endian memory for the model.

Memory is a set of mapped regions (name, start, size, writable); pages of
64 KiB are allocated on first touch.  Every access must be naturally aligned
(ld8 at a multiple of 8, ...) and inside a mapped region, else ``MemoryFault``.
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


class Memory:
    def __init__(self):
        self.pages: dict[int, bytearray] = {}
        self.regions: list[tuple[int, int, str, bool]] = []  # start, end, name, writable
        self.loads = self._make_loads()
        self.stores = self._make_stores()

    # -- mapping ---------------------------------------------------------
    def map(self, start: int, size: int, name: str, writable: bool = True) -> None:
        end = start + size
        for s, e, n, _ in self.regions:
            if start < e and s < end:
                raise MemoryFault(f"region {name} [{start:#x}, {end:#x}) overlaps {n}")
        self.regions.append((start, end, name, writable))
        self.regions.sort()

    def region_at(self, addr: int):
        for s, e, n, w in self.regions:
            if s <= addr < e:
                return s, e, n, w
        return None

    def _page(self, addr: int, size: int, write: bool) -> bytearray:
        """The page holding [addr, addr+size), allocated on first touch."""
        p = self.pages.get(addr >> PAGE_SHIFT)
        if p is not None:
            return p
        r = self.region_at(addr)
        if r is None or addr + size > r[1]:
            what = "write to" if write else "read of"
            raise MemoryFault(f"{what} unmapped address {addr:#x} ({size} bytes)")
        p = self.pages[addr >> PAGE_SHIFT] = bytearray(PAGE_SIZE)
        return p

    def write_bytes(self, addr: int, data: bytes) -> None:
        """Initialise memory (loader, system calls): no alignment rule."""
        i = 0
        while i < len(data):
            a = addr + i
            off = a & PAGE_MASK
            n = min(len(data) - i, PAGE_SIZE - off)
            self._page(a, n, True)[off:off + n] = data[i:i + n]
            i += n

    def read_bytes(self, addr: int, size: int) -> bytes:
        out = bytearray()
        while size > 0:
            off = addr & PAGE_MASK
            n = min(size, PAGE_SIZE - off)
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

            def load(a, unpack=unpack, amask=amask, size=size):
                if a & amask:
                    raise MemoryFault(f"unaligned {size}-byte read at {a:#x}")
                p = pages.get(a >> PAGE_SHIFT)
                if p is None:
                    p = page(a, size, False)
                return unpack(p, a & PAGE_MASK)[0]
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

            def store(a, v, pack=pack, amask=amask, size=size, vmask=vmask):
                if a & amask:
                    raise MemoryFault(f"unaligned {size}-byte write at {a:#x}")
                p = pages.get(a >> PAGE_SHIFT)
                if p is None:
                    p = page(a, size, True)
                pack(p, a & PAGE_MASK, v & vmask)
            out[size] = store
        return out

    def mapped(self, addr: int, size: int) -> bool:
        if addr >> PAGE_SHIFT in self.pages and (addr + size - 1) >> PAGE_SHIFT in self.pages:
            return True
        r = self.region_at(addr)
        return r is not None and addr + size <= r[1]
