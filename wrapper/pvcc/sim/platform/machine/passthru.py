"""The pass-through hypervisor: pvcc's pass-through hypercalls, served by the machine.

A paravirtualized kernel that finds the machine's pvcc table (docs/machine.md,
"The pvcc hypervisor announcement") points every paravirt site at
implementations that make one hypercall each, ``break hypercalls.BASE + N``
with N = ``hypercalls.PASSTHRU[intrinsic]`` (docs/boot-patching.md, "The
pass-through hypervisor").  This module performs the operation of each
intrinsic on the CPU's privileged state exactly as the intrinsic's native code
(``pvcc.catalog``) does -- through the same services the CPU's compiled
instructions call, so system mode's checks, the MMU, the interrupt controller
and the timer see a hypercall as they see the native instruction -- returns the
result in r8 and counts the calls per paravirt type (``--stats``).

Registers: the light convention's (``catalog.LIGHT_ARGS``): arguments in r8,
r9, r10, r11, r14, the result in r8, nothing else written.  getreg and setreg
take the ``_IA64_REG_*`` number in r8 and setreg its value in r9.

How the CPU side plugs it in:

* system mode (``Board(system=True)``, the boot): the platform's
  ``serves(imm)`` answers ``passthru.serves(imm)`` and its ``brk(imm, addr)``
  calls ``passthru.brk(imm, addr)``, so ``System.brk`` hands the hypercall over
  *before* it would raise the Break Instruction interruption: a hypercall
  works with psr.ic = 0 and in physical mode, as the native instruction does.
  A hypercall at cpl != 0 is the Privileged Operation fault the native
  instruction would take.
* the user-mode harness (``pvcc-sim run``): ``run_program(path,
  hypercalls=PassThrough.handlers())``, or ``Syscalls.register_hypercall``
  with each of them.

An argument register holding a NaT stops the model (a kernel never passes
one: the native code would take a NaT Consumption fault).
"""

from __future__ import annotations

from collections import Counter

from .... import catalog
from ... import hypercalls as hc
from ...cpu.nat import is_nat, plain
from ...cpu.privileged import PSR_READ
from ...errors import SimError

PSR_I = catalog.PSR_I
PSR_LOW = 0xFFFFFFFF         # mov psr.l = r writes PSR{31:0}
CPL = 3 << 32
AR_ITC = 44
FIRST = hc.PASSTHRU_BASE
LAST = hc.PASSTHRU_BASE + len(hc.PASSTHRU) - 1
NAMES = {n: name for name, n in hc.PASSTHRU.items()}


