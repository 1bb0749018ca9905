"""The translation lookaside buffer: translation registers and translation cache.

SDM volume 2, 4.1.1 ("Translation Lookaside Buffer").  Each side (instruction,
data) has ``NUM_TR`` translation registers, written by ``itr`` into the slot
software names and purged only by ``ptr``, and a translation cache written by
``itc`` whose entries the model may drop at any time (the architecture's
rule: software must be able to re-insert any TC entry).  pvcc-sim's TC holds
up to ``TC_CAPACITY`` entries per side and drops the oldest when full.

An entry matches a reference when its region identifier is the one of the
reference's region register and the reference's address bits 60:0 fall in
its page (the region number itself is not compared, as the SDM allows,
4.1.1.4).  Inserts and purges follow the SDM's "Purge Behavior of TLB
Inserts and Purges" table (4.1.1.4): an insert purges the overlapping
entries of its own side's TC (the other side's "may purge" is not done);
``ptc.l``/``ptc.g``/``ptc.ga`` purge both TCs, ``ptc.e`` empties both (one
``ptc.e`` purges everything: PAL_PTCE_INFO reports count 1 and stride 0),
``ptr.i``/``ptr.d`` purge their side's overlapping TRs and TC entries.  An
insert or a ``ptc`` that overlaps a translation register is a machine check
in the SDM; the model stops with ``MachineCheck``.

The values here are the implementation parameters PAL reports
(PAL_VM_SUMMARY, PAL_VM_PAGE_SIZE): the platform's firmware must report
these.
"""

from __future__ import annotations

from ..errors import SimError
from .faults import GE_RESERVED_REGISTER_FIELD, Interruption
from .rights import rights_by_level

# Implementation parameters (PAL_VM_SUMMARY, PAL_VM_PAGE_SIZE).
IMPL_VA_MSB = 50  # 51 implemented virtual address bits per region
PHYS_ADDR_BITS = 50  # implemented physical address bits
RID_BITS = 24
KEY_BITS = 24
NUM_TR = 8  # instruction and data translation registers each
TC_CAPACITY = 4096  # translation cache entries per side
PAGE_SIZES = (12, 13, 14, 16, 18, 20, 22, 24, 26, 28, 32)  # 4K..256M, 4G (log2)
PAGE_SIZE_MASK = sum(1 << s for s in PAGE_SIZES)  # 0x115557000, insertable and purgeable

VA_MASK = (1 << 61) - 1
_PPN_MASK = ((1 << PHYS_ADDR_BITS) - 1) & ~0xFFF

# Memory attributes (TLB.ma; SDM vol. 2, 4.4.1)
MA_WB, MA_UC, MA_UCE, MA_WC, MA_NATPAGE = 0, 4, 5, 6, 7
_MA_VALID = frozenset((MA_WB, MA_UC, MA_UCE, MA_WC, MA_NATPAGE))


class MachineCheck(SimError):
    """A machine check the SDM specifies (overlapping translation registers, an
    unsupported purge size): the model does not deliver machine checks."""


class Entry:
    """One translation (SDM vol. 2, 4.1.1.5 "Translation Insertion Format").

    ``va`` (bits 60:0, aligned to the page) and ``size`` give the virtual page,
    ``pa`` the physical page; ``rights[pl]`` is what the page grants an access
    at privilege level pl (``rights.R | W | X``).  ``keys`` lists the
    translation-cache keys the MMU made from this entry, so that dropping the
    entry drops them too.
    """

    __slots__ = ("a", "ar", "d", "ed", "key", "keys", "ma", "p", "pa", "pl", "ps", "rid",
                 "rights", "side", "size", "slot", "va")

    def __init__(self, side: str, rid: int, va: int, ps: int, pte: int, itir: int,
                 slot: int | None = None):
        self.side = side  # "i" or "d"
        self.slot = slot  # TR slot, None for a TC entry
        self.rid = rid
        self.ps = ps
        self.size = 1 << ps
        self.va = va & VA_MASK & ~(self.size - 1)
        self.p = pte & 1
        self.ma = (pte >> 2) & 7
        self.a = (pte >> 5) & 1
        self.d = (pte >> 6) & 1
        self.pl = (pte >> 7) & 3
        self.ar = (pte >> 9) & 7
        self.pa = pte & _PPN_MASK & ~(self.size - 1)
        self.ed = (pte >> 52) & 1
        self.key = (itir >> 8) & ((1 << KEY_BITS) - 1)
        self.rights = rights_by_level(self.ar, self.pl)
        self.keys: list[int] = []

    def overlaps(self, rid: int, va: int, size: int) -> bool:
        return self.rid == rid and self.va < va + size and va < self.va + self.size

    def __repr__(self):
        kind = f"{self.side}tr{self.slot}" if self.slot is not None else f"{self.side}tc"
        return (f"<{kind} rid={self.rid:#x} va={self.va:#x} ps={self.ps} pa={self.pa:#x} "
                f"p={self.p} ma={self.ma} a={self.a} d={self.d} pl={self.pl} ar={self.ar} "
                f"ed={self.ed} key={self.key:#x}>")


