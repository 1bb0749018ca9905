"""The executor: compiles each bundle once into a Python function and runs them.

A bundle's function performs its instructions in slot order (for valid
instruction groups sequential execution is what the architecture
guarantees), checks the group's register dependencies, and returns the next
bundle's address.  Semantics come from the ``sem_*`` modules (one handler
per instruction form, keyed on the decoder's ``Insn.op``); the register
read/write sets for the group check from ``deps``.

A NaT or out-of-frame register consumed by the fast code raises TypeError;
the executor then re-runs that one slot on the slow path (``_slow``), which
implements the architected NaT behaviour, and continues the bundle slot by
slot.
"""

from __future__ import annotations

import struct
import sys
from collections import Counter

from .. import ia64
from . import deps, sem_branch, sem_fp, sem_int, sem_mem, sem_mm, sem_sys, syscalls
from .errors import LimitError, ReturnToHost, SimError
from .gen import M64, Ctx, Unimplemented
from .memory import MemoryFault
from .nat import NAT0, OUTSIDE, NaT, plain
from .state import AR_BSP, AR_BSPSTORE, AR_ITC, AR_PFS

_MODULES = (sem_int, sem_mem, sem_fp, sem_branch, sem_sys, sem_mm)
_ALU_LIKE = {"add", "sub", "logic", "adds", "addp4", "shladd", "shift", "extr", "dep", "ext",
             "popcnt", "parallel", "multimedia", "shrp", "mux", "movl", "fsxt", "fcvt_xf",
             "fma", "setf", "getf", "xmpy", "fnorm", "fmerge", "mov_from_ip"}
_NOPS = frozenset(("nop", "hint"))
BATCH = 8  # bundles compiled together
_FLOW_ENDS = frozenset(("br.ret", "br.cond", "br.cond.ind", "brl.cond", "br.ia", "rfi"))


def _ends_flow(b) -> bool:
    """Whether a bundle always leaves by a transfer (nothing falls through to the next)."""
    for i in b.insns:
        if i.op in _FLOW_ENDS and not i.qp:
            return True
    return False


def handler_for(op: str):
    for m in _MODULES:
        h = m.HANDLERS.get(op)
        if h is not None:
            return h
    for m in _MODULES:
        h = m.family(op)
        if h is not None:
            return h
    return None


class Bundle:
    __slots__ = (
        "addr",
        "decoded",
        "fn",
        "lines",
        "n",
        "ninsn",
        "nnop",
        "ns",
        "nstop",
        "prefix",
        "site",
        "slot_src",
        "slots",
    )