class PassThrough:
    """Serves the pass-through hypercalls on the executor ``ex`` (a system-mode
    executor when ``ex.system``, else the user-mode harness's; ``handlers()``
    take it from the harness at each call)."""

    def __init__(self, ex=None):
        self.ex = ex
        self.counts: Counter = Counter()     # paravirt type name -> hypercalls

    # -- the platform's side ------------------------------------------------------
    @staticmethod
    def serves(imm: int) -> bool:
        """Whether ``break imm`` is a pass-through hypercall."""
        return hc.BASE + FIRST <= imm <= hc.BASE + LAST

    def brk(self, imm: int, addr: int) -> None:
        """Serve ``break imm`` at ``addr`` (bundle | slot); ``serves(imm)`` is true."""
        self.call(imm - hc.BASE, addr)

    def handlers(self) -> dict:
        """{N: handler(ex, addr)} for the user-mode harness's registration."""
        return {n: self._handler(n) for n in NAMES}

    def _handler(self, n: int):
        def handler(ex, addr: int) -> None:
            self.ex = ex
            self.call(n, addr)
        return handler

    def stats_lines(self) -> list[str]:
        """``--stats``: pass-through hypercalls per paravirt type."""
        total = sum(self.counts.values())
        out = [f"pass-through hypercalls: {total}"]
        out += [f"  {name}: {n}" for name, n in sorted(self.counts.items())]
        return out

    # -- the operations -----------------------------------------------------------
    def _args(self, n: int, nargs: int, addr: int) -> list[int]:
        g = self.ex.st.g
        out = []
        for r in catalog.LIGHT_ARGS[:nargs]:
            v = g[r]
            if is_nat(v):
                raise SimError(f"pass-through hypercall {NAMES[n]}: r{r} is NaT", addr)
            out.append(plain(v))
        return out

    def call(self, n: int, addr: int) -> None:
        """Perform pass-through hypercall ``n`` made by the ``break`` at ``addr``."""
        name = NAMES.get(n)
        if name is None:
            raise SimError(f"hypercall {n} is not a pass-through hypercall", addr)
        ex = self.ex
        if ex.system and ex.priv.psr & CPL:
            ex.privileged(addr)
        intr = catalog.BY_NAME[name]
        args = self._args(n, intr.nargs, addr)
        if intr.access is None:
            type_id = intr.type_id
            result = getattr(self, "_" + name)(addr, *args)
        else:
            reg = args[0]
            if catalog.reg_problem(intr.type_id, reg) is not None:
                raise SimError(f"pass-through {name}: register {reg} "
                               f"({catalog.reg_problem(intr.type_id, reg)})", addr)
            type_id = intr.type_id + reg
            if intr.access == "read":
                result = self._getreg(addr, reg)
            else:
                result = self._setreg(addr, reg, args[1])
        if intr.returns:
            ex.st.g[catalog.LIGHT_RESULT] = result & ((1 << 64) - 1)
        self.counts[catalog.type_name(type_id)] += 1

    def _log(self, what: str, addr: int, *operands: int) -> None:
        self.ex.priv.log(what, addr, *operands)

    def _fc(self, addr: int, va: int) -> None:
        ex = self.ex
        self._log("fc", addr, va)
        if ex.system:
            ex.fc(va, addr)
        else:
            ex.flush_code(va)

    def _thash(self, addr: int, va: int) -> int:
        return self.ex.priv.thash(va)

    def _get_cpuid(self, addr: int, index: int) -> int:
        return self.ex.cpuid(index)

    def _get_pmd(self, addr: int, index: int) -> int:
        return self.ex.read_ind("pmd", index)

    def _ptcga(self, addr: int, va: int, size: int) -> None:
        ex = self.ex
        self._log("ptc.ga", addr, va, size)
        if ex.system:
            ex.tlb_insn("ptc.ga", addr, va, size)

    def _get_rr(self, addr: int, index: int) -> int:
        return self.ex.read_ind("rr", index)

    def _set_rr(self, addr: int, index: int, value: int) -> None:
        self.ex.write_ind("rr", index, value, addr)

    def _set_rr0_to_rr4(self, addr: int, *values: int) -> None:
        for region, value in enumerate(values):
            self.ex.write_ind("rr", region << 61, value, addr)

    def _psr_mask(self, addr: int, op: str) -> None:
        ex = self.ex
        if op == "ssm":
            ex.priv.psr |= PSR_I
        else:
            ex.priv.psr &= ~PSR_I
        self._log(op, addr, PSR_I)
        if ex.system:
            ex.psr_changed()

    def _serialize(self, addr: int, op: str) -> None:
        self._log(op, addr)
        if self.ex.system:
            self.ex.serialize(op, addr)

    def _ssm_i(self, addr: int) -> None:
        self._psr_mask(addr, "ssm")

    def _rsm_i(self, addr: int) -> None:
        self._psr_mask(addr, "rsm")

    def _get_psr_i(self, addr: int) -> int:
        return self.ex.priv.psr & PSR_READ & PSR_I

    def _intrin_local_irq_restore(self, addr: int, flags: int) -> None:
        # cmp.eq p7, p6 = flags, r0 ;; (p6) ssm psr.i ; (p7) rsm psr.i ;; (p6) srlz.d
        if flags:
            self._psr_mask(addr, "ssm")
            self._serialize(addr, "srlz.d")
        else:
            self._psr_mask(addr, "rsm")

    def _intrin_local_irq_save(self, addr: int) -> int:
        # mov r8 = psr ;; rsm psr.i: the PSR as read before the rsm
        psr = self.ex.priv.psr & PSR_READ
        self._psr_mask(addr, "rsm")
        return psr

    def _getreg(self, addr: int, reg: int) -> int:
        ex = self.ex
        found = catalog.REGISTERS[reg]
        if found.kind == "psr":
            return ex.priv.psr & PSR_READ
        if found.kind == "ar":
            return ex.priv.read_itc() if found.hw == AR_ITC else ex.st.ar[found.hw]
        return ex.read_cr(found.hw, addr) if ex.system else ex.read_cr(found.hw)

    def _setreg(self, addr: int, reg: int, value: int) -> None:
        ex = self.ex
        found = catalog.REGISTERS[reg]
        if found.kind == "psr":       # mov psr.l = value ;; srlz.d
            ex.priv.psr = (ex.priv.psr & ~PSR_LOW) | (value & PSR_LOW)
            self._log("mov.to.psr.l", addr, ex.priv.psr)
            if ex.system:
                ex.psr_changed()
            self._serialize(addr, "srlz.d")
        elif found.kind == "ar":
            if found.hw == AR_ITC:
                ex.write_ar(AR_ITC, value)
            else:
                ex.st.ar[found.hw] = value
        else:
            ex.write_cr(found.hw, value, addr)
