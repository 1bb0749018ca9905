"""Self-modifying code in system mode: compiled bundles by physical address.

The MMU calls ``stored(pa, size)`` after a store into a 4 KiB frame it was
told holds compiled code (``MMU.note_code``); the bundles the store changed
are dropped from the executor's cache and compiled again when next run, so
the new code takes effect.  ``flushed(pa)`` (``fc``/``fc.i`` of a 32-byte
line) drops the line's bundles and clears their "patched" mark.  A patched
bundle compiled again before an ``fc`` of its line is recorded in
``unsynced``: the SDM asks for ``fc``, ``sync.i`` and ``srlz.i`` before
patched code runs (on hardware the old instructions may still execute).
"""

from __future__ import annotations

UC_BIT = 1 << 63


class CodeWatch:
    def __init__(self, caches: tuple, mmu):
        self.caches = caches  # the dicts of compiled bundles by virtual address
        self.mmu = mmu
        self.code: dict[int, list] = {}  # physical bundle address -> its compiled bundles
        self.patched: set[int] = set()  # bundles a store changed, no fc of them since
        self.unsynced: list[int] = []  # virtual addresses of patched bundles run again

    def compiled(self, bd) -> None:
        pa = bd.pa & ~UC_BIT
        self.mmu.note_code(pa)
        self.code.setdefault(pa, []).append(bd)
        if pa in self.patched:
            self.unsynced.append(bd.addr)

    def drop(self, pa: int) -> None:
        for bd in self.code.pop(pa, ()):
            for cache in self.caches:
                if cache.get(bd.addr) is bd:
                    del cache[bd.addr]

    def stored(self, pa: int, size: int) -> None:
        for b in range(pa & ~15, pa + size, 16):
            if b in self.code:
                self.patched.add(b)
                self.drop(b)

    def flushed(self, pa: int) -> None:
        line = pa & ~31
        for b in (line, line + 16):
            self.patched.discard(b)
            self.drop(b)