def check_insert(pte: int, itir: int) -> None:
    """Reserved fields of an insertion (``itc``/``itr``): a Reserved Register/Field
    fault (General Exception) as the SDM's is_reserved_field(TLB_TYPE, ...)."""
    ps = (itir >> 2) & 0x3F
    bad = None
    if itir & 3:
        bad = "itir bits 1:0"
    elif ps not in PAGE_SIZES:
        bad = f"page size 2**{ps} (supported: 2**{', 2**'.join(map(str, PAGE_SIZES))})"
    elif pte & 1:
        if itir >> 32:
            bad = "itir bits 63:32"
        elif pte & 2 or (pte >> 50) & 3:
            bad = "pte bit 1 or bits 51:50"
        elif (pte >> 2) & 7 not in _MA_VALID:
            bad = f"memory attribute {(pte >> 2) & 7}"
    if bad:
        raise Interruption("General Exception", f"TLB insert: reserved {bad}",
                           isr=GE_RESERVED_REGISTER_FIELD)


def purge_size(ps_reg: int) -> int:
    """The purge size of a ``ptc``/``ptr`` operand (r2{7:2}); an unsupported size
    is a machine check."""
    ps = (ps_reg >> 2) & 0x3F
    if not (PAGE_SIZE_MASK >> ps) & 1:
        raise MachineCheck(f"machine check: TLB purge of unsupported page size 2**{ps}")
    return ps


class _Cache:
    """One side's translation cache: entries indexed by page size, then by
    (rid, va >> ps); insertion order is the eviction order."""

    def __init__(self):
        self.by_ps: dict[int, dict[tuple[int, int], Entry]] = {}
        self.order: dict[Entry, None] = {}

    def __len__(self):
        return len(self.order)

    def lookup(self, rid: int, va: int):
        for ps, d in self.by_ps.items():
            e = d.get((rid, va >> ps))
            if e is not None:
                return e
        return None

    def add(self, e: Entry) -> None:
        self.by_ps.setdefault(e.ps, {})[(e.rid, e.va >> e.ps)] = e
        self.order[e] = None

    def remove(self, e: Entry) -> None:
        d = self.by_ps[e.ps]
        del d[(e.rid, e.va >> e.ps)]
        if not d:
            del self.by_ps[e.ps]
        del self.order[e]

    def overlapping(self, rid: int, va: int, size: int) -> list[Entry]:
        out = []
        for ps, d in self.by_ps.items():
            n = max(size >> ps, 1)
            if n <= len(d):  # probe the keys the range covers
                first = va >> ps
                for k in range(first, first + n):
                    e = d.get((rid, k))
                    if e is not None:
                        out.append(e)
            else:
                out += [e for e in d.values() if e.overlaps(rid, va, size)]
        return out

    def oldest(self) -> Entry:
        return next(iter(self.order))


