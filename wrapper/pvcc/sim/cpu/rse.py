"""The register stack engine: frames (CFM), renaming of r32 and up, the
physical stacked register file and its backing store in memory.

The executor sees the current frame as ``state.g[32:32+sof]`` (logical
numbering).  Every other stacked register lives in ``stk``, indexed by its
*register index*: the number of stacked registers below it in the backing
store, which maps 1:1 to a backing-store address that skips the NaT
collection slots (address bits 8:3 all ones).  Registers with an index in
``[bsi, bof)`` are dirty (in the physical file, not yet in memory); below
``bsi`` they are in memory only.  At most ``nphys`` registers (dirty plus the
current frame) fit in the physical file: ``alloc`` spills the oldest dirty
registers when the frame would not fit, ``br.ret`` fills the caller's frame
back when it is no longer in the file.
"""

from __future__ import annotations

from ..errors import SimError
from .nat import OUTSIDE, NaT

M64 = (1 << 64) - 1


def reg_addr(idx: int) -> int:
    """Backing-store address of the register with index ``idx``."""
    return 8 * (idx + idx // 63)


def reg_index(addr: int) -> int:
    """Register index of a backing-store address (the next register for a
    NaT collection slot)."""
    s = addr >> 3
    return s - (s + 1) // 64


def is_collection(addr: int) -> bool:
    return (addr >> 3) & 63 == 63


_OUT_TAIL = [OUTSIDE] * 97


def undefined_value(index: int) -> int:
    """The value of a stacked register an alloc created and nothing wrote yet.

    Architecturally undefined; the model picks junk that names the register's
    backing-store slot (``index``), so two runs of a program agree.
    """
    return 0xBAD0_0000_0000_0000 | (index * 0x9E37_79B9) & 0xFFFF_FFFF_FFFF


class RSE:
    def __init__(self, state, nphys: int = 96):
        if nphys < 96 or nphys > 4096:
            raise ValueError("the physical stacked register file holds 96 to 4096 registers")
        self.state = state
        self.nphys = nphys
        self.sof = self.sol = self.sor = 0
        self.bof = 0  # register index of r32
        self.bsi = 0  # register index at ar.bspstore
        self.stk: list = []
        self.off = 0  # register index of stk[0]
        self.spills = self.fills = 0
        # the references of mandatory spills and fills (system mode: translated)
        self.loads = state.mem.loads
        self.stores = state.mem.stores

    # -- set-up ------------------------------------------------------------
    def reset(self, bspstore: int) -> None:
        if bspstore & 7 or is_collection(bspstore):
            raise SimError(f"backing store address {bspstore:#x} is not a register slot")
        self.bof = self.bsi = self.off = reg_index(bspstore)
        self.stk = []
        self.sof = self.sol = self.sor = 0
        self.state.g[32:128] = _OUT_TAIL[:96]

    # -- ar.bsp / ar.bspstore ---------------------------------------------
    @property
    def bsp(self) -> int:
        return reg_addr(self.bof)

    @property
    def bspstore(self) -> int:
        return reg_addr(self.bsi)

    def cfm(self) -> int:
        return self.sof | self.sol << 7 | (self.sor // 8) << 14

    # -- frame switching ----------------------------------------------------
    def _save_frame(self) -> None:
        g = self.state.g
        sof = self.sof
        i = self.bof - self.off
        stk = self.stk
        if len(stk) < i + sof:
            stk.extend([OUTSIDE] * (i + sof - len(stk)))
        stk[i:i + sof] = g[32:32 + sof]
        tail = g[32 + sof:128]
        try:
            clean = tail.count(OUTSIDE) == len(tail)
        except TypeError:
            clean = False
        if not clean:
            for n, v in enumerate(tail):
                if v is not OUTSIDE:
                    raise SimError(f"r{32 + sof + n} was written outside the frame "
                                   f"(sof={sof})")

    def _load_frame(self) -> None:
        g = self.state.g
        sof = self.sof
        i = self.bof - self.off
        stk = self.stk
        if len(stk) < i + sof:
            stk.extend([OUTSIDE] * (i + sof - len(stk)))
        g[32:32 + sof] = stk[i:i + sof]
        g[32 + sof:128] = _OUT_TAIL[:96 - sof]

    def call(self) -> int:
        """br.call: the caller's locals become dirty, its outputs the new frame.
        Returns the previous frame marker for ar.pfs."""
        old = self.cfm()
        self._save_frame()
        self.bof += self.sol
        self.sof -= self.sol
        self.sol = 0
        self.sor = 0
        self._load_frame()
        return old

    def ret(self, pfm: int) -> None:
        """br.ret: restore the frame marker ``pfm`` (from ar.pfs)."""
        sof, sol, sor = pfm & 0x7F, (pfm >> 7) & 0x7F, ((pfm >> 14) & 0xF) * 8
        if sol > sof or sof > 96 or (pfm >> 18) & 0xFFFFF:
            raise SimError(f"br.ret with a bad previous frame marker {pfm:#x} in ar.pfs")
        self._save_frame()
        if self.bof - sol < self.bsi:  # fills first: a fault leaves the frame as it was
            self._fill_to(self.bof - sol)
        self.bof -= sol
        self.sof, self.sol, self.sor = sof, sol, sor
        self._load_frame()

    def alloc(self, sof: int, sol: int, sor: int) -> None:
        if sor:
            raise SimError("alloc with rotating registers (sor > 0) is not modelled")
        if sof > 96 or sol > sof:
            raise SimError(f"alloc with sof={sof} sol={sol}: illegal operation")
        self._save_frame()
        old_sof = self.sof
        dirty = self.bof - self.bsi
        if dirty + sof > self.nphys:  # spills first: a fault leaves the frame as it was
            self._spill_to(self.bof + sof - self.nphys)
        self.sof, self.sol, self.sor = sof, sol, sor
        self._load_frame()
        # Registers the alloc adds to the frame hold undefined values: reading
        # one is legal (GCC -O0 copies a returned structure's padding from a
        # register it never wrote).  They get a junk value, never zero, so a
        # program that depends on one shows it; only registers outside the
        # frame stay unreadable.
        g = self.state.g
        for n in range(32 + old_sof, 32 + sof):
            if g[n] is OUTSIDE:
                g[n] = undefined_value(self.bof + n - 32)

    def uncover(self, ifm: int) -> None:
        """``rfi`` with ifs.v = 1: the frame ``ifm`` that ``cover`` (or an
        interruption's cover) pushed becomes current again below bsp."""
        sof, sol, sor = ifm & 0x7F, (ifm >> 7) & 0x7F, ((ifm >> 14) & 0xF) * 8
        if sol > sof or sof > 96:
            raise SimError(f"rfi with a bad frame marker {ifm:#x} in cr.ifs")
        self._save_frame()
        if self.bof - sof < self.bsi:
            self._fill_to(self.bof - sof)
        self.bof -= sof
        self.sof, self.sol, self.sor = sof, sol, sor
        self._load_frame()

    def cover(self) -> None:
        self._save_frame()
        self.bof += self.sof
        self.sof = self.sol = self.sor = 0
        self._load_frame()

    # -- spills and fills ----------------------------------------------------
    def _spill_to(self, idx: int) -> None:
        """Store dirty registers until ``bsi`` reaches ``idx``."""
        st = self.state
        store8 = self.stores[8]
        ar = st.ar
        while self.bsi < idx:
            a = reg_addr(self.bsi)
            j = self.bsi - self.off
            v = self.stk[j] if 0 <= j < len(self.stk) else OUTSIDE
            bit = 1 << ((a >> 3) & 63)
            if type(v) is int:
                store8(a, v)
                ar[19] &= ~bit
            elif type(v) is NaT:
                store8(a, v.v)
                ar[19] |= bit
            else:  # a register never written: spill zero
                store8(a, 0)
                ar[19] &= ~bit
            self.bsi += 1
            self.spills += 1
            if (a >> 3) & 63 == 62:  # the next slot collects the NaT bits
                store8(a + 8, ar[19])

    def _fill_to(self, idx: int) -> None:
        """Load registers back from memory until ``bsi`` comes down to ``idx``."""
        st = self.state
        load8 = self.loads[8]
        ar = st.ar
        top = reg_addr(self.bsi)  # collections below this address are in memory
        if idx < self.off:
            self.stk[0:0] = [OUTSIDE] * (self.off - idx)
            self.off = idx
        while self.bsi > idx:
            self.bsi -= 1
            a = reg_addr(self.bsi)
            coll = a | 0x1F8
            nats = load8(coll) if coll < top else ar[19]
            v = load8(a)
            self.stk[self.bsi - self.off] = NaT(v) if (nats >> ((a >> 3) & 63)) & 1 else v
            self.fills += 1
        coll = reg_addr(self.bsi) | 0x1F8
        if coll < top:
            ar[19] = load8(coll)

    def flushrs(self) -> None:
        self._save_frame()
        self._spill_to(self.bof)

    def loadrs(self) -> None:
        """loadrs: make ``rsc.loadrs`` bytes below bsp the dirty partition."""
        if self.sof:
            raise SimError("loadrs with a non-empty frame (sof != 0): illegal operation")
        nbytes = (self.state.ar[16] >> 16) & 0x3FFF
        target = reg_index(max(self.bsp - nbytes, 0))
        if target < self.bsi:
            self._fill_to(target)
        else:
            self.bsi = target  # registers in between are discarded

    def write_bspstore(self, value: int) -> None:
        if self.bof != self.bsi:
            raise SimError("write to ar.bspstore with dirty registers (flushrs first)")
        if value & 7 or is_collection(value):
            raise SimError(f"ar.bspstore = {value:#x} is not a register slot")
        self._save_frame()
        frame = self.stk[self.bof - self.off:self.bof - self.off + self.sof]
        self.bof = self.bsi = self.off = reg_index(value)
        self.stk = list(frame)
        self._load_frame()

    # -- inspection (tests, hypervisor layer) ------------------------------------
    def frame(self) -> list:
        return self.state.g[32:32 + self.sof]
