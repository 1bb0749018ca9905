"""Compiles IA-64 bundles into Python functions (the executor's fast path).

Each bundle becomes one function that performs its instructions in slot order
(for valid instruction groups sequential execution is what the architecture
guarantees), checks the group's register dependencies and returns the next
bundle's address.  The semantics of each form come from the ``sem_*`` modules
(one handler per form, keyed on the decoder's ``Insn.op``), the dependency
masks from ``deps``.  A straight-line run of up to ``BATCH`` bundles goes
through Python's compiler in one call; the functions that run one slot alone
(for the NaT slow path and --trace) are made only when needed.
"""

from __future__ import annotations

from ... import ia64
from ..errors import ReturnToHost, SimError
from . import deps, sem_branch, sem_fp, sem_int, sem_mem, sem_mm, sem_sys
from .gen import Ctx, SlotRecord, Unimplemented
from .memory import MemoryFault
from .nat import plain

_MODULES = (sem_int, sem_mem, sem_fp, sem_branch, sem_sys, sem_mm)
_NOPS = frozenset(("nop", "hint", "brp"))
BATCH = 8  # bundles compiled together
# The privileged instructions (SDM vol. 3: the instructions marked
# privileged"): at cpl != 0 they take a Privileged Operation fault.
PRIVILEGED = frozenset((
    "rfi", "bsw.0", "bsw.1", "mov.from.cr", "mov.to.cr", "mov.from.psr", "mov.to.psr.l",
    "ssm", "rsm", "itc.i", "itc.d", "itr.i", "itr.d", "ptc.l", "ptc.e", "ptc.g", "ptc.ga",
    "ptr.i", "ptr.d", "tpa", "tak",
    *(f"mov.{d}.{k}" for d in ("to", "from") for k in ("rr", "pkr", "dbr", "ibr", "msr")),
    "mov.to.pmc", "mov.from.pmc", "mov.to.pmd"))
PSR_CPL = 3 << 32
PSR_DFL, PSR_DFH = 1 << 18, 1 << 19
PSR_MFL, PSR_MFH = 1 << 4, 1 << 5
_FR_LOW = sum(1 << (deps.FR + n) for n in range(2, 32))
_FR_HIGH = sum(1 << (deps.FR + n) for n in range(32, 128))
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
        "pa",
        "prefix",
        "site",
        "slots",
        "starts",
    )


