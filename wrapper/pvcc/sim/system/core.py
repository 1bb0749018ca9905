"""System mode: the CPU with the IA-64 system architecture (SDM volume 2).

``System(board)`` (``Board(system=True)`` makes one) puts the MMU
(``system.mmu``) between the CPU and physical memory, installs on the
executor the services system-mode compiled code calls (privilege faults,
rfi, bsw, epc, the TLB instructions, control registers, the interrupt
controller and timer), and runs the CPU with a loop of its own that delivers
interruptions precisely (``system.interruptions``), counts instructions for
ar.itc and takes external interrupts between bundles.  The user-mode loop
(``Executor.run``) is not involved: user mode runs as before.

A platform plugs in with ``system.platform``: an object with ``serves(imm)``
(whether it handles ``break imm`` itself: firmware calls, the bare entry's
stop) and ``brk(imm, addr)``; every other ``break`` is the Break Instruction
interruption.  Firmware entry points a platform serves in Python are
``trap(pa, handler)``.  Devices are ``mem.map_device`` ranges
(``cpu.memory``); ``intc.post(vector)`` raises an external interrupt;
``timer.fast_forward()`` skips an idle loop to the next timer match;
``timer_state()`` is ar.itc, cr.itm and cr.itv as attributes.
"""

from __future__ import annotations

import struct
from collections import Counter

from ..cpu.compiler import Bundle
from ..cpu.nat import NAT0
from ..errors import LimitError, SimError
from . import interruptions
from .faults import (
    GE_ILLEGAL_OPERATION,
    GE_PRIVILEGED_OPERATION,
    GE_PRIVILEGED_REGISTER,
    GE_RESERVED_REGISTER_FIELD,
    ISR_R,
    ISR_W,
    Interruption,
)
from .intc import CR_EOI, CR_ITM, CR_IVR, CR_TPR, Intc, Timer, TimerView
from .mmu import MMU, NA_FC
from .smc import CodeWatch

PSR_I, PSR_IC, PSR_IT = 1 << 14, 1 << 13, 1 << 36
_XMODE = PSR_IT | (3 << 32) | (1 << 15)  # it, cpl, pk: what an instruction fetch depends on
# PSR bits whose effect the model does not have: setting one stops the run
_UNMODELLED_BITS = ((24, "db"), (25, "lp"), (26, "tb"), (34, "is"), (40, "ss"))
_UNMODELLED = sum(1 << b for b, _ in _UNMODELLED_BITS)
PSR_DFL, PSR_DFH = 1 << 18, 1 << 19
# control registers that exist (SDM vol. 2, the control register table); the others are reserved
CRS = frozenset((0, 1, 2, 8, 16, 17, 19, 20, 21, 22, 23, 24, 25, 64, 65, 66, 67, 68, 69, 70,
                 71, 72, 73, 74, 80, 81))
INTERRUPTION_CRS = range(16, 26)  # accessible only with psr.ic = 0
READ_ONLY_CRS = frozenset((65, 68, 69, 70, 71))
ISR_NAT_REGISTER = 0x10  # ISR.code of NaT Register Consumption (SDM vol. 2, ch. 8, NaT Consumption vector)


