"""The executor: runs compiled bundles (compiler.py), the slow path for NaT and
out-of-frame values, and the services compiled code calls (X.call, X.ret, ...).

A NaT or out-of-frame register consumed by the fast code raises TypeError;
the executor then re-runs that one slot on the slow path (``_slow``), which
implements the architected NaT behaviour, and continues the bundle slot by
slot.
"""

from __future__ import annotations

import struct
import sys
from collections import Counter

from ... import ia64
from ..errors import LimitError, SimError
from . import deps, sem_fp, sem_int, sem_mm
from .compiler import Bundle, BundleCompiler, handler_for
from .gen import M64
from .memory import MemoryFault
from .nat import NAT0, OUTSIDE, NaT
from .state import AR_BSP, AR_BSPSTORE, AR_ITC, AR_PFS

__all__ = ["Bundle", "Executor", "handler_for"]


class Executor(BundleCompiler):
    def __init__(self, state, *, spec: str = "succeed", groups: bool = True,
                 trace=None, symbolize=None, sites: dict | None = None, platform=None):
        if spec not in ("succeed", "fail"):
            raise ValueError("spec is 'succeed' or 'fail'")
        self.st = state
        self.rse = state.rse
        self.priv = state.priv
        self.spec = spec
        self.groups = groups
        # System mode (system.core.System sets these): compiled code carries the
        # privilege and FP-disable checks, fetches translate, the semantics
        # reach the system through services it installs on this executor.
        self.system = False
        self.translate_fetch = None  # ip -> physical address of the bundle
        self.on_compiled = None  # called with each newly compiled Bundle
        self.stores_src = state.mem.stores  # the stores the ALAT watch wraps
        self.trace = trace
        self.symbolize = symbolize or (lambda a: f"{a:#x}")
        self.sites = sites or {}  # bundle address -> (site type name, first bundle?)
        self.cache: dict[int, Bundle] = {}
        self.gw = 0  # registers written so far in the current instruction group
        self.return_addr = None  # Machine.call's return address
        self.bundles: list[Bundle] = []  # every bundle compiled (their counts make --stats)
        self.taken = 0  # taken branches
        self.skip_insns = self.skip_nops = self.skip_stops = 0  # after taken branches
        self.alat_stores: dict = {}  # store functions that check the ALAT, once in use
        self.namespaces: list[dict] = []  # of the compiled bundles
        self.recoveries = 0  # chk.s / chk.a that branched to recovery code
        self.reloads = 0  # ld.c that missed in the ALAT and loaded again
        # The platform serves `break` (system calls, hypercalls): the CPU never
        # imports one; whoever wires a CPU to a platform plugs it in (``attach``).
        self.platform = platform
        self.out = getattr(sys.stdout, "buffer", sys.stdout)
        self.err = getattr(sys.stderr, "buffer", sys.stderr)
        mem = state.mem
        self.ns = {"g": state.g, "pr": state.pr, "br": state.br, "ar": state.ar,
                   "fs": state.fs, "fe": state.fe, "st": state, "X": self, "NaT": NaT,
                   "NAT0": NAT0, "M": M64, **sem_mm.HELPERS, **sem_fp.HELPERS,
                   **{f"L{n}": mem.loads[n] for n in (1, 2, 4, 8)},
                   **{f"S{n}": mem.stores[n] for n in (1, 2, 4, 8)}}
        self._args = ""  # the names are the globals of the compiled code

    # -- compilation -----------------------------------------------------------
    def run(self, ip: int, max_insns: int | None = None) -> None:
        """Run from ``ip`` until the program exits (ProgramExit) or an error."""
        cache = self.cache
        limit = max_insns if max_insns is not None else -1
        ninsn = 0
        traced = self.trace is not None
        self.gw = 0  # the first bundle starts a group, as a branch target does
        try:
            if limit < 0 and not traced:  # the common case, kept short
                while True:
                    bd = cache.get(ip)
                    if bd is None:
                        bd = self.compile(ip)
                    bd.n += 1
                    try:
                        ip = bd.fn()
                    except (TypeError, struct.error) as e:
                        ip = self._recover(bd, e)
            while True:
                bd = cache.get(ip)
                if bd is None:
                    bd = self.compile(ip)
                bd.n += 1
                if traced:
                    nip = self._run_traced(bd)
                else:
                    try:
                        nip = bd.fn()
                    except (TypeError, struct.error) as e:
                        nip = self._recover(bd, e)
                ninsn += bd.ninsn
                if ninsn > limit >= 0:
                    raise LimitError(f"more than {max_insns} instructions executed", nip)
                ip = nip
        except SimError as e:
            if e.addr is None:
                self._locate(e, ip)
            raise
        finally:
            self.st.ip = ip

    def _locate(self, e: SimError, ip: int) -> None:
        """Give an error raised inside a compiled bundle (a memory fault, a frame
        error) the address and text of its instruction."""
        e.addr = ip
        bd = self.cache.get(ip)
        if bd is None:
            return
        codes = {bd.fn.__code__: None}
        for k, s in enumerate(bd.slots):
            if s.fn is not None:
                codes[s.fn.__code__] = k
        tb = e.__traceback__
        k = line = None
        found = False
        while tb is not None:
            code = tb.tb_frame.f_code
            if code in codes:
                found, k, line = True, codes[code], tb.tb_lineno
            tb = tb.tb_next
        if not found:
            return
        if k is None:
            k = next((j for first, last, j in bd.lines if first <= line <= last), None)
            if k is None:
                return
        slot, ins = bd.slots[k].slot, bd.slots[k].ins
        e.addr = bd.addr | slot
        e.msg = f"{ins.text()}: {e.msg}"
        e.args = (e.msg,)

    def counters(self) -> dict:
        """The --stats counters: instructions (nops included), bundles, instruction
        groups (stops reached plus taken branches), taken branches, RSE spills and
        fills, nops."""
        nb = ni = nn = ns = 0
        for bd in self.bundles:
            n = bd.n
            if n:
                nb += n
                ni += n * bd.ninsn
                nn += n * bd.nnop
                ns += n * bd.nstop
        return {"instructions": ni - self.skip_insns, "bundles": nb,
                "instruction groups": ns - self.skip_stops + self.taken,
                "taken branches": self.taken, "rse spills": self.rse.spills,
                "rse fills": self.rse.fills, "nops": nn - self.skip_nops,
                "speculation recoveries": self.recoveries, "check-load reloads": self.reloads}

    @property
    def site_hits(self) -> Counter:
        """Executions of each site type (of the first bundle of its records)."""
        hits = Counter()
        for bd in self.bundles:
            if bd.site is not None and bd.site[1] and bd.n:
                hits[bd.site[0]] += bd.n
        return hits

    @property
    def site_insns(self) -> Counter:
        """Instructions executed inside the bundles of each site type's records (on a
        natively patched program: the native path's cost)."""
        out = Counter()
        for bd in self.bundles:
            if bd.site is not None and bd.n:
                out[bd.site[0]] += bd.n * bd.ninsn
        return out

    def _slot_of(self, bd, e) -> int:
        tb = e.__traceback__
        line = None
        code = bd.fn.__code__
        while tb is not None:
            if tb.tb_frame.f_code is code:
                line = tb.tb_lineno
            tb = tb.tb_next
        for first, last, k in bd.lines:
            if line is not None and first <= line <= last:
                return k
        raise e

    def _recover(self, bd, e):
        """Continue a bundle whose fast function raised at one slot."""
        k = self._slot_of(bd, e)
        if self.groups:  # the writes the fast function made before slot k
            reset, acc = bd.prefix[k]
            self.gw = acc if reset or bd.starts else self.gw | acc
        return self._continue(bd, k, e)

    def _continue(self, bd, k, e):
        while True:
            self._slow(bd, k, e)
            for j in range(k + 1, len(bd.slots)):
                try:
                    t = self.slot_fn(bd, j)()
                except (TypeError, struct.error) as e2:
                    k, e = j, e2
                    break
                if t is not None:
                    return t
            else:
                if self.groups and bd.decoded.ends_group:
                    self.gw = 0
                return bd.addr + 16

    def _run_traced(self, bd):
        if bd.starts:
            self.gw = 0
        for k, rec in enumerate(bd.slots):
            fn = self.slot_fn(bd, k)
            ins = rec.ins
            if rec.name != "nop" and (not ins.qp or self.st.pr[ins.qp]
                                      or sem_int.owns_predicate(ins)):
                self.trace.write(f"{self.symbolize(bd.addr | rec.slot)} {ins.text()}\n")
            try:
                t = fn()
            except (TypeError, struct.error) as e:
                t = None
                self._slow(bd, k, e)
            if t is not None:
                return t
        return bd.addr + 16

    # -- the slow path: NaT consumption, out-of-frame reads ------------------------
    def _slow(self, bd, k, e):
        rec = bd.slots[k]
        ins = rec.ins
        st = self.st
        addr = bd.addr | rec.slot
        g = st.g
        fl = ins.fields
        srcs = [fl[n] for n in ("r2", "r3") if fl.get(n)]
        for n in srcs:
            if g[n] is OUTSIDE:
                self.outside_frame(f"{ins.text()}: reads r{n}, outside the current frame "
                                   f"(sof={self.rse.sof})", addr)
        nat_src = [n for n in srcs if type(g[n]) is NaT]
        fnat = [n for n in ("f2", "f3", "f4") if n in fl and type(st.fs[fl[n]]) is NaT]
        if not nat_src and not fnat:
            raise e  # not a NaT: a bug of the model, let it show
        if rec.handler is None:
            raise e
        policy = getattr(rec.handler, "on_nat", None)
        if policy is not None and policy(ins, st, nat_src):
            if self.groups:
                self.gw |= rec.writes
                if rec.stop:
                    self.gw = 0
            return
        regs = ", ".join([f"r{n}" for n in nat_src] + [f"f{fl[n]}" for n in fnat])
        self.nat_consumption(ins, regs, addr)

    def outside_frame(self, msg, addr):
        """A read of a stacked register beyond the frame: a model error (system
        mode: the Illegal Operation fault)."""
        raise SimError(msg, addr)

    def nat_consumption(self, ins, regs, addr):
        """An instruction consumed a NaT: a model error (system mode: the NaT
        Consumption interruption)."""
        raise SimError(f"{ins.text()}: NaT consumption ({regs})", addr)

    # -- services of the compiled code ---------------------------------------------
    def dv(self, k, gw, addr):
        """Report a dependency violation in the instruction group."""
        bd = self.cache.get(addr) or self.compile(addr)
        rec = bd.slots[k]
        slot, ins = rec.slot, rec.ins
        raw = rec.reads & gw
        waw = deps.waw_mask(rec.writes, rec.parallel) & gw
        kind, regs = ("read-after-write", raw) if raw else ("write-after-write", waw)
        names = ", ".join(deps.names(regs))
        raise SimError(f"{ins.text()}: {kind} dependency on {names} inside one "
                       "instruction group (missing stop)", bd.addr | slot)

    def dv_entry(self, addr):
        """A conflict with the writes of the group's earlier bundles: find the slot."""
        bd = self.cache.get(addr) or self.compile(addr)
        acc = self.gw
        for k, rec in enumerate(bd.slots):
            if (rec.reads | deps.waw_mask(rec.writes, rec.parallel)) & acc:
                self.dv(k, acc, addr)
            acc |= rec.writes
            if rec.stop:
                break

    def jump(self, target, insns, nops, stops):
        """A taken branch: count it and the slots it skips; the group ends."""
        self.taken += 1
        if insns:
            self.skip_insns += insns
            self.skip_nops += nops
            self.skip_stops += stops
        self.gw = 0
        return target

    def unimplemented(self, addr):
        bd = self._fetch(addr & ~15)
        ins = bd.insn_at(addr & 3)
        what = ins.text() if ins.op != "unknown" else f"undecoded {ins.unit}-unit slot {ins.raw:#x}"
        raise SimError(f"unimplemented instruction form {ins.op!r}: {what}", addr)

    def call(self, b1, ret, target):
        st = self.st
        if st.alat:
            st.alat.clear()
        cfm = self.rse.call()
        st.ar[AR_PFS] = st.pfs_on_call(cfm)
        st.br[b1] = ret
        return target

    def ret(self, target):
        st = self.st
        if st.alat:
            st.alat.clear()
        pfs = st.ar[AR_PFS]
        self.rse.ret(pfs & ((1 << 38) - 1))
        st.ar[66] = (pfs >> 52) & 0x3F
        return target

    def loop(self, kind: str, qp: bool) -> bool:
        """br.ctop, br.cexit, br.wtop, br.wexit (SDM vol. 3, br): update ar.lc,
        ar.ec and p63, rotate the registers; whether the branch is taken.
        ``qp``: the value of a wtop/wexit's qualifying predicate."""
        ar, pr = self.st.ar, self.st.pr
        counted = kind in ("ctop", "cexit")
        top = kind in ("ctop", "wtop")
        if (ar[65] if counted else qp):
            if counted:
                ar[65] -= 1
            pr[63] = counted
            taken = top
        elif ar[66] & 0x3F > 1:
            ar[66] = (ar[66] & 0x3F) - 1
            pr[63] = False
            taken = top
        elif ar[66] & 0x3F == 1:
            ar[66] = 0
            pr[63] = False
            taken = not top
        else:
            pr[63] = False
            return not top
        self.rse.rotate()
        return taken

    def alloc(self, sof, sol, sor):
        if self.st.alat:
            self.st.alat.clear()
        self.rse.alloc(sof, sol, sor)

    def cover(self):
        """cover: with psr.ic = 0, cr.ifs = v | the CFM being covered."""
        cfm = self.rse.cfm()
        self.rse.cover()
        if not (self.priv.psr >> 13) & 1:
            self.priv.cr[23] = (1 << 63) | cfm

    def write_ar(self, n, v):
        if n == AR_BSP:
            raise SimError("write to ar.bsp: illegal operation")
        if n == AR_BSPSTORE:
            self.rse.write_bspstore(v)
        elif n == AR_ITC:
            self.priv.write_itc(v)

    def read_cr(self, n):
        if n == 65:  # ivr: no interrupt pending, the spurious vector
            return 15
        if 68 <= n <= 71:  # irr0-3
            return 0
        return self.priv.cr[n]

    def write_cr(self, n, v, addr):
        if n in (65, 68, 69, 70, 71):
            raise SimError(f"write to read-only cr{n}", addr)
        self.priv.cr[n] = v
        self.priv.log(f"mov.to.{ia64.cr_name(n)}", addr, v)

    def read_ind(self, kind, idx):
        p = self.priv
        if kind == "rr":
            return p.rr[idx >> 61]
        return getattr(p, kind, {}).get(idx & 0xFF, 0)

    def write_ind(self, kind, idx, v, addr):
        p = self.priv
        if kind == "rr":
            p.rr[idx >> 61] = v
        else:
            getattr(p, kind)[idx & 0xFF] = v
        p.log(f"mov.to.{kind}", addr, idx, v)

    def cpuid(self, idx):
        from .privileged import CPUID
        if idx < len(CPUID):
            return CPUID[idx]
        raise SimError(f"mov r=cpuid[{idx}]: reserved register (cpuid[3].number = 4)")

    def alat_put(self, key, a, size):
        """An advanced load's ALAT entry; the first one makes every store check the ALAT."""
        self.st.alat[key] = (a, size)
        if not self.alat_stores:
            self._watch_stores()

    def _watch_stores(self):
        alat = self.st.alat
        check = self.alat_store

        def watched(store, n):
            def s(a, v):
                store(a, v)
                if alat:
                    check(a, n)
            return s

        self.alat_stores = {f"S{n}": watched(self.stores_src[n], n) for n in (1, 2, 4, 8)}
        for ns in (self.ns, *self.namespaces):
            ns.update(self.alat_stores)

    def alat_store(self, a, size):
        alat = self.st.alat
        for key, (ea, es) in list(alat.items()):
            if ea < a + size and a < ea + es:
                del alat[key]

    def check_align(self, a, n):
        if a & (n - 1):
            raise MemoryFault(f"unaligned {n}-byte access at {a:#x}")

    @staticmethod
    def ext_to_reg(e, s):
        sign = (e >> 15) & 1
        exp = e & 0x7FFF
        if exp == 0x7FFF:
            exp = 0x1FFFF
        elif exp or s:
            exp = exp - 0x3FFF + 0xFFFF
        return sign << 17 | exp

    @staticmethod
    def reg_to_ext(fe):
        sign = (fe >> 17) & 1
        exp = fe & 0x1FFFF
        if exp == 0x1FFFF:
            exp = 0x7FFF
        elif exp:
            exp = (exp - 0xFFFF + 0x3FFF) & 0x7FFF
        return sign << 15 | exp

    def brk(self, imm, addr):
        if self.platform is None:
            raise SimError(f"break {imm:#x} (trap)", addr)
        self.platform.brk(imm, addr)
