"""``pvcc-sim boot``: the system-mode CPU (``board.Board(system=True)``) wired to
the machine of this package, and a Linux 6.1 ia64 vmlinux run on it.

Wiring (docs/machine.md, docs/boot.md):

* physical memory: RAM [0, ``--mem``) as one region of the CPU's memory, and
  the machine's device ranges (I/O SAPIC, 16550 UART, legacy I/O port space)
  as its MMIO ranges; the machine builds its firmware, ACPI tables, boot
  parameter block and the kernel's segments in that memory;
* firmware: every stub of ``m.firmware`` is a ``System.trap``: the CPU reads
  the argument registers the call's convention names, the machine answers
  r8-r11, and the CPU returns as the convention says (PAL static: ip = b0,
  no frame change; PAL stacked, SAL, EFI: as ``br.ret``).  Pointers of calls
  made in virtual mode go through the current translation (regions 6 and 7
  fall back to the kernel's identity mapping when no TLB entry maps them);
* the entry state of ``m.boot``: physical mode, r28 = the boot parameter
  block, ar.k0 = the I/O port base, cr.lid;
* the interval timer: the CPU advances ar.itc by ``ITC_PER_INSN`` (1) per
  executed instruction, and the firmware reports an ITC of ``m.config.itc_hz``
  (10 MHz): one second of the machine's time is 10 M instructions, a 100 Hz
  tick 100,000.  PAL_HALT_LIGHT moves ar.itc to cr.itm (the idle loop costs
  nothing).

The run ends with (``EXIT_*`` below): 0 after PAL_HALT or EFI ResetSystem
with EFI_SUCCESS (Linux's power-off: ``machine_power_off``), 1 after a
ResetSystem with an error status, ``EXIT_PANIC`` (3) at the end of the
console's "Kernel panic - not syncing" line (the line is printed), 124 when
``--max-insns`` is exceeded, 125 on a model error (one line
``pvcc-sim: error: FUNC+0xOFF (ADDR): MESSAGE``), 2 for bad input (a vmlinux
that is not IA-64, truncated, an initrd that does not fit, ...).
"""

from __future__ import annotations

import re
import sys
import time
from collections import Counter
from dataclasses import dataclass, field

from ...board import Board
from ...cpu.nat import plain
from ...errors import EXIT_LIMIT, EXIT_MODEL_ERROR, LoadError, ProgramExit, SimError
from .errors import DeviceError, MachineError
from .machine import Machine
from .passthru import PassThrough

EXIT_PANIC = 3
PHYS_MASK = (1 << 61) - 1
REGION_IDENTITY = (6, 7)  # regions the kernel maps by identity (ivt.S alt_dtlb_miss)
PANIC_TEXT = b"Kernel panic - not syncing"
INIT_TEXT = b"Run /init as init process"  # init/main.c: boot-to-init ends here
# the boot patcher's own line (kernel/pvcc_boot.c), not the lines printed before it
PATCHER_LINE = re.compile(rb"pvcc: (\d+ sites native, |noreplace-paravirt: \d+ sites keep)")
IDLE_LIMIT = 10_000  # PAL_HALT_LIGHT calls in a row with no timer armed: the machine hangs
AR_K0, AR_RSC = 0, 16
CR_LID = 64
CR_IPSR, CR_IIP, CR_IIM, CR_ITV = 16, 19, 24, 72
PSR_RI_SHIFT = 41
HYPERVISORS = ("passthru",)
SYSCALL_BREAK = 0x100000    # Linux ia64's system call: break 0x100000, the number in r15
NR_GETPID = 1041
PATH_SAMPLES = 200          # kernel paths measured per kind (each costs two counter sums)


