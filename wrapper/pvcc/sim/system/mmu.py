"""Address translation in system mode: the MMU between the CPU and physical memory.

SDM volume 2, chapter 4 ("Addressing and Protection").  ``MMU(priv, mem, ar)``
translates the CPU's references through the region registers and the TLB
(``system.tlb``) to ``mem``, the physical ``cpu.memory.Memory`` (RAM regions and
device ranges).  There is no VHPT walker: a miss raises the TLB vectors.

API for the executor, the instruction semantics and interruption delivery
------------------------------------------------------------------------
State the caller must keep the MMU told about (it reads ``priv.psr``,
``priv.rr``, ``priv.cr`` and ``ar`` itself, but caches decisions):

* ``sync()`` after every change of the PSR (``ssm``, ``rsm``, ``mov psr.l``,
  ``rfi``, interruption delivery, ``bsw`` need not): picks up psr.dt / it / rt,
  cpl, ed, pk.
* ``set_rr(n, value)`` for ``mov rr[r3] = r2`` (writes ``priv.rr[n]`` and drops
  the region's cached translations).  cr.pta, cr.dcr and ar.rsc are read when
  needed: no call.

Memory references (same signatures as ``Memory.loads``/``stores``):

* ``loads[n](addr) -> int`` and ``stores[n](addr, value)``, n = 1, 2, 4, 8:
  data references at psr.cpl, translated when psr.dt = 1.  Bind them as
  ``L1..L8``/``S1..S8`` in system-mode compiled code (``namespace()``).
* ``spec_loads[n](addr, ip) -> int | None``: ``ld.s``; None means the load
  defers (the target becomes NaT).  ``ip`` is the bundle address of the load:
  deferral depends on the TLB.ed bit of its code page (below).
* ``sem_loads[n](addr) -> int``: the read of a semaphore (``cmpxchg``,
  ``xchg``, ``fetchadd``): checks read and write permission (a fault has
  ISR.r and ISR.w) and refuses uncacheable memory (Unsupported Data
  Reference); the write that follows uses ``stores[n]``.
* ``rse_loads[8]``/``rse_stores[8]``: the register stack engine's references,
  translated when psr.rt = 1 at privilege level ar.rsc.pl, faults with ISR.rs.
* ``fetch(ip) -> physical address`` of the bundle at ``ip`` (psr.it, cpl);
  the executor reads and decodes bundles from ``mem`` at that address.
* ``access(addr, size, kind, value=None)``: any other reference (``kind`` is
  ISR bits: ``READ``, ``WRITE``, ``SEM``, ``EXEC``); ``non_access(addr,
  code)`` for ``fc``/``lfetch.fault`` (translation and faults only).

Instructions: ``itc(side, pte, itir, ifa)``, ``itr(side, slot, pte, itir,
ifa)``, ``ptc_l(va, r2)`` (also ptc.g, ptc.ga: one processor), ``ptc_e(va)``,
``ptr(side, va, r2)``, ``thash(va)``, ``ttag(va)``, ``impl_va(va)`` (thash
and ttag give NaT when False), ``tpa(va)``, ``tak(va)``, ``probe(va, pl,
kind, fault=False)``, ``epc_pl(ip)``.  The executor checks privilege
(cpl 0), psr.ic = 0 for itc/itr and NaT operands; the MMU checks the rest.

For platforms (firmware emulation, diagnostics): ``virt_to_phys(va, side)``,
``read_virtual(va, n)``, ``write_virtual(va, data)``: the current translation
without faults or side effects.

Faults are ``system.faults.Interruption`` with the registers the SDM has the
vector write: ``ifa`` (the data address, or the bundle address of a fetch),
``itir`` (rr.ps and rr.rid as the key), ``iha`` = ``thash(ifa)`` on TLB
misses, ``isr`` with x / w / r / na (+ code) / sp / rs / ed; delivery adds
ei and ni.  A data-side TLB miss with psr.ic = 0 is the Data Nested TLB fault
(the registers are in the exception; delivery must not write them since ic
is 0).  ISR.ed is set for speculative loads (from their code page);
``code_ed(ip)`` gives it for others if delivery wants it.

Speculation: ``spec_loads`` defers (returns None) when psr.ed = 1, in physical
mode, on uncacheable or NaTPage memory and on unimplemented addresses, and
defers a fault when psr.ic = 0 or (the code page's TLB.ed = 1 and cr.dcr's
bit for the fault is set: dm for TLB misses, dp page not present, dr access
rights, da access bit; unaligned defers on TLB.ed alone).  Other NaTPage
references take the NaT Consumption fault (ISR.code 0x20).

Self-modifying code: ``note_code(pa)`` marks the 4 KiB physical frame of
``pa`` as holding compiled code; a store into such a frame (through any of
the accessors above) calls ``on_code_store(pa, size)`` after writing.
Stores never reach the fast path for such frames, so the check costs nothing
elsewhere.  ``forget_code(pa)`` unmarks a frame.

Speed: every translation a successful reference made is cached per 4 KiB
page, for reads, writes and fetches separately and keyed with the
privilege level (or physical mode), so a cached reference is one dict lookup.
Only references that cannot fault are cached (rights granted, a = 1, d = 1
for writes, WB RAM, no code frame for writes); the cache is dropped for the
entries an insert/purge removes, for the region an rr write changes, and
entirely by ``flush()``.
"""

