"""``break`` immediates the model serves: Linux ia64 system calls and the
model's hypercalls.

System calls: ``break 0x100000``, number in r15, arguments in out0-out5
(r32+sol ... of the current frame), result in r8 and r10 = 0 (success) or
r10 = -1 and r8 = errno.  Served: exit (1025), write (1027, fds 1 and 2),
exit_group (1236), getpid (1041: 1).  Numbers are arch/ia64's syscall.tbl
plus 1024.

Hypercalls: ``break hypercalls.BASE + N`` (the table and what each does:
``pvcc.sim.hypercalls``).  This platform serves cpuid, itc, thash, ttag,
set_itc, log, psr, cr and rr; a lab registers more with
:meth:`Syscalls.register_hypercall` (the proof's clobber hypercalls:
``pvcc.sim.lab.hostile.hypercalls``), and a hypercall nobody registered
stops the model.

Any other ``break`` stops the model with "break IMM (trap)".
"""

from __future__ import annotations

from collections.abc import Callable

from ... import hypercalls as hc
from ...cpu.nat import plain
from ...errors import ProgramExit, SimError

SYSCALL = 0x100000
SYS_EXIT, SYS_WRITE, SYS_GETPID, SYS_EXIT_GROUP = 1025, 1027, 1041, 1236
EBADF, ENOSYS, EFAULT = 9, 38, 14


# A hypercall's handler: handler(executor, address of the break).
Handler = Callable[[object, int], None]


def attach(ex) -> Syscalls:
    """Plug the user-mode harness's system calls and hypercalls into the executor
    ``ex`` (its ``break`` handler)."""
    ex.platform = Syscalls(ex)
    return ex.platform


class Syscalls:
    def __init__(self, ex):
        self.ex = ex
        self.hypercalls: dict[int, Handler] = dict(SERVED)

    def register_hypercall(self, n: int, handler: Handler) -> None:
        """Serve ``break hypercalls.BASE + n`` with ``handler(ex, addr)``.  ``n`` must
        be in ``pvcc.sim.hypercalls``'s table and not served yet."""
        if hc.by_number(n) is None:
            raise ValueError(f"hypercall {n} is not in pvcc.sim.hypercalls' table")
        if n in self.hypercalls:
            raise ValueError(f"hypercall {n} ({hc.by_number(n).name}) is already served")
        self.hypercalls[n] = handler

    def _arg(self, n: int) -> int:
        rse = self.ex.rse
        r = 32 + rse.sol + n
        return plain(self.ex.st.g[r]) if r < 32 + rse.sof else 0

    def brk(self, imm: int, addr: int) -> None:
        if imm == SYSCALL:
            self.syscall(addr)
        elif hc.BASE <= imm < hc.END:
            self.hypercall(imm - hc.BASE, addr)
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
        handler = self.hypercalls.get(n)
        if handler is None:
            raise SimError(f"unknown hypercall {n}", addr)
        handler(self.ex, addr)


# The hypercalls this platform serves itself (handler(ex, addr); argument in r8).
def _a0(ex) -> int:
    return plain(ex.st.g[8])


def _cpuid(ex, addr: int) -> None:
    ex.st.g[8] = ex.cpuid(_a0(ex))


def _itc(ex, addr: int) -> None:
    ex.st.g[8] = ex.priv.read_itc()


def _thash(ex, addr: int) -> None:
    ex.st.g[8] = ex.priv.thash(_a0(ex))


def _ttag(ex, addr: int) -> None:
    ex.st.g[8] = ex.priv.ttag(_a0(ex))


def _set_itc(ex, addr: int) -> None:
    ex.priv.write_itc(_a0(ex))


def _log(ex, addr: int) -> None:
    effect = _a0(ex)
    if effect >= len(hc.EFFECTS):
        raise SimError(f"hypercall log: unknown effect {effect}", addr)
    g = ex.st.g
    ex.priv.log(hc.EFFECTS[effect], addr, plain(g[9]), plain(g[10]))


def _psr(ex, addr: int) -> None:
    ex.st.g[8] = ex.priv.psr & 0xFFFFFFFFF


def _cr(ex, addr: int) -> None:
    ex.st.g[8] = ex.read_cr(_a0(ex) & 0x7F)


def _rr(ex, addr: int) -> None:
    ex.st.g[8] = ex.priv.rr[_a0(ex) >> 61]


SERVED: dict[int, Handler] = {hc.CPUID: _cpuid, hc.ITC: _itc, hc.THASH: _thash, hc.TTAG: _ttag,
                              hc.SET_ITC: _set_itc, hc.LOG: _log, hc.PSR: _psr, hc.CR: _cr,
                              hc.RR: _rr}