class Executor:
    def __init__(self, state, *, spec: str = "succeed", groups: bool = True,
                 trace=None, symbolize=None, sites: dict | None = None, seed: int = 1):
        if spec not in ("succeed", "fail"):
            raise ValueError("spec is 'succeed' or 'fail'")
        self.st = state
        self.rse = state.rse
        self.priv = state.priv
        self.spec = spec
        self.groups = groups
        self.trace = trace
        self.symbolize = symbolize or (lambda a: f"{a:#x}")
        self.sites = sites or {}  # bundle address -> site type name
        self.cache: dict[int, Bundle] = {}
        self.gw = 0  # registers written so far in the current instruction group
        self.return_addr = None  # Machine.call's return address
        self.bundles: list[Bundle] = []  # every bundle compiled (their counts make --stats)
        self.taken = 0  # taken branches
        self.skip_insns = self.skip_nops = self.skip_stops = 0  # after taken branches
        self.syscalls = syscalls.Syscalls(self, seed)
        self.out = getattr(sys.stdout, "buffer", sys.stdout)
        self.err = getattr(sys.stderr, "buffer", sys.stderr)
        mem = state.mem
        self.ns = {"g": state.g, "pr": state.pr, "br": state.br, "ar": state.ar,
                   "fs": state.fs, "fe": state.fe, "st": state, "X": self, "NaT": NaT,
                   "NAT0": NAT0, "M": M64, **sem_mm.HELPERS,
                   **{f"L{n}": mem.loads[n] for n in (1, 2, 4, 8)},
                   **{f"S{n}": mem.stores[n] for n in (1, 2, 4, 8)}}
        self._args = ""  # the names are the globals of the compiled code

    # -- compilation -----------------------------------------------------------
    def _fetch(self, addr: int):
        if addr == self.return_addr:
            raise ReturnToHost(plain(self.st.g[8]))
        if addr & 15:
            raise SimError(f"branch to {addr:#x}, not a bundle address", addr)
        try:
            raw = self.st.mem.read_bytes(addr, 16)
        except MemoryFault:
            raise SimError(f"jump to unmapped address {addr:#x}", addr) from None
        try:
            return ia64.decode_bundle(raw, addr)
        except ia64.DecodeError as e:
            raise SimError(f"{e}", addr) from None

    def compile(self, addr: int) -> Bundle:
        """Compile the bundle at ``addr`` and the straight-line bundles after it (up to
        BATCH, until an unconditional transfer), in one call of Python's compiler."""
        batch = [self._fetch(addr)]
        a = addr + 16
        while len(batch) < BATCH and not _ends_flow(batch[-1]):
            if a in self.cache or a == self.return_addr:
                break
            try:
                batch.append(self._fetch(a))
            except SimError:
                break
            a += 16
        src: list[str] = []
        consts: dict = {}
        made = []
        for n, b in enumerate(batch):
            slots = self._slots(b, consts)
            lines, linemap, slot_src, prefix = self._source(b.addr, slots, b.stops, f"_b{n}")
            base = len(src)
            src += lines
            made.append((b, slots, [(x + base, y + base, k) for x, y, k in linemap], slot_src,
                         prefix))
        ns = dict(self.ns)
        ns.update(consts)
        code = compile("\n".join(src), f"<bundles {addr:#x}>", "exec")
        exec(code, ns)  # noqa: S102 - source generated here from decoded instructions
        for n, (b, slots, linemap, slot_src, prefix) in enumerate(made):
            bd = Bundle()
            bd.fn = ns[f"_b{n}"]
            bd.slots = [(s[0], s[1], s[3], s[4], s[5], s[6], None) for s in slots]
            bd.slot_src = slot_src
            bd.prefix = prefix
            bd.ns = ns
            bd.ninsn = len(b.insns)
            bd.nnop = sum(1 for s in slots if s[3] == "nop")
            bd.nstop = len(b.stops)
            bd.lines = linemap
            bd.addr = b.addr
            bd.decoded = b
            bd.site = self.sites.get(b.addr)
            bd.n = 0
            self.cache[b.addr] = bd
            self.bundles.append(bd)
        return self.cache[addr]

    def _slots(self, b, consts):
        """(slot, insn, lines, handler name, rmask, wmask, parallel) of each instruction."""
        slots = []
        addr = b.addr
        for ins in b.insns:
            slot = ins.slot
            if ins.op in _NOPS:
                slots.append((slot, ins, [], "nop", 0, 0, False))
                continue
            h = handler_for(ins.op)
            c = Ctx(addr, slot, self.spec, consts)
            try:
                if h is None:
                    raise Unimplemented(ins.op)
                lines = h(ins, c)
            except (Unimplemented, KeyError):
                lines = [f"X.unimplemented({addr | slot:#x})"]
                h = None
            r, w, par = deps.reads_writes(ins)
            slots.append((slot, ins, lines, h.__name__ if h else "unimpl", r, w, par))
        return slots

    def flush_code(self, addr):
        """fc/fc.i: compiled bundles of the 32-byte line at ``addr`` are dropped, so code
        written there runs once the line is flushed."""
        line = addr & ~31
        self.cache.pop(line, None)
        self.cache.pop(line + 16, None)

    def slot_fn(self, bd, k):
        """The function running slot index ``k`` of a bundle alone (compiled on first use:
        the slow path and --trace need them)."""
        fn = bd.slots[k][6]
        if fn is None:
            addr, k, slot, ins, lines, hname, r, w, par, stop, skipped = bd.slot_src[k]
            alone = self._slot_code(addr, k, slot, ins, lines, hname, r, w, par, stop, 4,
                                    skipped=skipped)
            if self.groups:
                alone = ["    _w = X.gw", *alone, "    X.gw = _w"]
            src = [f"def _s{k}({self._args}):", *alone, "    return None"]
            exec(compile("\n".join(src), f"<bundle {bd.addr:#x} slot {k}>", "exec"),  # noqa: S102
                 bd.ns)
            fn = bd.ns[f"_s{k}"]
            bd.slots[k] = (*bd.slots[k][:6], fn)
        return fn

    def _slot_code(self, addr, k, slot, ins, lines, hname, r, w, par, stop_after, indent,
                   track=True, skipped=()):
        """Lines of one slot: predicate guard, group check (``track``: on ``_w``), semantics;
        ``skipped``: the counter updates for the slots a taken branch here skips."""
        out = []
        pad = " " * indent
        body = []
        if track and self.groups and (r or w):
            rw = r | deps.waw_mask(w, par)
            body.append(f"if _w & {rw:#x}: X.dv({k}, _w, {addr:#x})")
            if w:
                body.append(f"_w |= {w:#x}")
        for ln in lines:
            if ln.lstrip().startswith("return "):
                sp = ln[:len(ln) - len(ln.lstrip())]
                body.append(f"{sp}X.taken += 1")
                body += [f"{sp}{x}" for x in skipped]
                if self.groups:
                    body.append(f"{sp}X.gw = 0")
            body.append(ln)
        if ins.qp and not sem_int.owns_predicate(ins):
            out.append(f"{pad}if pr[{ins.qp}]:")
            out += [f"{pad}    {ln}" for ln in body] or [f"{pad}    pass"]
        else:
            out += [f"{pad}{ln}" for ln in body]
        if stop_after and track and self.groups:
            out.append(f"{pad}_w = 0")
        return out

    @staticmethod
    def _conditional(ins, r, w) -> bool:
        """Whether the instruction's group effect depends on its predicate at run time."""
        return bool(ins.qp and (r or w) and not sem_int.owns_predicate(ins))

    def _source(self, addr, slots, stops, name="_b"):
        """(lines of the bundle's function, line ranges of its slots, each slot's own lines,
        the group writes known to precede each slot).

        The group check is static when no instruction's effect depends on a
        predicate: conflicts inside the bundle are known when it is compiled
        (a call to X.dv is placed where the later instruction runs), and only
        the registers the previous bundles of the group wrote are checked at
        entry.  Otherwise every instruction checks and updates ``_w`` as it runs.
        """
        nxt = addr + 16
        src = [f"def {name}({self._args}):"]
        dynamic = self.groups and any(self._conditional(s[1], s[4], s[5]) for s in slots)
        static = self.groups and not dynamic
        if dynamic:
            src.append("    _w = X.gw")
        linemap = []  # (first line, last line, slot index)
        slot_src = []
        prefix = []  # (a stop came before the slot in this bundle, writes before it)
        acc, reset, entry = 0, False, 0
        for k, (slot, ins, lines, hname, r, w, par) in enumerate(slots):
            last = 2 if ins.unit == "L" else slot
            prefix.append((reset, acc))
            rest = slots[k + 1:]
            skipped = []
            if rest:
                end = 2 if rest[-1][1].unit == "L" else rest[-1][0]
                skipped.append(f"X.skip_insns += {len(rest)}")
                nn = sum(1 for x in rest if x[3] == "nop")
                ns_ = sum(1 for x in stops if last < x <= end)
                if nn:
                    skipped.append(f"X.skip_nops += {nn}")
                if ns_:
                    skipped.append(f"X.skip_stops += {ns_}")
            body = []
            if static and (r or w):
                if (r | deps.waw_mask(w, par)) & acc:
                    body.append(f"    X.dv({k}, {acc:#x}, {addr:#x})")
                if not reset:
                    entry |= r | deps.waw_mask(w, par)
            if not self._conditional(ins, r, w):
                acc |= w
            body += self._slot_code(addr, k, slot, ins, lines, hname, r, w, par, last in stops,
                                    4, track=dynamic, skipped=skipped)
            if last in stops:
                acc, reset = 0, True
            first = len(src) + 1
            src += body
            linemap.append((first, len(src), k))
            slot_src.append((addr, k, slot, ins, lines, hname, r, w, par, last in stops,
                             skipped))
        if static and entry:
            src.insert(1, f"    if X.gw & {entry:#x}: X.dv_entry({addr:#x})")
            linemap = [(a + 1, b + 1, k) for a, b, k in linemap]
        if dynamic:
            src.append("    X.gw = _w")
        elif static:
            if reset:
                src.append(f"    X.gw = {acc:#x}")
            elif acc:
                src.append(f"    X.gw |= {acc:#x}")
        src.append(f"    return {nxt:#x}")
        return src, linemap, slot_src, prefix

    # -- running -------------------------------------------------------------------
    def run(self, ip: int, max_insns: int | None = None) -> None:
        """Run from ``ip`` until the program exits (ProgramExit) or an error."""
        cache = self.cache
        limit = max_insns if max_insns is not None else -1
        ninsn = 0
        traced = self.trace is not None
        try:
            while True:
                bd = cache.get(ip)
                if bd is None:
                    bd = self.compile(ip)
                if traced:
                    nip = self._run_traced(bd)
                else:
                    try:
                        nip = bd.fn()
                    except (TypeError, struct.error) as e:
                        nip = self._recover(bd, e)
                bd.n += 1
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
            if s[6] is not None:
                codes[s[6].__code__] = k
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
        slot, ins = bd.slots[k][0], bd.slots[k][1]
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
                "rse fills": self.rse.fills, "nops": nn - self.skip_nops}

    @property
    def site_hits(self) -> Counter:
        """Executions of each site type (of the bundle at a record's start)."""
        hits = Counter()
        for bd in self.bundles:
            if bd.site is not None and bd.n:
                hits[bd.site] += bd.n
        return hits

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
            self.gw = acc if reset else self.gw | acc
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
        for k, (slot, ins, hname, _r, _w, _par, _fn) in enumerate(bd.slots):
            fn = self.slot_fn(bd, k)
            if hname != "nop" and (not ins.qp or self.st.pr[ins.qp]
                                   or sem_int.owns_predicate(ins)):
                self.trace.write(f"{self.symbolize(bd.addr | slot)} {ins.text()}\n")
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
        slot, ins, hname, _r, w, _par, _fn = bd.slots[k]
        st = self.st
        addr = bd.addr | slot
        g = st.g
        fl = ins.fields
        srcs = [fl[n] for n in ("r2", "r3") if fl.get(n)]
        for n in srcs:
            if g[n] is OUTSIDE:
                raise SimError(f"{ins.text()}: reads r{n}, outside the current frame "
                               f"(sof={self.rse.sof})", addr)
        nat_src = [n for n in srcs if type(g[n]) is NaT]
        fnat = [n for n in ("f2", "f3", "f4") if n in fl and type(st.fs[fl[n]]) is NaT]
        if not nat_src and not fnat:
            raise e  # not a NaT: a bug of the model, let it show
        if self.groups:
            self.gw |= w
            if (2 if ins.unit == "L" else slot) in bd.decoded.stops:
                self.gw = 0
        if hname in ("unimpl",):
            raise e
        if hname == "load" and ins.op[3:] in (".s", ".sa"):  # deferred: the target is NaT
            g[fl["r1"] or 128] = NAT0
            if "imm" in fl or "r2" in fl:
                g[fl["r3"]] = NAT0 if fl["r3"] in nat_src else g[fl["r3"]]
            return
        if hname == "compare":
            _kind, _size, _rel, ctype = sem_int._cmp_parts(ins)
            if ctype in ("none", "unc", "and", "andcm"):
                st.pr[fl["p1"] or 64] = False
                st.pr[fl["p2"] or 64] = False
            return
        if hname in _ALU_LIKE:
            if "r1" in fl:
                g[fl["r1"] or 128] = NAT0
            if "f1" in fl and fl["f1"] > 1:
                st.fs[fl["f1"]] = NAT0
                st.fe[fl["f1"]] = 0x1FFFE
            return
        regs = ", ".join([f"r{n}" for n in nat_src] + [f"f{fl[n]}" for n in fnat])
        raise SimError(f"{ins.text()}: NaT consumption ({regs})", addr)

    # -- services of the compiled code ---------------------------------------------
    def dv(self, k, gw, addr):
        """Report a dependency violation in the instruction group."""
        bd = self.cache.get(addr) or self.compile(addr)
        slot, ins, _hname, r, w, par, _fn = bd.slots[k]
        raw = r & gw
        waw = deps.waw_mask(w, par) & gw
        kind, regs = ("read-after-write", raw) if raw else ("write-after-write", waw)
        names = ", ".join(deps.names(regs))
        raise SimError(f"{ins.text()}: {kind} dependency on {names} inside one "
                       "instruction group (missing stop)", bd.addr | slot)

    def dv_entry(self, addr):
        """A conflict with the writes of the group's earlier bundles: find the slot."""
        bd = self.cache.get(addr) or self.compile(addr)
        acc = self.gw
        for k, (slot, _ins, _h, r, w, par, _fn) in enumerate(bd.slots):
            if (r | deps.waw_mask(w, par)) & acc:
                self.dv(k, acc, addr)
            acc |= w
            if (2 if _ins.unit == "L" else slot) in bd.decoded.stops:
                break

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

    def alloc(self, sof, sol, sor):
        if self.st.alat:
            self.st.alat.clear()
        self.rse.alloc(sof, sol, sor)

    def cover(self):
        self.rse.cover()
        if not (self.priv.psr >> 13) & 1:
            self.priv.cr[23] = (1 << 63) | self.rse.cfm()

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
        from .machine import CPUID
        if idx < len(CPUID):
            return CPUID[idx]
        raise SimError(f"mov r=cpuid[{idx}]: reserved register (cpuid[3].number = 4)")

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
        self.syscalls.brk(imm, addr)
