"""Architectural state of one IA-64 processor as the executor sees it.

Lists are indexed by register number and never rebound (the executor's
compiled bundles hold references to them):

* ``g``: general registers r0-r127 in *logical* numbering (r32 and up are the
  current frame, see ``rse.py``), plus index 128, a sink for writes to r0.
  A value is an int in [0, 2**64), a ``NaT`` or ``OUTSIDE`` (nat.py).
* ``pr``: predicates p0-p63 as bools, plus index 64, a sink for writes to p0.
* ``br``: b0-b7.  ``ar``: application registers ar0-ar127 (ar.bsp, ar.bspstore
  and ar.itc are computed on read).
* ``fs``/``fe``: floating-point registers as significand and sign:exponent
  (17-bit exponent, sign in bit 17), the register format of the SDM, plus a
  sink at 128; f0 = +0.0 and f1 = +1.0.
"""

from __future__ import annotations

from .memory import Memory
from .privileged import Privileged
from .rse import RSE

M64 = (1 << 64) - 1
EXP_INT = 0x1003E  # exponent of an integer significand (setf.sig)
EXP_NATVAL = 0x1FFFE
AR_RSC, AR_BSP, AR_BSPSTORE, AR_RNAT = 16, 17, 18, 19
AR_CCV, AR_UNAT, AR_FPSR, AR_ITC = 32, 36, 40, 44
AR_PFS, AR_LC, AR_EC = 64, 65, 66


class State:
    def __init__(self, nphys: int = 96, page_shift: int = 16):
        self.g: list = [0] * 129
        self.pr: list = [False] * 65
        self.pr[0] = True
        self.br: list = [0] * 8
        self.ar: list = [0] * 128
        self.ar[AR_FPSR] = 0x0009804C0270033F  # the Linux/SDM default
        self.fs: list = [0] * 129
        self.fe: list = [0] * 129
        self.fs[1], self.fe[1] = 1 << 63, 0xFFFF
        self.mem = Memory(page_shift)  # system mode: 4 KiB pages (the MMU caches them)
        self.rse = RSE(self, nphys)
        self.priv = Privileged()
        self.alat: dict = {}  # register key -> (address, size)
        # r16-r31 of the bank that is not current (system mode: bsw, interruptions);
        # banks[psr.bn] is stale while that bank is current
        self.banks: list = [[0] * 16, [0] * 16]
        self.ip = 0

    def pfs_on_call(self, cfm: int) -> int:
        ec = self.ar[AR_EC] & 0x3F
        cpl = (self.priv.psr >> 32) & 3
        return cfm | ec << 52 | cpl << 62

    def pr_value(self) -> int:
        """p0-p63 as ``mov r=pr`` reads them: as if CFM.rrb.pr were 0 (SDM vol. 1,
        4.4.6 "Predicate Register Transfers"; vol. 3 "mov pr")."""
        rse = self.rse
        if rse.rrb_pr:
            rrb = rse.rrb_pr
            rse._set_rrb(rse.rrb_gr, rse.rrb_fr, 0)
            try:
                return self.pr_value()
            finally:
                rse._set_rrb(rse.rrb_gr, rse.rrb_fr, rrb)
        v = 0
        pr = self.pr
        for n in range(64):
            if pr[n]:
                v |= 1 << n
        return v

    def set_pr(self, value: int, mask: int) -> None:
        """``mov pr=r, mask`` and ``mov pr.rot=imm``: as if CFM.rrb.pr were 0."""
        rse = self.rse
        if rse.rrb_pr:
            rrb = rse.rrb_pr
            rse._set_rrb(rse.rrb_gr, rse.rrb_fr, 0)
            try:
                self.set_pr(value, mask)
            finally:
                rse._set_rrb(rse.rrb_gr, rse.rrb_fr, rrb)
            return
        pr = self.pr
        for n in range(1, 64):
            if (mask >> n) & 1:
                pr[n] = bool((value >> n) & 1)