class System:
    def __init__(self, board):
        self.board = board
        self.state = st = board.state
        self.ex = ex = board.ex
        self.priv = priv = st.priv
        self.mem = st.mem
        self.platform = None
        self.chk_faults = False  # chk.s/chk.a take the Speculation vector instead of branching
        self.counts: Counter = Counter()  # interruptions delivered, by vector
        self.on_deliver = None  # called (vector name, bundle | slot) at each delivery
        self.mmu = mmu = MMU(priv, st.mem, st.ar)
        self.intc = Intc(priv)
        self.timer = Timer(priv, self.intc)
        self.intc.on_post = self.timer.force
        self.traps: dict = {}  # physical bundle address -> handler (``trap``)
        # The bundles known to be fetched from their bd.pa under the current
        # instruction translation, by ip: the run loop's cache.  Emptied by every
        # instruction-side insert or purge, rr write and psr.it/cpl/pk change
        # (``psr_changed``, ``tlb_insn``, ``write_ind``); ex.cache keeps the compiled
        # bundles across such changes.
        self.fast: dict = {}
        self._xmode = None
        self.code = CodeWatch((ex.cache, self.fast), mmu)  # self-modifying code
        mmu.on_code_store = self.code.stored
        # the CPU's references go through the MMU
        ex.system = True
        ex.mmu = mmu
        ex.translate_fetch = mmu.fetch
        ex.on_compiled = self._compiled
        ex.ns.update(mmu.namespace())
        ex.stores_src = mmu.stores
        st.rse.loads, st.rse.stores = mmu.rse_loads, mmu.rse_stores
        priv.thash, priv.ttag = self._thash, self._ttag
        priv.read_itc, priv.write_itc = self.timer.read_itc, self.timer.write_itc
        ex.platform = self
        for name in ("privileged", "disabled_fp", "psr_changed", "rfi", "bsw", "epc",
                     "tlb_insn", "serialize", "fc", "chk_branch", "read_cr", "write_cr",
                     "read_ind", "write_ind", "nat_consumption", "outside_frame", "cpuid",
                     "write_ar"):
            setattr(ex, name, getattr(self, name))
        self.psr_changed()

    # -- running --------------------------------------------------------------------
    def run(self, ip: int, max_insns: int | None = None) -> None:
        """Run from ``ip`` (bundle | slot) until the platform ends the run or an error.

        Per bundle the loop looks the bundle up in ``fast``, runs it, counts its
        instructions and makes one check, ``timer.event``: the next cr.itm match,
        the instruction limit, or 0 when something may have made an external
        interrupt deliverable (a vector posted, psr, cr.tpr, cr.eoi or cr.ivr
        changed while one is pending): then ``_events`` sorts it out."""
        ex = self.ex
        fast_get = self.fast.get
        timer = self.timer
        timer.set_limit(timer.icount + max_insns if max_insns is not None else None)
        if self.intc.irr:
            timer.force()
        prev = ip
        ex.gw = 0
        try:
            while True:
                try:
                    bd = fast_get(ip)  # (an ip inside a bundle is never a key)
                    if bd is not None:
                        bd.n += 1
                        try:
                            nip = bd.fn()
                        except (TypeError, struct.error) as e:
                            nip = ex._recover(bd, e)
                        timer.icount += bd.ninsn
                    else:
                        nip = self._step(ip)
                except Interruption as e:
                    nip = self._fault(e, ip, prev)
                if timer.icount >= timer.event:
                    nip = self._events(nip, ip, max_insns)
                prev = ip
                ip = nip
        except SimError as e:
            if e.addr is None:
                ex._locate(e, ip & ~15)
            raise
        finally:
            self.state.ip = ip

    def _events(self, nip: int, ip: int, max_insns) -> int:
        """The instruction limit, the timer match, external interrupt delivery."""
        timer = self.timer
        if timer.icount > timer.limit:
            raise LimitError(f"more than {max_insns} instructions executed", nip)
        timer.rearm()
        if timer.icount >= timer.next_event:
            timer.tick()
        intc = self.intc
        if intc.irr and self.priv.psr & PSR_I and intc.deliverable():
            nip = interruptions.deliver(self, Interruption("External Interrupt"), nip, ip)
            self.ex.gw = 0
        return nip

    def _step(self, ip: int) -> int:
        """Run one bundle the fast path cannot: inside a bundle (rfi with ri), not
        yet fetched under the current translation, or traced."""
        if ip & 15:
            return self._resume(ip)
        ex = self.ex
        bd = self._fetched(ip, ip)
        if ex.trace is not None and bd.slots:
            nip = ex._run_traced(bd)
        else:
            self.fast[ip] = bd
            try:
                nip = bd.fn()
            except (TypeError, struct.error) as e:
                nip = ex._recover(bd, e)
        self.timer.icount += bd.ninsn
        return nip

    def _fetched(self, base: int, ip: int):
        """The bundle at ``base`` as the current translation fetches it (compiled
        again when its physical address changed), counted as executed; a fetch
        fault is located at ``ip``."""
        try:
            pa = self.mmu.fetch(base)
        except Interruption as e:
            e.addr = ip
            raise
        bd = self.ex.cache.get(base)
        if bd is None or bd.pa != pa:
            bd = self._compile(base, pa)
        bd.n += 1
        return bd

    def trap(self, pa: int, handler) -> None:
        """Reaching the bundle at physical address ``pa`` calls ``handler(system)``
        instead of running it; the handler returns the next ip (firmware entry
        points a platform serves in Python).  Costs nothing elsewhere: the
        bundle's cache entry is the call."""
        self.traps[pa & ~(1 << 63)] = handler

    def _compile(self, ip: int, pa: int):
        handler = self.traps.get(pa & ~(1 << 63)) if self.traps else None
        if handler is None:
            return self.ex.compile(ip)
        return self._trap_bundle(ip, pa, handler)

    def _trap_bundle(self, ip: int, pa: int, handler):
        bd = Bundle()

        def served():
            if self.ex.trace is not None:
                name = getattr(handler, "__name__", "firmware")
                self.ex.trace.write(f"{ip:#x} ({name}: served by the model)\n")
            return handler(self)
        bd.fn = served
        bd.addr, bd.pa, bd.n, bd.ninsn, bd.nnop, bd.nstop = ip, pa, 0, 0, 0, 0
        bd.slots, bd.lines, bd.prefix, bd.site, bd.starts = [], [], [], None, True
        self.ex.cache[ip] = bd
        return bd

    def _resume(self, ip: int) -> int:
        """Run the bundle at ``ip & ~15`` from slot ``ip & 3`` (rfi with ipsr.ri != 0)."""
        ex = self.ex
        base, ri = ip & ~15, ip & 3
        bd = self._fetched(base, ip)
        ex.gw = 0
        for k, rec in enumerate(bd.slots):
            if rec.slot < ri:
                continue
            if ex.trace is not None and rec.name != "nop":
                ex.trace.write(f"{ex.symbolize(base | rec.slot)} {rec.ins.text()}\n")
            try:
                t = ex.slot_fn(bd, k)()
            except (TypeError, struct.error) as e:
                ex._slow(bd, k, e)
                t = None
            except Interruption as e:
                if e.addr is None:
                    e.addr = base | rec.slot
                raise
            self.timer.icount += 1
            if t is not None:
                return t
        return base + 16

    def _fault(self, e: Interruption, ip: int, prev: int) -> int:
        """Deliver a fault raised while running the bundle at ``ip``."""
        ex = self.ex
        if e.addr is None:
            bd = ex.cache.get(ip & ~15)
            k = self._slot_index(bd, e) if bd is not None else None
            if k is not None:
                e.addr = bd.addr | bd.slots[k].slot
            else:
                ex._locate(e, ip & ~15)
        at = e.addr if e.addr is not None else ip
        # the last completed instruction: an earlier slot of this bundle, or the
        # bundle before
        iipa = at & ~15 if (at & 3) > (ip & 3) else prev & ~15
        nip = interruptions.deliver(self, e, at, iipa)
        ex.gw = 0
        return nip

    @staticmethod
    def _slot_index(bd, e) -> int | None:
        """The slot index whose code raised ``e`` in the bundle's function (None:
        raised elsewhere, e.g. on the slow path)."""
        code = bd.fn.__code__
        line = None
        tb = e.__traceback__
        while tb is not None:
            if tb.tb_frame.f_code is code:
                line = tb.tb_lineno
            tb = tb.tb_next
        if line is None:
            return None
        for first, last, k in bd.lines:
            if first <= line <= last:
                return k
        return None

    def check_resume(self, iip: int, cr) -> None:
        """rfi: code at ``iip`` must exist (a translation miss is a fault the new
        context takes; no memory there stops the model, naming the rfi)."""
        try:
            self.mmu.fetch(iip)
        except Interruption:
            pass
        except SimError as e:
            raise SimError(f"rfi to unmapped code at {iip:#x} ({e.msg}); psr={self.priv.psr:#x} "
                           f"{interruptions.registers(cr)}") from None

    def timer_state(self):
        """ar.itc, cr.itm and cr.itv as read-write attributes ``itc``, ``itm``, ``itv``
        (what a platform's PAL_HALT_LIGHT reads and moves)."""
        return TimerView(self.timer)

    def counters(self) -> dict:
        """System-mode counters: interruptions by vector, timer matches, TLB use."""
        out = {f"interruptions: {v}": n for v, n in sorted(self.counts.items())}
        out["timer interrupts"] = self.timer.fired
        out["patched bundles run without fc"] = len(self.code.unsynced)
        return out

    # -- services of system-mode compiled code ------------------------------------
    def privileged(self, addr: int, register: bool = False) -> None:
        code = GE_PRIVILEGED_REGISTER if register else GE_PRIVILEGED_OPERATION
        what = "privileged register" if register else "privileged operation"
        raise Interruption("General Exception", f"{what} at cpl {(self.priv.psr >> 32) & 3}",
                           addr, isr=code)

    def illegal(self, addr, what: str, code: int = GE_ILLEGAL_OPERATION) -> None:
        raise Interruption("General Exception", what, addr, isr=code)

    def outside_frame(self, msg: str, addr: int) -> None:
        """A stacked register beyond the frame is an Illegal Operation fault (SDM
        vol. 3, the instructions' "register out of frame" fault)."""
        self.illegal(addr, msg)

    def disabled_fp(self, addr: int, df: int) -> None:
        psr = self.priv.psr & df
        code = (1 if psr & PSR_DFL else 0) | (2 if psr & PSR_DFH else 0)
        raise Interruption("Disabled FP-Register", "disabled floating-point register",
                           addr, isr=code)

    def nat_consumption(self, ins, regs: str, addr: int) -> None:
        isr = ISR_NAT_REGISTER
        if ins.op.startswith(("ld", "lfetch", "cmpxchg", "xchg", "fetchadd")):
            isr |= ISR_R
        if ins.op.startswith(("st", "cmpxchg", "xchg", "fetchadd")):
            isr |= ISR_W
        raise Interruption("NaT Consumption", f"{ins.text()}: NaT consumption ({regs})",
                           addr, isr=isr)

    def psr_changed(self) -> None:
        psr = self.priv.psr
        if psr & _UNMODELLED:
            names = ", ".join(f"psr.{n}" for b, n in _UNMODELLED_BITS if psr >> b & 1)
            raise SimError(f"{names} = 1: not modelled (its traps or instruction set); "
                           f"psr={psr:#x}")
        self.mmu.sync()
        mode = self.priv.psr & _XMODE
        if mode != self._xmode:
            self._xmode = mode
            self.fast.clear()
        if self.intc.irr:  # psr.i may have unmasked a pending interrupt
            self.timer.force()

    def rfi(self) -> int:
        return interruptions.rfi(self)

    def bsw(self, bank: int) -> None:
        interruptions.bsw(self, bank)

    def _thash(self, va: int):
        """thash: the MMU's hash; NaT for an unimplemented address (vol. 3 thash)."""
        return self.mmu.thash(va) if self.mmu.impl_va(va) else NAT0

    def _ttag(self, va: int):
        return self.mmu.ttag(va) if self.mmu.impl_va(va) else NAT0

    def epc(self, addr: int) -> None:
        """``epc``: cpl becomes the code page's TLB.pl when its access rights are 7
        (execute, promote) and the level is higher (SDM vol. 2, 4.1.1.6)."""
        pl = self.mmu.epc_pl(addr & ~15)
        if pl is not None:
            self.priv.psr = (self.priv.psr & ~(3 << 32)) | pl << 32
            self.psr_changed()

    def brk(self, imm: int, addr: int) -> None:
        p = self.platform
        if p is not None and p.serves(imm):
            p.brk(imm, addr)
            return
        raise Interruption("Break Instruction", f"break {imm:#x}", addr, iim=imm)

    def chk_branch(self, target: int, addr: int) -> int:
        if self.chk_faults:
            imm = ((target - (addr & ~15)) >> 4) & 0x1FFFFF
            raise Interruption("Speculation", "chk: recovery", addr, iim=imm)
        self.ex.recoveries += 1
        return target

    def tlb_insn(self, op: str, addr: int, *regs: int) -> None:
        """itc, itr, ptc, ptr (operands: GR[r3] then GR[r2] as the instruction has them)."""
        mmu = self.mmu
        cr = self.priv.cr
        side = op[-1]
        if side != "d":  # instruction-side translations may change (ptc.*: both)
            self.fast.clear()
        if op.startswith(("itc.", "itr.")):
            if self.priv.psr & PSR_IC:
                self.illegal(addr, f"{op} with psr.ic = 1")
            if op.startswith("itc."):
                mmu.itc(side, regs[0], cr[21], cr[20])
            else:
                mmu.itr(side, regs[0], regs[1], cr[21], cr[20])
        elif op in ("ptc.l", "ptc.g", "ptc.ga"):
            mmu.ptc_l(regs[0], regs[1], op)
        elif op == "ptc.e":
            mmu.ptc_e(regs[0])
        else:  # ptr.i, ptr.d
            mmu.ptr(side, regs[0], regs[1])

    def serialize(self, op: str, addr: int, *regs: int) -> None:
        """srlz.d, srlz.i, sync.i: the model executes in order and delivers pending
        external interrupts after every bundle, so they need no action."""

    def fc(self, va: int, addr: int) -> None:
        """``fc``/``fc.i``: the line's compiled bundles are dropped and a store into
        them counts as flushed."""
        self.code.flushed(self.mmu.non_access(va, NA_FC))

    # -- control, application and indirect registers -------------------------------
    def cpuid(self, idx: int) -> int:
        """CPUID[0-4]; a higher index is a Reserved Register/Field fault."""
        from ..cpu.privileged import CPUID
        if idx < len(CPUID):
            return CPUID[idx]
        raise Interruption("General Exception", f"cpuid[{idx}]: reserved register",
                           isr=GE_RESERVED_REGISTER_FIELD)

    def write_ar(self, n: int, v: int) -> None:
        """ar.bsp is read-only: a write is an Illegal Operation fault."""
        if n == 17:
            raise Interruption("General Exception", "write to ar.bsp",
                               isr=GE_ILLEGAL_OPERATION)
        type(self.ex).write_ar(self.ex, n, v)

    def _check_cr(self, n: int, addr: int) -> None:
        if n not in CRS:
            self.illegal(addr, f"reserved control register cr{n}")
        if n in INTERRUPTION_CRS and self.priv.psr & PSR_IC:
            self.illegal(addr, f"cr{n} (an interruption register) with psr.ic = 1")

    def read_cr(self, n: int, addr: int | None = None) -> int:
        self._check_cr(n, addr)
        if n == CR_IVR:
            return self.intc.read_ivr()
        if 68 <= n <= 71:
            return self.intc.read_irr(n - 68)
        return self.priv.cr[n]

    def write_cr(self, n: int, v: int, addr: int) -> None:
        self._check_cr(n, addr)
        if n in READ_ONLY_CRS:
            self.illegal(addr, f"write to read-only cr{n}")
        if n == CR_EOI:
            self.intc.write_eoi()
        else:
            self.priv.cr[n] = v
        if n == CR_ITM:
            self.timer.arm()
        elif n in (CR_EOI, CR_TPR) and self.intc.irr:  # may unmask a pending vector
            self.timer.force()

    def read_ind(self, kind: str, idx: int) -> int:
        p = self.priv
        if kind == "rr":
            return p.rr[idx >> 61]
        return getattr(p, kind, {}).get(idx & 0xFF, 0)

    def write_ind(self, kind: str, idx: int, v: int, addr: int) -> None:
        p = self.priv
        if kind == "rr":
            ps = (v >> 2) & 0x3F
            if v & 2 or v >> 32 or ps < 12 or ps > 32:
                self.illegal(addr, f"rr[{idx >> 61}] = {v:#x}: reserved field",
                             GE_RESERVED_REGISTER_FIELD)
            self.mmu.set_rr(idx >> 61, v)
            self.fast.clear()
        else:
            getattr(p, kind)[idx & 0xFF] = v

    def _compiled(self, bd) -> None:
        pa = bd.pa & ~(1 << 63)
        if self.traps and pa in self.traps:  # compiled with the bundles before it
            self._trap_bundle(bd.addr, bd.pa, self.traps[pa])
            return
        self.code.compiled(bd)