from __future__ import annotations

import struct

from ..cpu.memory import MemoryFault
from ..errors import SimError
from . import vhpt
from .faults import (
    GE_RESERVED_REGISTER_FIELD,
    ISR_ED,
    ISR_NA,
    ISR_R,
    ISR_RS,
    ISR_SP,
    ISR_W,
    ISR_X,
    Interruption,
)
from .rights import R, W, X, promotion
from .tlb import IMPL_VA_MSB, MA_NATPAGE, MA_WB, PHYS_ADDR_BITS, TLB

READ, WRITE, EXEC = ISR_R, ISR_W, ISR_X
SEM = ISR_R | ISR_W
# non-access codes (ISR.code{3:0} with ISR.na)
NA_TPA, NA_FC, NA_PROBE, NA_TAK, NA_LFETCH, NA_PROBE_FAULT = range(6)

M64 = (1 << 64) - 1
PSR_AC, PSR_IC, PSR_PK, PSR_DT, PSR_RT, PSR_IT, PSR_DA, PSR_ED, PSR_IA = (
    3, 13, 15, 17, 27, 36, 38, 43, 45)
CR_DCR, CR_PTA = 0, 8
AR_RSC = 16
DCR_DM, DCR_DP, DCR_DR, DCR_DA = 1 << 8, 1 << 9, 1 << 12, 1 << 13
NAT_PAGE_CODE = 0x20

PHYS = 8 << 52  # cache-key mode of physical addressing (virtual: (1 + pl) << 52)
FRAME = 12  # translations are cached per 4 KiB
_UC_BIT = 1 << 63
_UNIMPL_PA = ((1 << 63) - 1) & ~((1 << PHYS_ADDR_BITS) - 1)
_FMT = {1: struct.Struct("<B"), 2: struct.Struct("<H"), 4: struct.Struct("<I"),
        8: struct.Struct("<Q")}

# the DCR bit that lets a speculative load defer each fault (SDM vol. 2, 5.5.5)
_DEFER_BIT = {"Data TLB": DCR_DM, "Alternate Data TLB": DCR_DM, "Data Nested TLB": DCR_DM,
              "Page Not Present": DCR_DP, "Data Access Rights": DCR_DR,
              "Data Access-Bit": DCR_DA}


def _need(kind: int) -> int:
    return (R if kind & ISR_R else 0) | (W if kind & ISR_W else 0) | (X if kind & ISR_X else 0)


