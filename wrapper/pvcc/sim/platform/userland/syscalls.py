"""``break`` immediates the model serves: Linux ia64 system calls and the
model's hypercalls.

System calls: ``break 0x100000``, number in r15, arguments in out0-out5
(r32+sol ... of the current frame), result in r8 and r10 = 0 (success) or
r10 = -1 and r8 = errno.  Numbers are arch/ia64's syscall.tbl plus 1024.
Served, with Linux's results and errors where the harness has the thing
asked for (a pointer the program cannot read or write: EFAULT):

  exit (1025), exit_group (1236)   end the run with status arg0 & 0xff
  write (1027)                     fds 1 and 2 (else EBADF)
  open (1028)                      the harness has no files: ENOENT
                                   (ENAMETOOLONG past PATH_MAX)
  getpid (1041)                    1: the program is init
  gettimeofday (1087)              the harness clock (below); tz, if
                                   given, is UTC
  reboot (1096)                    Linux's magic numbers (else EINVAL);
                                   POWER_OFF and HALT end the run with
                                   status 0, other commands EINVAL
  uname (1130)                     Linux / (none) / UTS_RELEASE /
                                   UTS_VERSION / ia64 / (none)
  clock_gettime (1254)             REALTIME, MONOTONIC, MONOTONIC_RAW,
                                   REALTIME_COARSE, MONOTONIC_COARSE,
                                   BOOTTIME (else EINVAL)

The harness clock is deterministic: every clock_gettime and gettimeofday
reads one clock that starts at 0 (the epoch, for the real-time clocks) and
advances CLOCK_STEP_NS at every read that succeeds, so a loop that waits for
time to pass ends after a known number of reads, whatever it executes between
them.  The coarse clocks read it rounded down to a TICK_NS tick, as Linux's
stand at the last timer tick, behind the others by up to a tick.

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
from ...cpu.privileged import PSR_READ
from ...errors import ProgramExit, SimError

SYSCALL = 0x100000
SYS_EXIT, SYS_WRITE, SYS_GETPID, SYS_EXIT_GROUP = 1025, 1027, 1041, 1236
SYS_OPEN, SYS_GETTIMEOFDAY, SYS_REBOOT, SYS_UNAME, SYS_CLOCK_GETTIME = 1028, 1087, 1096, 1130, 1254
EBADF, ENOSYS, EFAULT = 9, 38, 14
ENOENT, EINVAL, ENAMETOOLONG = 2, 22, 36
PATH_MAX = 4096
# what uname reports: the kernel ABI the harness serves is Linux 6.1's
UTS = (b"Linux", b"(none)", b"6.1.0-pvcc-sim", b"#1 pvcc-sim user-mode harness", b"ia64",
       b"(none)")
UTS_FIELD = 65                      # include/uapi/linux/utsname.h: __NEW_UTS_LEN + 1
CLOCK_STEP_NS = 1_000_000           # the harness clock's advance per read
CLOCKS = {0, 1, 4, 5, 6, 7}         # include/uapi/linux/time.h: the clocks served
COARSE_CLOCKS = {5, 6}              # REALTIME_COARSE, MONOTONIC_COARSE
TICK_NS = 10_000_000                # what the coarse clocks round to (a tick at HZ=100)
# include/uapi/linux/reboot.h
REBOOT_MAGIC1 = 0xFEE1DEAD
REBOOT_MAGIC2 = (672274793, 85072278, 369367448, 537993216)
REBOOT_POWER_OFF, REBOOT_HALT = 0x4321FEDC, 0xCDEF0123


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
        self.clock_ns = 0               # the harness clock (system calls)

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
        if nr == SYS_OPEN:
            return self._open(self._arg(0))
        if nr == SYS_UNAME:
            data = b"".join(f.ljust(UTS_FIELD, b"\0") for f in UTS)
            return self._ret(0) if self._put(self._arg(0), data) else self._ret(EFAULT, True)
        if nr == SYS_CLOCK_GETTIME:
            if self._arg(0) not in CLOCKS:
                return self._ret(EINVAL, True)
            ok = self._read_clock(self._arg(1), 1, self._arg(0) in COARSE_CLOCKS)
            return self._ret(0) if ok else self._ret(EFAULT, True)
        if nr == SYS_GETTIMEOFDAY:
            tv, tz = self._arg(0), self._arg(1)
            if tv and not self._read_clock(tv, 1000):
                return self._ret(EFAULT, True)
            if tz and not self._put(tz, bytes(8)):
                return self._ret(EFAULT, True)
            return self._ret(0)
        if nr == SYS_REBOOT:
            magic1, magic2, cmd = (self._arg(i) & 0xFFFFFFFF for i in range(3))
            if magic1 != REBOOT_MAGIC1 or magic2 not in REBOOT_MAGIC2:
                return self._ret(EINVAL, True)
            if cmd in (REBOOT_POWER_OFF, REBOOT_HALT):
                raise ProgramExit(0)
            return self._ret(EINVAL, True)
        raise SimError(f"unsupported system call {nr}", addr)

    def _read_clock(self, addr: int, unit_ns: int, coarse: bool = False) -> bool:
        """Store the harness clock at ``addr`` as {seconds, units of ``unit_ns``}
        (a timespec or a timeval), rounded down to a TICK_NS tick if ``coarse``;
        the clock advances CLOCK_STEP_NS at every read that succeeds.  False
        (EFAULT) if ``addr`` is not writable."""
        now = self.clock_ns + CLOCK_STEP_NS
        sec, ns = divmod(now - now % TICK_NS if coarse else now, 1_000_000_000)
        if not self._put(addr, sec.to_bytes(8, "little") + (ns // unit_ns).to_bytes(8, "little")):
            return False
        self.clock_ns = now
        return True

    def _put(self, addr: int, data: bytes) -> bool:
        """Store ``data`` at ``addr`` for the program, as a copy to user space:
        False (EFAULT) if any byte is outside a writable mapping."""
        mem = self.ex.st.mem
        a, end = addr, addr + len(data)
        while a < end:
            r = mem.region_at(a)
            if r is None or not r[3]:
                return False
            a = r[1]
        mem.write_bytes(addr, data)
        return True

    def _open(self, path: int) -> None:
        """open(2) of a path the harness does not have: ENOENT."""
        mem = self.ex.st.mem
        for i in range(PATH_MAX):
            try:
                c = mem.read_bytes(path + i, 1)
            except SimError:
                return self._ret(EFAULT, True)
            if c == b"\0":
                return self._ret(ENOENT, True)
        return self._ret(ENAMETOOLONG, True)

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
    ex.st.g[8] = ex.priv.psr & PSR_READ  # as mov r=psr


def _cr(ex, addr: int) -> None:
    ex.st.g[8] = ex.read_cr(_a0(ex) & 0x7F)


def _rr(ex, addr: int) -> None:
    ex.st.g[8] = ex.priv.rr[_a0(ex) >> 61]


SERVED: dict[int, Handler] = {hc.CPUID: _cpuid, hc.ITC: _itc, hc.THASH: _thash, hc.TTAG: _ttag,
                              hc.SET_ITC: _set_itc, hc.LOG: _log, hc.PSR: _psr, hc.CR: _cr,
                              hc.RR: _rr}
