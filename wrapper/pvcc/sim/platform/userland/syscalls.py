"""``break`` immediates the model serves: Linux ia64 system calls and the
model's hypercalls.

System calls: ``break 0x100000``, number in r15, arguments in out0-out5
(r32+sol ... of the current frame), result in r8 and r10 = 0 (success) or
r10 = -1 and r8 = errno.  Served: exit (1025), write (1027, fds 1 and 2),
exit_group (1236), getpid (1041: 1).  Numbers are arch/ia64's syscall.tbl
plus 1024.

Hypercalls: ``break 0x1C0000 + N``, arguments in r8-r11, result in r8; they
use only static registers so that code running in its caller's frame (the
static calling convention) can use them:

  N=0 cpuid      r8 = CPUID[r8]
  N=1 itc        r8 = the next ITC value (the sequence mov r=ar.itc reads)
  N=2 thash      r8 = thash(r8)
  N=3 ttag       r8 = ttag(r8)
  N=4 set itc    ITC = r8 (as mov ar.itc=r8)
  N=5 log        append (name of effect r8, r9, r10) to the effect log
                 (r8: 0 fc, 1 fc.i, 2 ptc.ga, 3 ptc.e, 4 itc.d, 5 itc.i, 6 itr.d,
                 7 itr.i, 8 srlz.d, 9 srlz.i, 10 sync.i, 11 mov.to.eoi,
                 12 mov.to.itm)
  N=6 clobber    the hostile return of a C-convention callee: overwrite
                 r2, r3, r9-r11, r14-r31, b6, b7, p6-p15, ar.ccv, f6-f15 and
                 f32-f127 with values that change with every call and with
                 the run's seed, except the registers of the keep mask in r8
                 (bit n: rn for n < 32, bit 32 + n: bn)
  N=7 psr        r8 = the machine PSR (as mov r8=psr)
  N=8 cr         r8 = cr[r8] (reads; no side effect)
  N=9 rr         r8 = rr[r8 >> 61]
  N=10 clobber   as 6 without f32-f127 (a C function behind a light thunk)
  N=11 clobber   the hostile return of a light-convention callee: r2, r3,
                 r8-r11, r14-r17, b6, b7, p6-p15, ar.ccv, except the registers
                 of the keep mask in r9; no FR

The clobber sets are ``hostile.py``'s.

Any other ``break`` stops the model with "break IMM (trap)".
"""

from __future__ import annotations

import random

from ...cpu.nat import plain
from ...errors import ProgramExit, SimError
from ...lab import hostile

SYSCALL = 0x100000
HYPERCALL = 0x1C0000
HYPERCALL_END = 0x1D0000
SYS_EXIT, SYS_WRITE, SYS_GETPID, SYS_EXIT_GROUP = 1025, 1027, 1041, 1236
EFFECTS = ("fc", "fc.i", "ptc.ga", "ptc.e", "itc.d", "itc.i", "itr.d", "itr.i", "srlz.d",
           "srlz.i", "sync.i", "mov.to.eoi", "mov.to.itm")
EBADF, ENOSYS, EFAULT = 9, 38, 14


def attach(ex, seed: int = 1) -> Syscalls:
    """Plug the user-mode harness's system calls and hypercalls into the executor
    ``ex`` (its ``break`` handler); the values the clobber hypercalls write depend
    on ``seed``."""
    ex.platform = Syscalls(ex, seed)
    return ex.platform


class Syscalls:
    def __init__(self, ex, seed: int = 1):
        self.ex = ex
        self.rng = random.Random(seed)

    def _arg(self, n: int) -> int:
        rse = self.ex.rse
        r = 32 + rse.sol + n
        return plain(self.ex.st.g[r]) if r < 32 + rse.sof else 0

    def brk(self, imm: int, addr: int) -> None:
        if imm == SYSCALL:
            self.syscall(addr)
        elif HYPERCALL <= imm < HYPERCALL_END:
            self.hypercall(imm - HYPERCALL, addr)
        else:
            raise SimError(f"break {imm:#x} (trap)", addr)

    def _ret(self, value: int, err: bool = False) -> None:
        g = self.ex.st.g
        g[8] = value & ((1 << 64) - 1)
        g[10] = (1 << 64) - 1 if err else 0

    def syscall(self, addr: int) -> None:
        st = self.ex.st
        nr = plain(st.g[15])
        if nr in (SYS_EXIT, SYS_EXIT_GROUP):
            raise ProgramExit(self._arg(0) & 0xFF)
        if nr == SYS_WRITE:
            fd, buf, count = self._arg(0), self._arg(1), self._arg(2)
            if fd not in (1, 2):
                return self._ret(EBADF, True)
            try:
                data = st.mem.read_bytes(buf, count)
            except SimError:
                return self._ret(EFAULT, True)
            out = self.ex.out if fd == 1 else self.ex.err
            out.write(data)
            return self._ret(count)
        if nr == SYS_GETPID:
            return self._ret(1)
        raise SimError(f"unsupported system call {nr}", addr)

    def hypercall(self, n: int, addr: int) -> None:
        ex = self.ex
        st = ex.st
        g = st.g
        p = ex.priv
        a0 = plain(g[8])
        if n == 0:
            g[8] = ex.cpuid(a0)
        elif n == 1:
            g[8] = p.read_itc()
        elif n == 2:
            g[8] = p.thash(a0)
        elif n == 3:
            g[8] = p.ttag(a0)
        elif n == 4:
            p.write_itc(a0)
        elif n == 5:
            if a0 >= len(EFFECTS):
                raise SimError(f"hypercall log: unknown effect {a0}", addr)
            p.log(EFFECTS[a0], addr, plain(g[9]), plain(g[10]))
        elif n in hostile.CLOBBERS:
            regs = hostile.CLOBBERS[n]
            self.clobber(regs, plain(g[regs.mask_reg]))
        elif n == 7:
            g[8] = p.psr & 0xFFFFFFFFF
        elif n == 8:
            g[8] = ex.read_cr(a0 & 0x7F)
        elif n == 9:
            g[8] = p.rr[a0 >> 61]
        else:
            raise SimError(f"unknown hypercall {n}", addr)

    def clobber(self, regs: hostile.ClobberSet, keep: int) -> None:
        """Overwrite the registers of ``regs`` but those of the keep mask."""
        st = self.ex.st
        rnd = self.rng.getrandbits
        for r in regs.grs:
            if not (keep >> r) & 1:
                st.g[r] = rnd(64)
        for b in regs.brs:
            if not (keep >> (32 + b)) & 1:
                st.br[b] = rnd(60) << 4
        for p in regs.prs:
            st.pr[p] = bool(rnd(1))
        for a in regs.ars:
            st.ar[a] = rnd(64)
        for f in regs.frs:
            st.fs[f] = rnd(64)
            st.fe[f] = 0x1003E