class BundleCompiler:
    """The compiling half of the Executor (which provides ``st``, ``cache``, ``ns``,
    ``spec``, ``groups``, ``sites``, ``bundles``, ``namespaces``, ``return_addr``
    and ``_args``)."""

    def _fetch(self, addr: int):
        return self._fetch_pa(addr)[0]

    def _fetch_pa(self, addr: int):
        """(the decoded bundle at ``addr``, its physical address).  In system mode
        ``translate_fetch`` translates (and may raise an Interruption)."""
        if addr == self.return_addr:
            raise ReturnToHost(plain(self.st.g[8]))
        if addr & 15:
            raise SimError(f"branch to {addr:#x}, not a bundle address", addr)
        pa = addr if self.translate_fetch is None else self.translate_fetch(addr)
        try:
            raw = self.st.mem.read_bytes(pa, 16)
        except MemoryFault:
            raise SimError(f"jump to unmapped address {addr:#x}", addr) from None
        try:
            return ia64.decode_bundle(raw, addr), pa
        except ia64.DecodeError as e:
            raise SimError(f"{e}", addr) from None

    def compile(self, addr: int) -> Bundle:
        """Compile the bundle at ``addr`` and the straight-line bundles after it (up to
        BATCH, until an unconditional transfer), in one call of Python's compiler."""
        first, pa = self._fetch_pa(addr)
        batch, pas = [first], [pa]
        a = addr + 16
        while len(batch) < BATCH and not _ends_flow(batch[-1]):
            if a in self.cache or a == self.return_addr or (self.system and not a & 0xFFF):
                break  # (system mode: a new 4 KiB page may translate elsewhere)
            try:
                b, pa = self._fetch_pa(a)
            except SimError:
                break
            batch.append(b)
            pas.append(pa)
            a += 16
        src: list[str] = []
        consts: dict = {}
        made = []
        made_starts = []
        for n, b in enumerate(batch):
            slots = self._slots(b, consts)
            starts = batch[n - 1].ends_group if n else self._ends_group_before(b.addr)
            lines, linemap, prefix = self._source(b.addr, slots, b.stops, f"_b{n}", starts)
            made_starts.append(starts)
            base = len(src)
            src += lines
            made.append((b, slots, [(x + base, y + base, k) for x, y, k in linemap], prefix))
        ns = dict(self.ns)
        ns.update(consts)
        self.namespaces.append(ns)
        code = compile("\n".join(src), f"<bundles {addr:#x}>", "exec")
        exec(code, ns)  # noqa: S102 - source generated here from decoded instructions
        for n, (b, slots, linemap, prefix) in enumerate(made):
            bd = Bundle()
            bd.fn = ns[f"_b{n}"]
            bd.slots = slots
            bd.prefix = prefix
            bd.starts = made_starts[n]
            bd.ns = ns
            bd.ninsn = len(b.insns)
            bd.nnop = sum(1 for s in slots if s.name == "nop")
            bd.nstop = len(b.stops)
            bd.lines = linemap
            bd.addr = b.addr
            bd.pa = pas[n]
            bd.decoded = b
            bd.site = self.sites.get(b.addr)
            bd.n = 0
            self.cache[b.addr] = bd
            self.bundles.append(bd)
            if self.on_compiled is not None:
                self.on_compiled(bd)
        return self.cache[addr]

    def _slots(self, b, consts) -> list[SlotRecord]:
        """The slot records of a decoded bundle (``stop`` and ``skipped`` are filled in
        by ``_source``)."""
        slots = []
        addr = b.addr
        for k, ins in enumerate(b.insns):
            slot = ins.slot
            if ins.op in _NOPS:
                slots.append(SlotRecord(slot, ins, [], None, "nop", 0, 0, False, k))
                continue
            h = handler_for(ins.op)
            c = Ctx(addr, slot, self.spec, consts, self.system)
            try:
                if h is None:
                    raise Unimplemented(ins.op)
                lines = h(ins, c)
            except (Unimplemented, KeyError):
                lines = [f"X.unimplemented({addr | slot:#x})"]
                h = None
            if self.system:  # the effect log is the user-mode harness's
                lines = [ln for ln in lines if not ln.lstrip().startswith("X.priv.log(")]
            r, w, par = deps.reads_writes(ins)
            slots.append(SlotRecord(slot, ins, lines, h, h.__name__ if h else "unimpl", r, w,
                                    par, k))
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
        rec = bd.slots[k]
        fn = rec.fn
        if fn is None:
            alone = self._slot_code(bd.addr, rec, 4, skipped=rec.skipped)
            if self.groups:
                alone = ["    _w = X.gw", *alone, "    X.gw = _w"]
            src = [f"def _s{k}({self._args}):", *alone, "    return None"]
            exec(compile("\n".join(src), f"<bundle {bd.addr:#x} slot {k}>", "exec"),  # noqa: S102
                 bd.ns)
            fn = rec.fn = bd.ns[f"_s{k}"]
        return fn

    def _slot_code(self, addr, rec, indent, track=True, skipped=(0, 0, 0)):
        """Lines of one slot: predicate guard, group check (``track``: on ``_w``), semantics;
        ``skipped``: instructions, nops and stops a taken branch here skips."""
        out = []
        pad = " " * indent
        body = []
        ins, r, w, k = rec.ins, rec.reads, rec.writes, rec.index
        if self.system:
            body += self._system_checks(addr | rec.slot, ins.op, r | w)
        if track and self.groups and (r or w):
            rw = r | deps.waw_mask(w, rec.parallel)
            body.append(f"if _w & {rw:#x}: X.dv({k}, _w, {addr:#x})")
            if w:
                body.append(f"_w |= {w:#x}")
        for ln in rec.lines:
            if ln.lstrip().startswith("return "):
                sp = ln[:len(ln) - len(ln.lstrip())]
                ln = f"{sp}return X.jump({ln.lstrip()[7:]}, {', '.join(map(str, skipped))})"
            body.append(ln)
        if self.system:  # an FR write sets psr.mfl (f2-f31) or psr.mfh (f32-f127)
            mf = (PSR_MFL if w & _FR_LOW else 0) | (PSR_MFH if w & _FR_HIGH else 0)
            if mf:
                body.append(f"X.priv.psr |= {mf:#x}")
        if ins.qp and not sem_int.owns_predicate(ins):
            out.append(f"{pad}if pr[{ins.qp}]:")
            out += [f"{pad}    {ln}" for ln in body] or [f"{pad}    pass"]
        else:
            out += [f"{pad}{ln}" for ln in body]
        if rec.stop and track and self.groups:
            out.append(f"{pad}_w = 0")
        return out

    @staticmethod
    def _system_checks(addr, op, regs) -> list[str]:
        """System mode: a privileged instruction at cpl != 0 and a reference to a
        disabled floating-point register partition fault before anything happens
        (SDM vol. 2, ch. 8: General Exception, Disabled FP-Register; a false
        predicate suppresses both)."""
        out = []
        if op in PRIVILEGED:
            out.append(f"if X.priv.psr & {PSR_CPL:#x}: X.privileged({addr:#x})")
        df = (PSR_DFL if regs & _FR_LOW else 0) | (PSR_DFH if regs & _FR_HIGH else 0)
        if df:
            out.append(f"if X.priv.psr & {df:#x}: X.disabled_fp({addr:#x}, {df:#x})")
        return out

    @staticmethod
    def _conditional(ins, r, w) -> bool:
        """Whether the instruction's group effect depends on its predicate at run time."""
        return bool(ins.qp and (r or w) and not sem_int.owns_predicate(ins))

    def _ends_group_before(self, addr) -> bool:
        """Whether the bundle before ``addr`` ends with a stop: then falling through
        into ``addr`` starts a new group (and a taken branch always does)."""
        try:
            return self._fetch_pa(addr - 16)[0].ends_group
        except (SimError, ReturnToHost):
            return False

    def _source(self, addr, slots, stops, name="_b", starts=False):
        """(lines of the bundle's function, line ranges of its slots, the group writes
        known to precede each slot); fills in each record's ``stop`` and ``skipped``.

        The group check is static when no instruction's effect depends on a
        predicate: conflicts inside the bundle are known when it is compiled
        (a call to X.dv is placed where the later instruction runs), and only
        the registers the previous bundles of the group wrote are checked at
        entry.  Otherwise every instruction checks and updates ``_w`` as it runs.
        Groups continue only by falling through: a bundle that ``starts`` a group
        (the one before ends with a stop) neither reads ``X.gw`` nor, if it ends
        with a stop itself, writes it.
        """
        nxt = addr + 16
        src = [f"def {name}({self._args}):"]
        dynamic = self.groups and any(self._conditional(s.ins, s.reads, s.writes)
                                      for s in slots)
        static = self.groups and not dynamic
        if dynamic:
            src.append("    _w = 0" if starts else "    _w = X.gw")
        linemap = []  # (first line, last line, slot index)
        prefix = []  # (a stop came before the slot in this bundle, writes before it)
        acc, reset, entry = 0, False, 0
        for k, rec in enumerate(slots):
            ins, r, w, par = rec.ins, rec.reads, rec.writes, rec.parallel
            last = 2 if ins.unit == "L" else rec.slot
            prefix.append((reset, acc))
            rest = slots[k + 1:]
            skipped = (0, 0, 0)
            if rest:
                end = 2 if rest[-1].ins.unit == "L" else rest[-1].slot
                skipped = (len(rest), sum(1 for x in rest if x.name == "nop"),
                           sum(1 for x in stops if last < x <= end))
            rec.stop = last in stops
            rec.skipped = skipped
            body = []
            if static and (r or w):
                if (r | deps.waw_mask(w, par)) & acc:
                    body.append(f"    X.dv({k}, {acc:#x}, {addr:#x})")
                if not reset:
                    entry |= r | deps.waw_mask(w, par)
            if not self._conditional(ins, r, w):
                acc |= w
            body += self._slot_code(addr, rec, 4, track=dynamic, skipped=skipped)
            if rec.stop:
                acc, reset = 0, True
            first = len(src) + 1
            src += body
            linemap.append((first, len(src), k))
        if static and entry and not starts:
            src.insert(1, f"    if X.gw & {entry:#x}: X.dv_entry({addr:#x})")
            linemap = [(a + 1, b + 1, k) for a, b, k in linemap]
        ends = bool(stops) and stops[-1] == 2
        if dynamic and not ends:
            src.append("    X.gw = _w")
        elif static and not ends:
            if reset or starts:
                src.append(f"    X.gw = {acc:#x}")
            elif acc:
                src.append(f"    X.gw |= {acc:#x}")
        src.append(f"    return {nxt:#x}")
        return src, linemap, prefix