class MMU:
    """Translation for one CPU: ``priv`` its Privileged state, ``mem`` the physical
    Memory (best created with ``Memory(page_shift=12)``: the caches then hold
    its pages themselves), ``ar`` its application registers (ar.rsc)."""

    def __init__(self, priv, mem, ar):
        self.priv = priv
        self.mem = mem
        self.ar = ar
        self.tlb = TLB(on_drop=self._dropped)
        if mem.page_shift < FRAME:
            raise ValueError("the MMU needs memory pages of 4 KiB or more")
        self.rc: dict = {}  # read cache: key -> the 4 KiB frame (bytearray or memoryview)
        self.wc: dict = {}  # write cache
        self.xc: dict[int, int] = {}  # fetch cache: key -> physical frame address
        self._wframe: dict[int, int] = {}  # write-cache key -> physical frame number
        self.code_frames: set[int] = set()
        self.on_code_store = None
        self._make_accessors()
        self.sync()

    # -- state changes ---------------------------------------------------------
    def sync(self) -> None:
        """Pick up the PSR (call after every PSR change)."""
        psr = self.priv.psr
        cpl = (psr >> 32) & 3
        if (psr >> PSR_PK) & 1:
            self.flush()  # protection keys are not modelled: every reference stops
        dt = (psr >> PSR_DT) & 1
        dmode = (1 + cpl) << 52 if dt else PHYS
        xmode = (1 + cpl) << 52 if (psr >> PSR_IT) & 1 else PHYS
        # ld.s defers whenever psr.ed = 1 or in physical mode: no fast path then
        self._set_modes(dmode, xmode, bool(dt) and not (psr >> PSR_ED) & 1)

    def set_rr(self, n: int, value: int) -> None:
        """``mov rr[r3] = r2`` for region ``n``."""
        n &= 7
        value &= M64
        if self.priv.rr[n] == value:
            return
        self.priv.rr[n] = value
        for c in (self.rc, self.wc, self.xc):
            for k in [k for k in c if (k >> 49) & 7 == n and k & PHYS == 0]:
                del c[k]

    def flush(self) -> None:
        """Drop every cached translation."""
        self.rc.clear()
        self.wc.clear()
        self.xc.clear()
        self._wframe.clear()

    def _dropped(self, e) -> None:
        caches = (self.xc,) if e.side == "i" else (self.rc, self.wc)
        for k in e.keys:
            for c in caches:
                c.pop(k, None)
            if e.side == "d":
                self._wframe.pop(k, None)
        e.keys = []

    # -- self-modifying code ------------------------------------------------------
    def note_code(self, pa: int) -> None:
        """The 4 KiB physical frame of ``pa`` holds compiled code: stores into it
        call ``on_code_store``."""
        f = (pa & ~_UC_BIT) >> FRAME
        if f in self.code_frames:
            return
        self.code_frames.add(f)
        for k in [k for k, g in self._wframe.items() if g == f]:
            del self._wframe[k]
            self.wc.pop(k, None)

    def forget_code(self, pa: int) -> None:
        self.code_frames.discard((pa & ~_UC_BIT) >> FRAME)

    # -- accessors ---------------------------------------------------------------
    def _make_accessors(self):
        rc, wc, xc = self.rc, self.wc, self.xc
        access, spec, fetch_slow = self.access, self._spec_load, self._fetch
        dmode = xmode = 0
        spec_ok = True

        def set_modes(d, x, s):
            nonlocal dmode, xmode, spec_ok
            dmode, xmode, spec_ok = d, x, s

        self._set_modes = set_modes
        self.loads, self.stores, self.spec_loads, self.sem_loads = {}, {}, {}, {}
        self.rse_loads, self.rse_stores = {}, {}
        for size, fmt in _FMT.items():
            unpack, pack = fmt.unpack_from, fmt.pack_into
            amask = size - 1
            vmask = (1 << (8 * size)) - 1

            # (a >> 12) is (a >> FRAME) folded: the accessors are the hot path
            def load(a, unpack=unpack, amask=amask, size=size, get=rc.get):
                m = get((a >> 12) | dmode)
                if m is None or a & amask:
                    return access(a, size, READ)
                return unpack(m, a & 0xFFF)[0]

            def store(a, v, pack=pack, amask=amask, size=size, vmask=vmask, get=wc.get):
                v &= vmask
                m = get((a >> 12) | dmode)
                if m is None or a & amask:
                    access(a, size, WRITE, v)
                else:
                    pack(m, a & 0xFFF, v)

            def spec_load(a, ip, unpack=unpack, amask=amask, size=size, get=rc.get):
                if not spec_ok:
                    return None
                m = get((a >> 12) | dmode)
                if m is None or a & amask:
                    return spec(a, size, ip)
                return unpack(m, a & 0xFFF)[0]

            def sem_load(a, unpack=unpack, amask=amask, size=size, get=wc.get):
                m = get((a >> 12) | dmode)
                if m is None or a & amask:
                    return access(a, size, SEM)
                return unpack(m, a & 0xFFF)[0]

            self.loads[size], self.stores[size] = load, store
            self.spec_loads[size], self.sem_loads[size] = spec_load, sem_load

        priv, ar = self.priv, self.ar
        u8, p8 = _FMT[8].unpack_from, _FMT[8].pack_into

        def rse_load8(a):
            mode = (1 + ((ar[AR_RSC] >> 2) & 3)) << 52 if (priv.psr >> PSR_RT) & 1 else PHYS
            m = rc.get((a >> FRAME) | mode)
            if m is None or a & 7:
                return access(a, 8, READ, rse=True)
            return u8(m, a & 0xFFF)[0]

        def rse_store8(a, v):
            v &= M64
            mode = (1 + ((ar[AR_RSC] >> 2) & 3)) << 52 if (priv.psr >> PSR_RT) & 1 else PHYS
            m = wc.get((a >> FRAME) | mode)
            if m is None or a & 7:
                access(a, 8, WRITE, v, rse=True)
            else:
                p8(m, a & 0xFFF, v)

        self.rse_loads[8], self.rse_stores[8] = rse_load8, rse_store8

        def fetch(ip, get=xc.get):
            f = get((ip >> 12) | xmode)
            if f is None:
                return fetch_slow(ip)
            return f | (ip & 0xFFF)

        self.fetch = fetch

    def namespace(self) -> dict:
        """Names for system-mode compiled code: L1..L8, S1..S8, LS1..LS8 (spec_loads),
        LM1..LM8 (sem_loads)."""
        ns = {}
        for n in (1, 2, 4, 8):
            ns[f"L{n}"], ns[f"S{n}"] = self.loads[n], self.stores[n]
            ns[f"LS{n}"], ns[f"LM{n}"] = self.spec_loads[n], self.sem_loads[n]
        return ns

    # -- faults ------------------------------------------------------------------
    def _itir(self, va: int) -> int:
        return self.priv.rr[va >> 61] & 0xFFFFFFFC  # rid as the key, ps

    def _fault(self, vector: str, va: int, isr: int, msg: str, miss: bool = False):
        return Interruption(vector, f"{msg} at {va:#x}", ifa=va, itir=self._itir(va),
                            iha=self.thash(va) if miss else None, isr=isr)

    def impl_va(self, va: int) -> bool:
        """Whether ``va``'s bits 60:IMPL_VA_MSB are all equal (an implemented address)."""
        u = (va >> IMPL_VA_MSB) & ((1 << (61 - IMPL_VA_MSB)) - 1)
        return u == 0 or u == (1 << (61 - IMPL_VA_MSB)) - 1

    def _unimplemented(self, a: int, isr: int, what: str):
        return Interruption("General Exception", f"unimplemented {what} address {a:#x}",
                            ifa=a, isr=isr | GE_RESERVED_REGISTER_FIELD)

    def _miss_vector(self, va: int, data: bool) -> str:
        psr = self.priv.psr
        rr = self.priv.rr[va >> 61]
        ic = (psr >> PSR_IC) & 1
        if data and not ic:
            return "Data Nested TLB"
        walker = self.priv.cr[CR_PTA] & 1 and rr & 1 and (psr >> PSR_DT) & 1
        if not data:
            walker = walker and ic
        if data:
            return "Data TLB" if walker else "Alternate Data TLB"
        return "Instruction TLB" if walker else "Alternate Instruction TLB"

    # -- data translation -----------------------------------------------------------
    def _dentry(self, a: int, isr: int):
        """The data-side TLB entry of virtual address ``a`` after the checks every
        data reference makes (unimplemented address, miss, present, NaTPage)."""
        if (self.priv.psr >> PSR_PK) & 1:
            raise SimError("protection keys (psr.pk = 1) are not modelled")
        if not self.impl_va(a):
            raise self._unimplemented(a, isr, "data")
        e = self.tlb.lookup("d", (self.priv.rr[a >> 61] >> 8) & 0xFFFFFF, a)
        if e is None:
            v = self._miss_vector(a, True)
            raise self._fault(v, a, isr, "data TLB miss", miss=True)
        if not e.p:
            raise self._fault("Page Not Present", a, isr, "data page not present")
        if e.ma == MA_NATPAGE:
            raise self._fault("NaT Consumption", a, isr | NAT_PAGE_CODE,
                              "data reference to a NaTPage")
        return e

    def _physical(self, a: int, isr: int, what: str = "data") -> int:
        pa = a & ~_UC_BIT
        if pa & _UNIMPL_PA:
            raise self._unimplemented(a, isr, f"physical {what}")
        return pa

    def access(self, a: int, size: int, kind: int, value=None, *, rse: bool = False,
               sp: int = 0):
        """A data reference of ``size`` bytes (``kind``: READ, WRITE or SEM; ``value``
        for a write): returns the value read.  The accessors' slow path."""
        priv = self.priv
        psr = priv.psr
        if rse:
            virtual = (psr >> PSR_RT) & 1
            pl = (self.ar[AR_RSC] >> 2) & 3
            isr = kind | ISR_RS
        else:
            virtual = (psr >> PSR_DT) & 1
            pl = (psr >> 32) & 3
            isr = kind | sp
        if virtual:
            e = self._dentry(a, isr)
            need = _need(kind)
            if e.rights[pl] & need != need:
                raise self._fault("Data Access Rights", a, isr,
                                  f"data access rights (ar {e.ar}, pl {e.pl}, at pl {pl})")
            if not (psr >> PSR_DA) & 1:
                if kind & ISR_W and not e.d:
                    raise self._fault("Dirty-Bit", a, isr, "dirty bit 0")
                if not e.a:
                    raise self._fault("Data Access-Bit", a, isr, "access bit 0")
            pa = e.pa | (a & (e.size - 1))
            ma = e.ma
            mode = (1 + pl) << 52
        else:
            e = None
            pa = self._physical(a, isr)
            ma = 4 if a & _UC_BIT else MA_WB
            mode = PHYS
        if a & (size - 1):
            raise Interruption("Unaligned Reference",
                               f"unaligned {size}-byte reference at {a:#x}", ifa=a, isr=isr)
        if kind == SEM and ma != MA_WB:
            raise Interruption("Unsupported Data Reference",
                               f"semaphore on uncacheable memory at {a:#x}", ifa=a, isr=isr)
        mem = self.mem
        if mem.devices:
            dev = mem.device_at(pa)
            if dev is not None:
                if ma == MA_WB:
                    raise SimError(f"cacheable (WB) reference to device {dev.name} at "
                                   f"physical {pa:#x} (virtual {a:#x}): use an uncacheable "
                                   "mapping")
                if kind == WRITE:
                    dev.write(pa - dev.start, size, value & ((1 << (8 * size)) - 1))
                    return None
                return dev.read(pa - dev.start, size) & ((1 << (8 * size)) - 1)
        try:
            page = mem.page(pa, size, bool(kind & ISR_W))
        except MemoryFault:
            raise MemoryFault(f"{size}-byte reference at {a:#x}: no memory or device at "
                              f"physical {pa:#x}") from None
        off = pa & mem.page_mask
        frame = pa >> FRAME
        key = (a >> FRAME) | mode
        if ma == MA_WB and mem.frame_in_ram(frame << FRAME, 1 << FRAME):
            clean = e is None or (e.a and (e.d or not kind & ISR_W))
            if clean:
                view = None
                if kind & ISR_R and key not in self.rc:
                    view = self._view(page, off)
                    self.rc[key] = view
                    if e is not None:
                        e.keys.append(key)
                if kind & ISR_W and frame not in self.code_frames and key not in self.wc:
                    if view is None:
                        view = self._view(page, off)
                    self.wc[key] = view
                    self._wframe[key] = frame
                    if e is not None:
                        e.keys.append(key)
        fmt = _FMT[size]
        if kind & ISR_W:
            if kind & ISR_R:  # a semaphore's read (the write comes through stores)
                return fmt.unpack_from(page, off)[0]
            fmt.pack_into(page, off, value & ((1 << (8 * size)) - 1))
            if frame in self.code_frames and self.on_code_store is not None:
                self.on_code_store(pa, size)
            return None
        return fmt.unpack_from(page, off)[0]

    def _view(self, page: bytearray, off: int):
        """The 4 KiB frame at ``off`` in a memory page: the page itself when memory
        has 4 KiB pages (the fastest to unpack from), else a memoryview."""
        if self.mem.page_shift == FRAME:
            return page
        base = off & ~0xFFF
        return memoryview(page)[base:base + 0x1000]

    def _spec_load(self, a: int, size: int, ip: int):
        """``ld.s``: the value, or None when the load defers (see the module doc)."""
        psr = self.priv.psr
        if (psr >> PSR_ED) & 1 or not (psr >> PSR_DT) & 1:
            return None
        ed = self.code_ed(ip)
        sp = ISR_SP | (ISR_ED if ed else 0)
        try:
            if not self.impl_va(a):
                return None
            e = self._dentry_quiet(a)
            if e is not None and e.p and (e.ma != MA_WB or (
                    self.mem.devices and self.mem.device_at(e.pa) is not None)):
                return None  # uncacheable or NaTPage: never speculatively
            return self.access(a, size, READ, sp=sp)
        except Interruption as x:
            if not (psr >> PSR_IC) & 1:
                return None
            if x.vector == "Unaligned Reference":
                if ed:
                    return None
                raise
            bit = _DEFER_BIT.get(x.vector)
            if bit is not None and ed and self.priv.cr[CR_DCR] & bit:
                return None
            raise

    def _dentry_quiet(self, a: int):
        return self.tlb.lookup("d", (self.priv.rr[a >> 61] >> 8) & 0xFFFFFF, a)

    def code_ed(self, ip: int) -> int:
        """TLB.ed of the code page of ``ip`` (0 in physical mode or without a
        translation): whether its speculative loads may defer faults."""
        if not (self.priv.psr >> PSR_IT) & 1:
            return 0
        e = self.tlb.lookup("i", (self.priv.rr[ip >> 61] >> 8) & 0xFFFFFF, ip)
        return e.ed if e is not None else 0

    def non_access(self, a: int, code: int, kind: int = READ) -> int:
        """``fc``/``fc.i`` (NA_FC), ``lfetch.fault`` (NA_LFETCH): translate with the
        non-access ISR code; returns the physical address.  fc needs read
        permission; lfetch.fault checks like a load."""
        isr = kind | ISR_NA | code
        psr = self.priv.psr
        if not (psr >> PSR_DT) & 1:
            return self._physical(a, isr)
        e = self._dentry(a, isr)
        pl = (psr >> 32) & 3
        if not e.rights[pl] & _need(kind):
            raise self._fault("Data Access Rights", a, isr, "data access rights")
        if code == NA_LFETCH and not (psr >> PSR_DA) & 1 and not e.a:
            raise self._fault("Data Access-Bit", a, isr, "access bit 0")
        return e.pa | (a & (e.size - 1))

    # -- the platform's view (no faults, no side effects) ---------------------------
    def virt_to_phys(self, va: int, side: str = "d") -> int | None:
        """The physical address ``va`` reaches now (data side per psr.dt, or the
        instruction side per psr.it with ``side="i"``), or None when no
        present translation maps it.  No fault, no access check, no caching:
        for a platform's firmware emulation reading arguments, and for
        diagnostics."""
        psr = self.priv.psr
        if not (psr >> (PSR_IT if side == "i" else PSR_DT)) & 1:
            pa = va & ~_UC_BIT
            return None if pa & _UNIMPL_PA else pa
        if not self.impl_va(va):
            return None
        e = self.tlb.lookup(side, (self.priv.rr[va >> 61] >> 8) & 0xFFFFFF, va)
        if e is None or not e.p or e.ma == MA_NATPAGE:
            return None
        return e.pa | (va & (e.size - 1))

    def read_virtual(self, va: int, n: int) -> bytes:
        """``n`` bytes at ``va`` through ``virt_to_phys`` (RAM only); SimError where
        nothing is mapped."""
        out = bytearray()
        while n > 0:
            k = min(n, 0x1000 - (va & 0xFFF))
            pa = self.virt_to_phys(va)
            if pa is None:
                raise SimError(f"read of {va:#x}: not mapped")
            out += self.mem.read_bytes(pa, k)
            va, n = va + k, n - k
        return bytes(out)

    def write_virtual(self, va: int, data: bytes) -> None:
        """Write ``data`` at ``va`` through ``virt_to_phys`` (RAM only).  Like
        ``Memory.write_bytes``, this does not call ``on_code_store``."""
        i = 0
        while i < len(data):
            k = min(len(data) - i, 0x1000 - ((va + i) & 0xFFF))
            pa = self.virt_to_phys(va + i)
            if pa is None:
                raise SimError(f"write of {va + i:#x}: not mapped")
            self.mem.write_bytes(pa, data[i:i + k])
            i += k

    # -- instruction fetch --------------------------------------------------------
    def _fetch(self, ip: int) -> int:
        """The fetch cache's slow path: translate ``ip`` for execution."""
        psr = self.priv.psr
        ifa = ip & ~0xF
        if (psr >> PSR_IT) & 1:
            cpl = (psr >> 32) & 3
            if (psr >> PSR_PK) & 1:
                raise SimError("protection keys (psr.pk = 1) are not modelled", ip)
            if not self.impl_va(ip):
                raise SimError(f"instruction fetch from unimplemented address {ip:#x}", ip)
            e = self.tlb.lookup("i", (self.priv.rr[ip >> 61] >> 8) & 0xFFFFFF, ip)
            if e is None:
                raise self._fault(self._miss_vector(ip, False), ifa, ISR_X,
                                  "instruction TLB miss", miss=True)
            if not e.p:
                raise self._fault("Page Not Present", ifa, ISR_X,
                                  "instruction page not present")
            if e.ma == MA_NATPAGE:
                raise self._fault("NaT Consumption", ifa, ISR_X | NAT_PAGE_CODE,
                                  "instruction fetch from a NaTPage")
            if not e.rights[cpl] & X:
                raise self._fault("Instruction Access Rights", ifa, ISR_X,
                                  f"instruction access rights (ar {e.ar}, pl {e.pl}, "
                                  f"cpl {cpl})")
            if not e.a and not (psr >> PSR_IA) & 1:
                raise self._fault("Instruction Access-Bit", ifa, ISR_X, "access bit 0")
            pa = e.pa | (ip & (e.size - 1))
            mode = (1 + cpl) << 52
        else:
            e = None
            pa = ip & ~_UC_BIT
            if pa & _UNIMPL_PA:
                raise SimError(f"instruction fetch from unimplemented physical address "
                               f"{ip:#x}", ip)
            mode = PHYS
        mem = self.mem
        if mem.devices and mem.device_at(pa) is not None:
            raise SimError(f"instruction fetch from device {mem.device_at(pa).name} at "
                           f"physical {pa:#x}", ip)
        base = pa & ~0xFFF
        if not mem.frame_in_ram(base, 1 << FRAME):
            if not mem.frame_in_ram(pa & ~0xF, 16):
                raise SimError(f"instruction fetch at {ip:#x}: no memory at physical "
                               f"{pa:#x}", ip)
            return pa
        if e is None or e.a:
            key = (ip >> FRAME) | mode
            self.xc[key] = base
            if e is not None:
                e.keys.append(key)
        return pa

    def epc_pl(self, ip: int) -> int | None:
        """The privilege level ``epc`` at ``ip`` promotes to (TLB.ar 7 and TLB.pl <
        cpl, SDM vol. 2, 4.1.1.6), or None (no promotion; also in physical mode)."""
        psr = self.priv.psr
        if not (psr >> PSR_IT) & 1:
            return None
        e = self.tlb.lookup("i", (self.priv.rr[ip >> 61] >> 8) & 0xFFFFFF, ip)
        if e is None:
            return None
        return promotion(e.ar, e.pl, (psr >> 32) & 3)

    # -- TLB instructions --------------------------------------------------------------
    def _rid(self, va: int) -> int:
        return (self.priv.rr[va >> 61] >> 8) & 0xFFFFFF

    def itc(self, side: str, pte: int, itir: int, ifa: int) -> None:
        """``itc.i``/``itc.d`` r2 (pte = GR[r2], cr.itir, cr.ifa)."""
        if not self.impl_va(ifa):
            raise self._unimplemented(ifa, 0, "data")
        self.tlb.itc(side, self._rid(ifa), ifa, pte, itir)

    def itr(self, side: str, slot: int, pte: int, itir: int, ifa: int) -> None:
        """``itr.i``/``itr.d`` [r3] = r2 (slot = GR[r3]{7:0})."""
        if not self.impl_va(ifa):
            raise self._unimplemented(ifa, 0, "data")
        self.tlb.itr(side, slot & 0xFF, self._rid(ifa), ifa, pte, itir)

    def ptc_l(self, va: int, r2: int, what: str = "ptc.l") -> None:
        """``ptc.l``/``ptc.g``/``ptc.ga`` r3, r2 (va = GR[r3], size 2**r2{7:2})."""
        if not self.impl_va(va):
            raise self._unimplemented(va, 0, "data")
        self.tlb.ptc(self._rid(va), va, r2, what)

    def ptc_e(self, va: int = 0) -> None:
        """``ptc.e`` r3: one purges the whole translation cache (PAL_PTCE_INFO
        reports base 0, counts 1/1, strides 0/0)."""
        self.tlb.ptc_e()

    def ptr(self, side: str, va: int, r2: int) -> None:
        """``ptr.i``/``ptr.d`` r3, r2."""
        if not self.impl_va(va):
            raise self._unimplemented(va, 0, "data")
        self.tlb.ptr(side, self._rid(va), va, r2)

    def thash(self, va: int) -> int:
        return vhpt.thash(va, self.priv.rr[va >> 61], self.priv.cr[CR_PTA])

    def ttag(self, va: int) -> int:
        return vhpt.ttag(va, self.priv.rr[va >> 61])

    def tpa(self, va: int) -> int:
        """``tpa``: the physical address of ``va`` through the data TLB (faults as a
        data reference with ISR.na, code 0; no access-rights check)."""
        e = self._dentry(va, ISR_NA | NA_TPA)
        return e.pa | (va & (e.size - 1))

    def tak(self, va: int) -> int:
        """``tak``: the protection key (in bits 31:8) of ``va``'s data translation,
        or 1 when there is none (no fault: there is no VHPT walker)."""
        if not self.impl_va(va):
            return 1
        e = self._dentry_quiet(va)
        if e is None or not e.p:
            return 1
        return e.key << 8

    def probe(self, va: int, pl: int, kind: int, fault: bool = False) -> int:
        """``probe.r``/``.w`` (kind READ/WRITE; ``.rw.fault``: SEM) at privilege level
        max(cpl, pl): 1 if the access would be allowed, else 0; with
        ``fault`` an access-rights violation faults (ISR.na, code 5) instead.
        Misses, page not present and NaTPage fault as data references do
        (ISR.na, code 2 or 5).  In physical mode every probe answers 1, at an
        unimplemented address 0."""
        psr = self.priv.psr
        if not (psr >> PSR_DT) & 1:
            return 1
        if not self.impl_va(va):
            return 0
        pl = max((psr >> 32) & 3, pl & 3)
        isr = kind | ISR_NA | (NA_PROBE_FAULT if fault else NA_PROBE)
        e = self._dentry(va, isr)
        if e.rights[pl] & _need(kind) == _need(kind):
            return 1
        if fault:
            raise self._fault("Data Access Rights", va, isr, "probe: access rights")
        return 0
