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

Rotating registers (the CFM's sor and rrb fields): the frame's first ``sor``
registers, f32-f127 and p16-p63 rotate by rrb.gr, rrb.fr and rrb.pr.  The
model keeps every register in *logical* order (``g[32 + i]`` is what
r(32 + i) names now): a rotation (the loop branches, ``clrrrb``, a frame
change that changes rrb.fr or rrb.pr) moves the values instead of renaming
them.  A frame with rrb.gr != 0 goes to the backing store in that logical
order: only software reading single rotated registers from the backing
store could tell.
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
        self.rrb_gr = self.rrb_fr = self.rrb_pr = 0
        self.rot = False  # some rrb field is not 0
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
        self._set_rrb(0, 0, 0)
        self.state.g[32:128] = _OUT_TAIL[:96]

    # -- ar.bsp / ar.bspstore ---------------------------------------------
    @property
    def bsp(self) -> int:
        return reg_addr(self.bof)

    @property
    def bspstore(self) -> int:
        return reg_addr(self.bsi)

    def cfm(self) -> int:
        return (self.sof | self.sol << 7 | (self.sor // 8) << 14 | self.rrb_gr << 18
                | self.rrb_fr << 25 | self.rrb_pr << 32)

    # -- register rotation -----------------------------------------------------
    @staticmethod
    def _rotate(regs: list, lo: int, n: int, d: int) -> None:
        """regs[lo:lo+n] seen with a register base d higher: new[i] = old[i + d]."""
        d %= n
        if d:
            seg = regs[lo:lo + n]
            regs[lo:lo + n] = seg[d:] + seg[:d]

    def _set_rrb(self, gr: int, fr: int, pr: int) -> None:
        """Make (gr, fr, pr) the rrb fields, rotating the registers' values."""
        st = self.state
        if gr != self.rrb_gr and self.sor:
            self._rotate(st.g, 32, self.sor, gr - self.rrb_gr)
        if fr != self.rrb_fr:
            self._rotate(st.fs, 32, 96, fr - self.rrb_fr)
            self._rotate(st.fe, 32, 96, fr - self.rrb_fr)
        if pr != self.rrb_pr:
            self._rotate(st.pr, 16, 48, pr - self.rrb_pr)
        self.rrb_gr, self.rrb_fr, self.rrb_pr = gr, fr, pr
        self.rot = bool(gr or fr or pr)

    def rotate(self) -> None:
        """The loop branches' rotation: every rrb decrements (modulo its size)."""
        self._set_rrb((self.rrb_gr - 1) % self.sor if self.sor else 0,
                      (self.rrb_fr - 1) % 96, (self.rrb_pr - 1) % 48)

    def clrrrb(self, pr_only: bool = False) -> None:
        if pr_only:
            self._set_rrb(self.rrb_gr, self.rrb_fr, 0)
        else:
            self._set_rrb(0, 0, 0)

    @staticmethod
    def _fields(fm: int, what: str) -> tuple:
        """sof, sol, sor, rrb.gr, rrb.fr, rrb.pr of a frame marker, checked."""
        sof, sol, sor = fm & 0x7F, (fm >> 7) & 0x7F, ((fm >> 14) & 0xF) * 8
        gr, fr, pr = (fm >> 18) & 0x7F, (fm >> 25) & 0x7F, (fm >> 32) & 0x3F
        if sol > sof or sof > 96 or sor > sof or fr >= 96 or pr >= 48 or (
                gr and gr >= sor) or fm >> 38:
            raise SimError(f"{what} {fm:#x}")
        return sof, sol, sor, gr, fr, pr

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
        if self.rot:
            self.rrb_gr = 0  # (the caller's rotating registers stay in the order saved)
            self._set_rrb(0, 0, 0)
        self._load_frame()
        return old

    def ret(self, pfm: int) -> None:
        """br.ret: restore the frame marker ``pfm`` (from ar.pfs)."""
        if pfm >> 14:  # rotating registers (or junk)
            sof, sol, sor, gr, fr, pr = self._fields(pfm, "br.ret with a bad frame marker "
                                                      "in ar.pfs:")
        else:  # the common case, kept short
            sof, sol, sor = pfm & 0x7F, (pfm >> 7) & 0x7F, 0
            gr = fr = pr = 0
            if sol > sof or sof > 96:
                raise SimError(f"br.ret with a bad frame marker in ar.pfs: {pfm:#x}")
        self._save_frame()
        if self.bof - sol < self.bsi:  # fills first: a fault leaves the frame as it was
            self._fill_to(self.bof - sol)
        self.bof -= sol
        self.sof, self.sol, self.sor = sof, sol, sor
        if gr or fr or pr or self.rot:
            self.rrb_gr = gr  # (its registers were saved in this rotation's order)
            self._set_rrb(gr, fr, pr)
        self._load_frame()

    def alloc(self, sof: int, sol: int, sor: int) -> None:
        if sof > 96 or sol > sof or sor > sof:
            raise SimError(f"alloc with sof={sof} sol={sol} sor={sor}: illegal operation")
        if self.rot and sor != self.sor:
            raise SimError(f"alloc changes sor ({self.sor} to {sor}) with a register "
                           "rotation in effect (rrb != 0): reserved register/field")
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
        sof, sol, sor, gr, fr, pr = self._fields(ifm, "rfi with a bad frame marker in cr.ifs:")
        self._save_frame()
        if self.bof - sof < self.bsi:
            self._fill_to(self.bof - sof)
        self.bof -= sof
        self.sof, self.sol, self.sor = sof, sol, sor
        self.rrb_gr = gr
        self._set_rrb(gr, fr, pr)
        self._load_frame()

    def cover(self) -> None:
        """cover: the frame joins the dirty partition; the new CFM is all zero."""
        self._save_frame()
        self.bof += self.sof
        self.sof = self.sol = self.sor = 0
        if self.rot:
            self.rrb_gr = 0
            self._set_rrb(0, 0, 0)
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
        """mov ar.bspstore: the dirty registers move with it (SDM vol. 2, 6.4
        "RSE Control": ar.bsp becomes the new bspstore plus the dirty registers
        and their NaT collections); they are spilled there later (Linux's
        kernel entry switches to its own backing store this way)."""
        if value & 7 or is_collection(value):
            raise SimError(f"ar.bspstore = {value:#x} is not a register slot")
        self._save_frame()
        keep = self.stk[self.bsi - self.off:self.bof - self.off + self.sof]
        dirty = self.bof - self.bsi
        self.bsi = self.off = reg_index(value)
        self.bof = self.bsi + dirty
        self.stk = list(keep)
        self._load_frame()

    # -- inspection (tests, hypervisor layer) ------------------------------------
    def frame(self) -> list:
        return self.state.g[32:32 + self.sof]
