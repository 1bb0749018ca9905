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

Rotating registers (SDM vol. 1, 4.5.1 "Register Rotation"): an ``alloc``
with sor > 0 makes r32 to r32+sor-1 a rotating region; f32-f127 and p16-p63
always rotate.  The logical names ``g``, ``fs``/``fe`` and ``pr`` hold are
what the instructions see, so a change of a rename base (``rrb.gr``,
``rrb.fr``, ``rrb.pr`` of the CFM) inside a frame (``br.ctop``, ``br.cexit``,
``br.wtop``, ``br.wexit``, ``clrrrb``) moves the values between the logical
names (``set_rrb``).  A frame switch (``br.call`` and ``cover`` clear the
bases, ``br.ret`` and ``rfi`` restore them) keeps the stacked registers in
their logical order: the frame is saved and restored by logical name, so
only the floating-point and predicate registers, which are not saved with
the frame, move.  Deviation: a frame spilled to the backing store while
rrb.gr != 0 is stored in logical, not physical, order (only software that
reads the backing store of a rotating frame could tell).
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


def _rrbs(fm: int) -> tuple[int, int, int]:
    """rrb.gr, rrb.fr, rrb.pr of a frame marker."""
    return (fm >> 18) & 0x7F, (fm >> 25) & 0x7F, (fm >> 32) & 0x3F


def _rrb_ok(fm: int, sor: int) -> bool:
    gr, fr, pr = _rrbs(fm)
    return gr < max(sor, 1) and fr < 96 and pr < 48


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
        self.rrb_gr = self.rrb_fr = self.rrb_pr = 0  # rename bases (CFM.rrb)
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
        self.set_rrb(0, 0, 0)
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

    # -- rotation -------------------------------------------------------------
    def set_rrb(self, gr: int, fr: int, pr: int, move_gr: bool = True) -> None:
        """New rename bases: the logical registers of the rotating regions take the
        values the new bases name (``move_gr`` False: the frame's registers were
        just restored by logical name, only the base changes)."""
        st = self.state
        if gr != self.rrb_gr and move_gr and self.sor:
            d = (gr - self.rrb_gr) % self.sor
            g = st.g
            seg = g[32:32 + self.sor]
            g[32:32 + self.sor] = seg[d:] + seg[:d]
        if fr != self.rrb_fr:
            d = (fr - self.rrb_fr) % 96
            for a in (st.fs, st.fe):
                seg = a[32:128]
                a[32:128] = seg[d:] + seg[:d]
        if pr != self.rrb_pr:
            d = (pr - self.rrb_pr) % 48
            seg = st.pr[16:64]
            st.pr[16:64] = seg[d:] + seg[:d]
        self.rrb_gr, self.rrb_fr, self.rrb_pr = gr, fr, pr

    def rotate(self) -> None:
        """One rotation (the modulo-scheduled loop branches): every base decrements,
        so the value of r32 is r33's after it (f32 -> f33, p16 -> p17, and the
        last register of each region -> the first)."""
        self.set_rrb((self.rrb_gr - 1) % self.sor if self.sor else 0,
                     (self.rrb_fr - 1) % 96, (self.rrb_pr - 1) % 48)

    def loop_branch(self, kind: str, cond: bool) -> bool:
        """br.ctop/br.cexit (``cond`` unused) and br.wtop/br.wexit (``cond`` =
        PR[qp]): ar.lc, ar.ec, p63 and the rotation as the SDM's pseudo-code
        (vol. 3, "br"); whether the top form (ctop, wtop) is taken."""
        ar = self.state.ar
        pr = self.state.pr
        lc, ec = ar[65], ar[66] & 0x3F
        if kind in ("ctop", "cexit"):
            if lc:
                ar[65] = lc - 1
                pr[63] = True
                self.rotate()
                return True
        elif cond:
            pr[63] = False
            self.rotate()
            return True
        if ec:
            ar[66] = ec - 1
            pr[63] = False
            self.rotate()
            return ec > 1
        pr[63] = False
        return False

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
        self.set_rrb(0, 0, 0, move_gr=False)
        self._load_frame()
        return old

    def ret(self, pfm: int) -> None:
        """br.ret: restore the frame marker ``pfm`` (from ar.pfs)."""
        sof, sol, sor = pfm & 0x7F, (pfm >> 7) & 0x7F, ((pfm >> 14) & 0xF) * 8
        if sol > sof or sof > 96 or sor > sof or not _rrb_ok(pfm, sor):
            raise SimError(f"br.ret with a bad previous frame marker {pfm:#x} in ar.pfs")
        self._save_frame()
        if self.bof - sol < self.bsi:  # fills first: a fault leaves the frame as it was
            self._fill_to(self.bof - sol)
        self.bof -= sol
        self.sof, self.sol, self.sor = sof, sol, sor
        self._load_frame()
        self.set_rrb(*_rrbs(pfm), move_gr=False)

    def alloc(self, sof: int, sol: int, sor: int) -> None:
        if sof > 96 or sol > sof or sor > sof:
            raise SimError(f"alloc with sof={sof} sol={sol} sor={sor}: illegal operation")
        if sor != self.sor and self.rrb_gr:
            raise SimError(f"alloc changing sor with rrb.gr = {self.rrb_gr}: "
                           "reserved register/field")
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
        if sol > sof or sof > 96 or sor > sof or not _rrb_ok(ifm, sor):
            raise SimError(f"rfi with a bad frame marker {ifm:#x} in cr.ifs")
        self._save_frame()
        if self.bof - sof < self.bsi:
            self._fill_to(self.bof - sof)
        self.bof -= sof
        self.sof, self.sol, self.sor = sof, sol, sor
        self._load_frame()
        self.set_rrb(*_rrbs(ifm), move_gr=False)

    def cover(self) -> None:
        self._save_frame()
        self.bof += self.sof
        self.sof = self.sol = self.sor = 0
        self.set_rrb(0, 0, 0, move_gr=False)
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