class TLB:
    """Both sides' translation registers and caches.

    ``on_drop(entry)`` is called for every entry that leaves the TLB (purged,
    replaced or evicted): the MMU drops the translations it cached from it.
    Addresses are virtual addresses with their region bits; ``rid`` is always
    the region identifier of the region register the caller selected (the
    address's region for references, inserts and purges alike).
    """

    def __init__(self, on_drop=None):
        self.tr = {"i": [None] * NUM_TR, "d": [None] * NUM_TR}
        self.tc = {"i": _Cache(), "d": _Cache()}
        self.on_drop = on_drop or (lambda e: None)

    # -- references -------------------------------------------------------------
    def lookup(self, side: str, rid: int, va: int):
        """The entry of ``side`` ("i" or "d") that maps ``va`` under ``rid``, or None."""
        va &= VA_MASK
        for e in self.tr[side]:
            if e is not None and e.rid == rid and e.va <= va < e.va + e.size:
                return e
        return self.tc[side].lookup(rid, va)

    # -- inserts ----------------------------------------------------------------
    def _tr_overlap(self, side: str, rid: int, va: int, size: int, what: str, skip=None):
        for e in self.tr[side]:
            if e is not None and e.slot != skip and e.overlaps(rid, va, size):
                raise MachineCheck(f"machine check: {what} overlaps translation register "
                                   f"{side}tr{e.slot} ({e.va:#x}, 2**{e.ps} bytes)")

    def _purge_tc(self, side: str, rid: int, va: int, size: int) -> None:
        tc = self.tc[side]
        for e in tc.overlapping(rid, va, size):
            tc.remove(e)
            self.on_drop(e)

    def itc(self, side: str, rid: int, ifa: int, pte: int, itir: int) -> Entry:
        """``itc.i``/``itc.d``: insert into the translation cache (GR[r2] = pte,
        cr.itir, cr.ifa)."""
        check_insert(pte, itir)
        e = Entry(side, rid, ifa, (itir >> 2) & 0x3F, pte, itir)
        self._tr_overlap(side, rid, e.va, e.size, f"itc.{side}")
        self._purge_tc(side, rid, e.va, e.size)
        tc = self.tc[side]
        while len(tc) >= TC_CAPACITY:
            old = tc.oldest()
            tc.remove(old)
            self.on_drop(old)
        tc.add(e)
        return e

    def itr(self, side: str, slot: int, rid: int, ifa: int, pte: int, itir: int) -> Entry:
        """``itr.i``/``itr.d``: write translation register ``slot`` (GR[r3]); the
        translation the slot held leaves the TLB."""
        if not 0 <= slot < NUM_TR:
            raise Interruption("General Exception",
                               f"itr.{side}: reserved register {side}tr[{slot}]",
                               isr=GE_RESERVED_REGISTER_FIELD)
        check_insert(pte, itir)
        e = Entry(side, rid, ifa, (itir >> 2) & 0x3F, pte, itir, slot)
        self._tr_overlap(side, rid, e.va, e.size, f"itr.{side} into slot {slot}", skip=slot)
        self._purge_tc(side, rid, e.va, e.size)
        old = self.tr[side][slot]
        self.tr[side][slot] = e
        if old is not None:
            self.on_drop(old)
        return e

    # -- purges -----------------------------------------------------------------
    def ptc(self, rid: int, va: int, ps_reg: int, what: str = "ptc.l") -> None:
        """``ptc.l``/``ptc.g``/``ptc.ga`` (one processor: all local): purge both
        translation caches of the range (va aligned to 2**r2{7:2})."""
        ps = purge_size(ps_reg)
        size = 1 << ps
        va = va & VA_MASK & ~(size - 1)
        for side in "id":
            self._tr_overlap(side, rid, va, size, what)
        for side in "id":
            self._purge_tc(side, rid, va, size)

    def ptc_e(self) -> None:
        """``ptc.e``: purge both translation caches entirely."""
        for side in "id":
            tc = self.tc[side]
            dropped = list(tc.order)
            tc.by_ps.clear()
            tc.order.clear()
            for e in dropped:
                self.on_drop(e)

    def ptr(self, side: str, rid: int, va: int, ps_reg: int) -> None:
        """``ptr.i``/``ptr.d``: purge the overlapping translation registers and
        translation-cache entries of ``side``."""
        ps = purge_size(ps_reg)
        size = 1 << ps
        va = va & VA_MASK & ~(size - 1)
        trs = self.tr[side]
        for n, e in enumerate(trs):
            if e is not None and e.overlaps(rid, va, size):
                trs[n] = None
                self.on_drop(e)
        self._purge_tc(side, rid, va, size)

    def entries(self, side: str) -> list[Entry]:
        """Every valid entry of ``side`` (TRs, then the TC oldest first)."""
        return [e for e in self.tr[side] if e is not None] + list(self.tc[side].order)