class PathCosts:
    """Instructions and instruction groups of two kernel paths, per execution
    (``--stats``, docs/boot.md "Native-path cost"):

    * ``getpid syscall``: the Break Instruction interruption of a user-mode
      ``break 0x100000`` with r15 = getpid (/init's loop) up to the rfi that
      returns to user mode (cpl 3);
    * ``timer interrupt``: the External Interrupt delivered while cr.itv's
      vector is pending, up to the rfi that resumes the interrupted
      instruction (what the handler's own interruptions cost is included).

    The first ``PATH_SAMPLES`` of each are measured; the median is reported
    (a path that a timer interrupt or a context switch lengthens is an outlier)."""

    def __init__(self, system, ex):
        self.system, self.ex = system, ex
        self.samples: dict[str, list[tuple[int, int, int]]] = {"getpid syscall": [],
                                                          "timer interrupt": []}
        self.open: dict[str, tuple] = {}   # kind -> (end condition, icount, groups)
        inner = ex.rfi

        def rfi() -> int:
            nip = inner()
            if self.open:
                self._rfi(nip)
            return nip
        ex.rfi = rfi

    def _counts(self) -> tuple[int, int, int]:
        c = self.ex.counters()
        return c["instructions"], c["instruction groups"], c["nops"]

    def deliver(self, vector: str, at: int) -> None:
        s = self.system
        cr = s.priv.cr
        if vector == "Break Instruction":
            kind = "getpid syscall"
            if (cr[CR_IIM] != SYSCALL_BREAK or (cr[CR_IPSR] >> 32) & 3 != 3
                    or plain(s.state.g[15]) != NR_GETPID):
                return
            end = "user"
        elif vector == "External Interrupt":
            kind = "timer interrupt"
            if not (s.intc.irr >> (cr[CR_ITV] & 0xFF)) & 1:
                return
            end = (cr[CR_IIP] & ~15) | ((cr[CR_IPSR] >> PSR_RI_SHIFT) & 3)
        else:
            return
        if len(self.samples[kind]) >= PATH_SAMPLES:
            return
        self.open[kind] = (end, self._counts())

    def _rfi(self, nip: int) -> None:
        s = self.system
        for kind, (end, before) in list(self.open.items()):
            if end == "user" and (s.priv.psr >> 32) & 3 == 3 or end == nip:
                del self.open[kind]
                self.samples[kind].append(tuple(b - a for a, b in zip(before, self._counts())))

    def medians(self) -> dict:
        out = {}
        for kind, xs in self.samples.items():
            if xs:
                n = len(xs)
                out[kind] = (n, *(sorted(x[i] for x in xs)[n // 2] for i in range(3)))
        return out


class KernelPanic(ProgramExit):
    """The console printed the kernel's panic line: the run ends there."""

    def __init__(self, line: str):
        super().__init__(EXIT_PANIC)
        self.line = line


class MachineHalt(ProgramExit):
    """PAL_HALT or EFI ResetSystem."""

    def __init__(self, stop):
        super().__init__(stop.exit_status)
        self.stop = stop


class Console:
    """The UART's output stream: bytes to ``out`` as they come; a line with the
    kernel's panic text ends the run when it is complete."""

    def __init__(self, out):
        self.out = out
        self.line = bytearray()
        self.lines = 0
        self.panic: str | None = None
        self.on_line = None  # called with each complete line (bytes)

    def write(self, data: bytes) -> None:
        if self.out is not None:
            self.out.write(data)
        for b in data:
            if b == 0x0A:
                self.lines += 1
                line = bytes(self.line)
                self.line.clear()
                if self.on_line is not None:
                    self.on_line(line)
                if PANIC_TEXT in line:
                    self.flush()
                    self.panic = line.decode(errors="replace").strip()
                    raise KernelPanic(self.panic)
            else:
                self.line.append(b)

    def flush(self) -> None:
        if self.out is not None:
            self.out.flush()


class FirmwareMemory:
    """The caller's data addresses for a firmware call: physical in physical
    mode (psr.dt = 0), else through the current translation."""

    def __init__(self, system):
        self.system = system

    def _pa(self, va: int, n: int) -> int | None:
        s = self.system
        if not (s.priv.psr >> 17) & 1:
            return va & PHYS_MASK
        return None

    def write(self, addr: int, data: bytes) -> None:
        pa = self._pa(addr, len(data))
        if pa is not None:
            self.system.mem.write_bytes(pa, data)
            return
        for va, chunk in _pages(addr, data):
            self.system.mem.write_bytes(self._translate(va), chunk)

    def read(self, addr: int, size: int) -> bytes:
        pa = self._pa(addr, size)
        if pa is not None:
            return self.system.mem.read_bytes(pa, size)
        out = bytearray()
        for va, chunk in _pages(addr, bytes(size)):
            out += self.system.mem.read_bytes(self._translate(va), len(chunk))
        return bytes(out)

    def _translate(self, va: int) -> int:
        pa = self.system.mmu.virt_to_phys(va)
        if pa is None:
            if va >> 61 in REGION_IDENTITY:
                return va & PHYS_MASK
            raise SimError(f"firmware call: argument address {va:#x} is not mapped")
        return pa


def _located(read, write):
    """A device's callbacks with its DeviceError as a model error (located at the
    instruction by the executor)."""
    def r(offset, size):
        try:
            return read(offset, size)
        except DeviceError as e:
            raise SimError(e.msg) from None

    def w(offset, size, value):
        try:
            write(offset, size, value)
        except DeviceError as e:
            raise SimError(e.msg) from None
    return r, w


def _pages(addr: int, data: bytes):
    i = 0
    while i < len(data):
        k = min(len(data) - i, 0x1000 - ((addr + i) & 0xFFF))
        yield addr + i, data[i:i + k]
        i += k


class PhysAlias:
    """FUNC+0xOFF for the kernel's code reached at its physical address (head.S
    before the switch to virtual mode, the physical-mode PAL and EFI paths)."""

    def __init__(self, img, segments):
        self.img = img
        self.maps = [(s.paddr, s.paddr + s.memsz, s.vaddr) for s in segments]

    def symbolize(self, addr: int) -> str:
        for lo, hi, va in self.maps:
            if lo <= addr < hi:
                s = self.img.symbolize(va + addr - lo)
                if "+" in s:
                    return f"{s.split(' ')[0]} ({addr:#x})"
        return f"{addr:#x}"


@dataclass
class BootResult:
    status: int
    message: str | None = None          # the one error line (without "pvcc-sim: error: ")
    stop: str | None = None             # how the machine stopped (PAL_HALT, ...)
    panic: str | None = None
    cpu_seconds: float = 0.0
    counters: dict = field(default_factory=dict)
    init_counters: dict | None = None   # instructions, groups, interruptions at "Run /init"
    patcher_insns: int | None = None    # from the console line before "pvcc: ..." to it
    sites: Counter = field(default_factory=Counter)
    firmware: list = field(default_factory=list)
    hypervisor: list = field(default_factory=list)   # the hypervisor's --stats lines
    paths: dict = field(default_factory=dict)        # PathCosts.medians()


class Boot:
    """A machine with a vmlinux loaded, ready to run (``run``)."""

    def __init__(self, vmlinux: str, *, initrd: str | None = None, append: str | None = None,
                 cmdline: str | None = None, mem_mib: int = 256, out=None,
                 trace_interrupts=None, trace=None, announce_pvcc: bool = False,
                 hypervisor: str | None = None, paths: bool = False,
                 console_input: bytes = b""):
        from ..userland.loader import parse, read_program
        from ..userland.program import site_types

        self.console = Console(out)
        self.console.on_line = self._line
        self.init_counters: dict | None = None  # the counters when the kernel runs /init
        self.patcher_insns: int | None = None  # instructions before pvcc's patcher line
        self.last_line_icount = 0
        self.board = board = Board(system=True, sites=None, trace=trace)
        mem = board.mem
        if hypervisor is not None and hypervisor not in HYPERVISORS:
            raise MachineError(f"unknown hypervisor {hypervisor!r} ({', '.join(HYPERVISORS)})")
        # the pass-through hypervisor: the machine announces it (the EFI table the
        # kernel detects) and serves its hypercalls before any Break Instruction
        # interruption (docs/boot.md, "The fifth way")
        self.passthru = PassThrough(board.ex) if hypervisor == "passthru" else None
        if self.passthru is not None:
            announce_pvcc = True
            board.plug(self.passthru)
        self.machine = m = Machine(mem_mib, console=self.console, memory=mem,
                                   console_input=console_input,
                                   announce_pvcc=announce_pvcc, uart_irq=True)
        mem.map(0, m.mem_size, "RAM")
        for start, size, name, read, write in m.device_ranges():
            mem.map_device(start, size, name, *_located(read, write))
        es = m.boot(vmlinux, initrd=initrd, cmdline=cmdline, append=append)
        try:
            obj = read_program(vmlinux)  # symbols and .pvcc_sites records
            img, _ = parse(obj, require_exec=True)
        except LoadError as e:
            raise MachineError(e.msg) from None
        self.image = img
        board.images.append(img)
        board.images.append(PhysAlias(img, m.kernel.segments))
        board.ex.sites = site_types(obj)
        self.system = system = board.system
        m.iosapic.deliver = system.intc.post  # the UART's interrupt reaches the CPU
        if m.config.nphys != board.state.rse.nphys:
            raise MachineError(f"the firmware reports {m.config.nphys} stacked registers, "
                               f"the CPU has {board.state.rse.nphys}")
        for pa, entry in m.firmware.entries.items():
            system.trap(pa, self._firmware_handler(entry))
        self.tlb_ops: Counter = Counter()
        self._wrap_tlb()
        self.idle_calls = 0
        self.stop = None
        self.trace_interrupts = trace_interrupts
        self.paths = PathCosts(system, board.ex) if paths else None
        if trace_interrupts is not None or self.paths is not None:
            system.on_deliver = self._on_deliver
        st = board.state
        st.priv.psr = es.psr
        system.psr_changed()
        st.rse.reset(es.ar_bspstore)
        st.ar[AR_RSC] = es.ar_rsc
        st.ar[AR_K0] = es.ar_k0
        st.g[28] = es.r28
        st.priv.cr[CR_LID] = es.cr_lid
        st.ip = es.ip
        self.entry = es

    def _line(self, line: bytes) -> None:
        icount = self.system.timer.icount
        if self.patcher_insns is None and PATCHER_LINE.match(line):
            # the boot patcher runs between the console's previous line and its own
            # (after the pass-through hypervisor's or the unwind test's line, if any)
            self.patcher_insns = icount - self.last_line_icount
        self.last_line_icount = icount
        if self.init_counters is None and INIT_TEXT in line:
            c = self.board.ex.counters()
            self.init_counters = {"instructions": c["instructions"],
                                  "instruction groups": c["instruction groups"],
                                  "interruptions": sum(self.system.counts.values())}

    # -- firmware ------------------------------------------------------------
    def _firmware_handler(self, entry):
        m = self.machine
        board = self.board
        st = board.state
        ex = board.ex

        def call(system):
            conv = m.firmware_convention(entry, plain(st.g[28]))
            args = tuple(self._arg(a) for a in conv.args)
            res = m.firmware_call(entry, args, FirmwareMemory(system), system.timer_state())
            st.g[8:12] = list(res.regs)
            if res.stop is not None:
                self.stop = res.stop
                raise MachineHalt(res.stop)
            if entry.kind == "PAL" and args and args[0] == 29:  # PAL_HALT_LIGHT
                self._idle(system)
            else:
                self.idle_calls = 0
            b0 = st.br[0]
            if conv.static:
                return b0
            return ex.ret(b0)
        call.__name__ = f"{entry.kind} entry"  # what --trace shows
        return call

    def _arg(self, name: str) -> int:
        st = self.board.state
        n = int(name[1:]) if name.startswith("r") else 32 + int(name[2:])
        v = st.g[n]
        return plain(v) if isinstance(v, int) or hasattr(v, "v") else 0

    def _idle(self, system) -> None:
        """PAL_HALT_LIGHT with nothing that can ever wake the processor."""
        t = system.timer
        if t.next_event < (1 << 79) or system.intc.irr:
            self.idle_calls = 0
            return
        self.idle_calls += 1
        if self.idle_calls >= IDLE_LIMIT:
            raise SimError(f"the kernel idles (PAL_HALT_LIGHT, {IDLE_LIMIT} times in a row) "
                           "with no timer match armed and no interrupt pending: it hangs")

    # -- counters ------------------------------------------------------------
    def _wrap_tlb(self) -> None:
        ex = self.board.ex
        inner = ex.tlb_insn
        ops = self.tlb_ops

        def tlb_insn(op, addr, *regs):
            ops[op] += 1
            return inner(op, addr, *regs)
        ex.tlb_insn = tlb_insn

    def _on_deliver(self, vector: str, at: int) -> None:
        if self.paths is not None:
            self.paths.deliver(vector, at)
        if self.trace_interrupts is not None:
            self._trace_interrupt(vector, at)

    def _trace_interrupt(self, vector: str, at: int) -> None:
        cr = self.board.state.priv.cr
        self.trace_interrupts.write(
            f"pvcc-sim: interruption {vector}: iip={cr[19]:#x} ifa={cr[20]:#x} "
            f"isr={cr[17]:#x} at {self.board.symbolize(at & ~3 if at & 3 else at)}\n")

    def counters(self) -> dict:
        ex, system = self.board.ex, self.system
        c = ex.counters()
        out = {"instructions": c["instructions"], "instruction groups": c["instruction groups"],
               "bundles": c["bundles"], "taken branches": c["taken branches"],
               "rse spills": c["rse spills"], "rse fills": c["rse fills"]}
        out["interruptions"] = sum(system.counts.values())
        out.update(system.counters())  # per vector, timer interrupts, patched code
        for op, n in sorted(self.tlb_ops.items()):
            out[f"tlb: {op}"] = n
        out["tlb inserts"] = sum(n for op, n in self.tlb_ops.items() if op[:3] in ("itc", "itr"))
        out["tlb purges"] = sum(n for op, n in self.tlb_ops.items() if op[:3] in ("ptc", "ptr"))
        return out

    # -- running -------------------------------------------------------------
    def run(self, max_insns: int | None = None) -> BootResult:
        board = self.board
        t0 = time.process_time()
        res = BootResult(status=0)
        try:
            status, error = board.run(board.state.ip, max_insns)
        finally:
            self.console.flush()
            res.cpu_seconds = time.process_time() - t0
        if error is not None:
            res.status = error.status
            where = board.symbolize(error.addr) if error.addr is not None else None
            res.message = f"{where}: {error.msg}" if where else error.msg
        else:
            res.status = status
        res.panic = self.console.panic
        res.stop = self.stop.describe() if self.stop is not None else None
        res.counters = self.counters()
        res.init_counters = self.init_counters
        res.patcher_insns = self.patcher_insns
        res.sites = board.ex.site_hits
        res.firmware = self.machine.stats_lines()
        if self.passthru is not None:
            res.hypervisor = self.passthru.stats_lines()
        if self.paths is not None:
            res.paths = self.paths.medians()
        return res


def boot_main(argv: list[str]) -> int:
    """``pvcc-sim boot``."""
    import argparse

    p = argparse.ArgumentParser(prog="pvcc-sim boot",
                                description="Boot a Linux ia64 vmlinux on the machine.")
    p.add_argument("--initrd", metavar="CPIO")
    p.add_argument("--append", metavar="CMDLINE", help="added to the default command line")
    p.add_argument("--mem", type=int, default=256, metavar="MIB", help="RAM (256 MiB)")
    p.add_argument("--max-insns", type=int, default=None, metavar="N")
    p.add_argument("--stats", action="store_true", help="print counters on stderr at the end")
    p.add_argument("--trace-interrupts", action="store_true",
                   help="one line per interruption delivered, on stderr")
    p.add_argument("--trace", action="store_true", help="print every executed instruction")
    p.add_argument("--stdin", action="store_true",
                   help="the UART's input: this command's standard input, read whole "
                        "before the boot (a pipe or a file)")
    p.add_argument("--hypervisor", choices=HYPERVISORS, default=None,
                   help="announce pvcc's pass-through hypervisor (an EFI table) and serve "
                        "its hypercalls: a paravirtualized kernel retargets its sites to it")
    p.add_argument("vmlinux")
    opts = p.parse_args(argv)
    err = sys.stderr
    out = getattr(sys.stdout, "buffer", sys.stdout)
    console_input = b""
    if opts.stdin and sys.stdin is not None:   # None: the descriptor is closed
        console_input = sys.stdin.buffer.read()
    try:
        b = Boot(opts.vmlinux, initrd=opts.initrd, append=opts.append, mem_mib=opts.mem,
                 console_input=console_input,
                 out=out, trace_interrupts=err if opts.trace_interrupts else None,
                 trace=err if opts.trace else None, hypervisor=opts.hypervisor,
                 paths=opts.stats)
    except MachineError as e:
        print(f"pvcc-sim: error: {e.msg}", file=err)
        return e.status
    except SimError as e:
        print(f"pvcc-sim: error: {e.msg}", file=err)
        return e.status
    r = b.run(opts.max_insns)
    out.flush()
    if opts.stats:
        print_stats(r, err)
    if r.message is not None:
        print(f"pvcc-sim: error: {r.message}", file=err)
    elif r.status == EXIT_PANIC:
        print("pvcc-sim: the kernel panicked", file=err)
    return r.status


def print_stats(r: BootResult, err) -> None:
    for k, v in r.counters.items():
        print(f"pvcc-sim: {k}: {v}", file=err)
    for k, v in (r.init_counters or {}).items():
        print(f"pvcc-sim: boot to /init: {k}: {v}", file=err)
    if r.patcher_insns is not None:
        print(f"pvcc-sim: boot patcher (up to its console line): instructions: "
              f"{r.patcher_insns}", file=err)
    for line in r.firmware:
        print(f"pvcc-sim: {line}", file=err)
    for line in r.hypervisor:   # "pass-through hypercalls: N", then "  TYPE: N" per type
        prefix = "pass-through hypercalls: " if line.startswith(" ") else ""
        print(f"pvcc-sim: {prefix}{line.strip()}", file=err)
    for kind, (n, ins, grp, nops) in r.paths.items():
        print(f"pvcc-sim: per {kind} (median of {n}): instructions: {ins}", file=err)
        print(f"pvcc-sim: per {kind} (median of {n}): instruction groups: {grp}", file=err)
        print(f"pvcc-sim: per {kind} (median of {n}): nops: {nops}", file=err)
    for k in sorted(r.sites):
        print(f"pvcc-sim: sites executed: {k}: {r.sites[k]}", file=err)
    ips = r.counters["instructions"] / r.cpu_seconds if r.cpu_seconds else 0
    print(f"pvcc-sim: cpu seconds: {r.cpu_seconds:.1f} ({ips:,.0f} instructions/s)", file=err)


__all__ = ["EXIT_LIMIT", "EXIT_MODEL_ERROR", "EXIT_PANIC", "HYPERVISORS", "Boot", "BootResult",
           "PathCosts", "boot_main"]
