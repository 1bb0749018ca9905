"""The site contract's rules (docs/contract.md), proven on .o, .ko and vmlinux files.

For every `.pvcc_sites` record (docs/records.md) the checker proves, from the
object file alone:

1. region: whole 16-byte bundles inside one function F, the catalog's size,
   a stop before the first bundle and after the last, exactly one transfer
   (an unpredicated IP-relative `br.call b0 = target` in the first bundle, to
   the record's target) and nothing but nops in every other slot;
2. frame (the decodable part): F's `alloc` before the site has at least the
   intrinsic's number of outputs and the sol/sof the record states, ar.pfs is
   kept in a local of F and restored before every `br.ret`, b0 is saved in a
   local (or through a scratch register to memory) and restored before every
   `br.ret`, and without -mconstant-gp gp is reloaded after the site before
   any use of it (a read of r1, a call, an unknown transfer);
3. record fields: version, known type and convention, nargs, result, the
   argument bytes, reserved bytes zero, func = the function holding start;
4. completeness: every direct call (`br.call`/`brl.call`) to a record target or
   to a catalog implementation (`paravirt_<name>`) lies inside a region, no two
   regions overlap, and `.paravirt_bundles` (when present) matches one to one;
5. unwind: every light entry (`__pvcc_light_*`) of the object has unwind
   information saying where the light link and the caller's frame are
   (`pvcc.unwind`);
6. native-table: in a file with a `.pvcc_native` section (a linked kernel's
   pre-encoded native code), every entry is all zero or exactly what
   `pvcc-check --fill-native` writes for its record (`pvcc.native_table`).

`Checker.run` applies the groups in that order, one named method each: per
record `check_region`, `check_frame` (only when the region reads as bundles)
and `check_record`, then `check_completeness`, `check_compat` and
`check_unwind` and `check_native_table` over the whole object.  Each violation names its group (`Violation.rule`).

The rules read the object as `pvcc.decoded` decoded it once.  `check_decoded(model)`
is the rules' entry point, `violations_of(path)` the API for the CC wrapper; the
command line, pvcc-check, is `pvcc.check_cli`.
"""

from __future__ import annotations

import bisect
from collections import Counter
from dataclasses import dataclass, field
from typing import NamedTuple

from . import catalog, ia64, unwind
from .decoded import (
    DecodedObject,
    FunctionCode,
    SiteInfo,
    decode,
    decode_file,
    is_light_move,
    light_move,
)
from .ia64.semantics import (
    BRANCH,
    BRANCH_IND,
    CALL,
    CALLS,
    CHECK,
    NOP,
    OTHER,
    RETURN,
    effects,
)
from .objects import BRANCH_RELOCS, ElfObject, Function, Record, SymRef, Value

GP = 1

# Names under which <pvcc/paravirt.h> declares the implementations.
IMPL_PREFIX = catalog.SYMBOL_PREFIX

BUNDLE = 16             # bytes in a bundle
RESULT_REG = catalog.CONV_BY_ID[catalog.CONV_C].result  # r8 (docs/records.md)
MAX_ARGS = catalog.MAX_ARGS  # out0..out7 (docs/records.md)
FIRST_STACKED = 32      # r32: the first register of a frame
MAX_FRAME = 96          # stacked registers r32..r127
ARG_OUT = 0x80          # argument byte: 0x80 | k is out k, 1..31 is a static register
KNOWN_FLAGS = catalog.FLAGS  # record flag bits with a meaning


class AllocFrame(NamedTuple):
    """The frame `alloc r1 = ar.pfs, i, l, o, r` sets up."""
    sol: int            # size of locals (inputs + locals)
    sof: int            # size of frame (locals + outputs)
    pfs: int            # the general register that receives the caller's ar.pfs


def alloc_frame(ins: ia64.Insn) -> AllocFrame:
    """The operands of a decoded `alloc`."""
    return AllocFrame(ins.fields["sol"], ins.fields["sof"], ins.fields["r1"])


@dataclass
class Site:
    """One record as the per-site rules see it; the region rules fill in the bundles."""
    rec: Record
    name: str                           # the type's name, for messages
    intr: catalog.Intrinsic | None      # None: unknown type
    reg: int | None                     # getreg/setreg: the register the type names
    func: Function | None               # F, the function holding the region
    weak: bool = False                  # F is an overridden weak body (no symbol)
    bundles: list[ia64.Bundle] = field(default_factory=list)
    transfer: tuple[ia64.Bundle, ia64.Insn] | None = None     # C: the br.call
    light: list[ia64.Insn] = field(default_factory=list)      # light: mov r2=ip, br.cond
    moves: list[ia64.Insn] = field(default_factory=list)      # light: mov rS = rX, slot 0


@dataclass(frozen=True)
class Violation:
    file: str
    where: str        # "foo+0x40" (or a section offset)
    rule: str         # region, frame, record, completeness, compat, unwind, native-table
    message: str

    def __str__(self) -> str:
        return f"{self.file}: {self.where}: error: {self.message}"


@dataclass
class Report:
    file: str
    kind: str = ""
    records: list[Record] = field(default_factory=list)
    by_type: Counter = field(default_factory=Counter)
    functions: list[str] = field(default_factory=list)
    violations: list[Violation] = field(default_factory=list)
    error: str | None = None
    has_section: bool = False

    @property
    def ok(self) -> bool:
        return self.error is None and not self.violations

    def as_json(self) -> dict:
        return {
            "file": self.file,
            "type": self.kind or None,
            "sites": len(self.records),
            "by_type": dict(sorted(self.by_type.items())),
            "functions": self.functions,
            "violations": [{"where": v.where, "rule": v.rule, "message": v.message,
                            "text": str(v)} for v in self.violations],
            "error": self.error,
            "ok": self.ok,
        }


def _gp_use_before_reload(v: _FuncView, start: int) -> int | None:
    """The address of an instruction that uses gp on a path from instruction ``start`` of
    F that does not write gp first, or None.

    A use reads r1, or is a call (a direct callee takes the caller's gp) or a transfer
    whose target is not known or lies outside F.  A path ends at an unpredicated write
    of r1 or an unpredicated br.ret (gp is not preserved for F's caller, which reloads
    its own).  IP-relative branches and chk are followed; a predicated or loop branch
    also falls through.
    """
    todo, seen = [start], set()
    while todo:
        n = todo.pop()
        while n < len(v.insns) and n not in seen:
            seen.add(n)
            a, i = v.insns[n]
            e = effects(i)
            if e.reads_gr(GP) or e.kind in CALLS or e.kind == BRANCH_IND:
                return a
            if i.qp == 0 and (e.writes_gr(GP) or e.kind == RETURN):
                break
            if e.kind in (BRANCH, CHECK):
                if e.target is None or not v.f.addr <= e.target < v.f.end:
                    return a
                todo.append(bisect.bisect_left(v.addrs, e.target))
                if i.qp == 0 and i.op in ("br.cond", "brl.cond"):
                    break
            n += 1
    return None


class _FuncView:
    """What the frame rules read of one function, from its decoding in the model."""

    def __init__(self, code: FunctionCode):
        self.f = code.f
        self.insns = code.insns          # (bundle addr, insn), address order
        self.bad = code.bad              # reserved templates
        self.addrs = code.addrs
        self.branches = code.branches
        self.allocs = code.allocs
        effs = code.effects
        # copies of b0 into a general register: (index, the register)
        self.b0_saves = [(n, e.grs_written[0]) for n, e in enumerate(effs)
                         if _copies(e, "b0") and e.grs_written]
        # For every br.ret: the sources of the last b0 and ar.pfs writes before it
        # (after the last call), None when there is none; -1: not a general register.
        self.rets: list[tuple[int, int | None, int | None]] = []
        b0_src = pfs_src = None
        for (a, _), e in zip(self.insns, effs):
            if e.kind in CALLS:
                b0_src = pfs_src = None
            elif e.kind == RETURN:
                self.rets.append((a, b0_src, pfs_src))
            elif "b0" in e.writes:
                b0_src = e.grs_read[0] if e.grs_read else -1
            elif "ar.pfs" in e.writes:
                pfs_src = e.grs_read[0] if e.grs_read else -1


def _copies(e, reg: str) -> bool:
    """Whether an instruction does nothing but copy ``reg`` into one general register."""
    return e.kind == OTHER and not e.mem_read and len(e.writes) == 1 and (
        {r for r in e.reads if r[0] != "p"} == {reg})


def _stores(e) -> bool:
    """A plain store (writes memory without reading it)."""
    return e.mem_write and not e.mem_read


def _spilled(v: _FuncView, start: int, end: int, reg: int) -> bool:
    """Between instructions ``start`` and ``end`` of F, a plain store writes ``reg`` to
    memory before anything overwrites it (a save through a scratch register)."""
    for _, i in v.insns[start + 1:end]:
        e = effects(i)
        if _stores(e) and i.fields.get("r2") == reg:
            return True
        if e.writes_gr(reg) or e.kind in CALLS:
            return False
    return False


def _is_link(e) -> bool:
    """`mov rX = ip`: the light convention's link (reads ip, writes one register)."""
    return e.reads == {"ip"} and len(e.grs_written) == 1


class Checker:
    def __init__(self, model: DecodedObject):
        self.model = model
        self.obj = obj = model.obj
        self.file = obj.path
        self.violations: list[Violation] = []
        self._seen: set[tuple[str, str]] = set()
        self._views: dict[int, _FuncView] = {}
        self._rets_done: set[tuple[int, int | None, int]] = set()

    def overridden_weak(self, rec: Record) -> Function | None:
        """The code that holds a site no function symbol covers, in a linked file.

        That is the body of a weak definition which the link overrode (e.g.
        Linux's __weak arch_cpu_idle in kernel/sched/idle.c and ia64's own in
        process.c): the record's func resolved to the strong definition, the
        weak body stayed in .text without a symbol.  Its bounds come from the
        IA-64 unwind table (ElfObject.unwind_range_at).
        """
        obj = self.obj
        named = obj.function_at(rec.func)
        if obj.relocatable or named is None or named.addr != rec.func:
            return None
        code = obj.unwind_range_at(rec.start) or self.gap_at(rec.start)
        if code is None:
            return None
        lo, hi = code
        return Function(f"(overridden weak {named.name} at {lo:#x})", lo, hi - lo)

    def gap_at(self, addr: int) -> tuple[int, int] | None:
        """The symbol-less code around addr: from the end of the function before it
        (or its section's start) to the start of the next one (or the section's end).
        A leaf needs no unwind entry, so an overridden weak leaf (one whose only
        intrinsics are light sites) has none; its bounds are its neighbours'."""
        sec = self.obj.code_section_at(addr)
        if sec is None:
            return None
        lo, hi = sec.addr, sec.end
        for f in self.obj.functions:
            if f.end <= addr and f.end > lo and sec.addr <= f.addr:
                lo = f.end
            elif addr < f.addr < hi:
                hi = f.addr
        lo = (lo + 15) & ~15
        return (lo, hi) if lo <= addr < hi else None

    # -- helpers --------------------------------------------------------------
    def add(self, addr: Value | str, rule: str, message: str) -> None:
        where = addr if isinstance(addr, str) else self.obj.where(addr)
        key = (where, message)
        if key in self._seen:
            return
        self._seen.add(key)
        self.violations.append(Violation(self.file, where, rule, message))

    def view(self, f: Function) -> _FuncView:
        v = self._views.get(f.addr)
        if v is None:
            v = self._views[f.addr] = _FuncView(self.model.function(f))
        return v

    def bundle(self, addr: int) -> ia64.Bundle | None:
        return self.model.bundle(addr)

    def call_target(self, b: ia64.Bundle, ins: ia64.Insn) -> Value:
        """Where a br.call/brl.call goes: its relocation in a .o, else its displacement."""
        return self.model.call_target(b, ins)

    def name(self, rec: Record) -> str:
        return catalog.type_name(rec.type)

    # -- the rules ------------------------------------------------------------------
    def run(self) -> list[Violation]:
        """Every rule group, in the order of the contract (module docstring)."""
        recs = self.model.records
        for info in self.model.sites:
            self.check_site(info)
        self.check_completeness(recs)
        self.check_compat(recs)
        self.check_unwind()
        self.check_native_table()
        return self.violations

    def check_site(self, info: SiteInfo) -> None:
        """The per-site rule groups: region, then frame (which needs a readable region), then
        the record's own fields."""
        site = self.locate(info)
        if self.check_region(site):
            self.check_frame(site)
        self.check_record(site)

    def locate(self, info: SiteInfo) -> Site:
        f = info.func
        weak = self.overridden_weak(info.rec) if f is None else None
        return Site(rec=info.rec, name=info.name, intr=info.intr, reg=info.reg,
                    func=f or weak, weak=weak is not None)

    # -- 1. region -------------------------------------------------------------------
    def check_region(self, site: Site) -> bool:
        """Whole bundles in F, the catalog's size, stops around it, isolated, one transfer.

        False when the region cannot be read as bundles (the frame rules then
        have nothing to look at).
        """
        obj, rec, name, f, at = self.obj, site.rec, site.name, site.func, site.rec.start
        if rec.start % BUNDLE or rec.end % BUNDLE:
            self.add(at, "region", f"site of {name}: region {obj.where(rec.start)}.."
                     f"{obj.where(rec.end)} is not made of whole bundles")
            return False
        if rec.end <= rec.start:
            self.add(at, "region", f"site of {name}: region is empty (end <= start)")
            return False
        if f is None:
            self.add(at, "region", f"site of {name} is not inside any function")
        elif rec.end > f.end:
            self.add(at, "region", f"site of {name}: region runs past the end of {f.name}")
        if site.intr is not None and rec.nbundles != site.intr.bundles:
            self.add(at, "region", f"site of {name}: region is {rec.nbundles} bundle(s), the "
                     f"catalog reserves {site.intr.bundles}")
        if not self.group_starts_at(rec.start, f.addr if f else None):
            self.add(at, "region", f"site of {name}: no stop before the region")
        for a in range(rec.start, rec.end, BUNDLE):
            b = self.bundle(a)
            if b is None:
                self.add(a, "region", f"site of {name}: bundle does not decode "
                         f"(reserved template)")
                return False
            site.bundles.append(b)
        if not site.bundles[-1].ends_group:
            self.add(site.bundles[-1].addr, "region", f"site of {name}: no stop after the region")
        self.check_isolation(site)
        if rec.conv == catalog.CONV_C:
            self.check_call_transfer(site)
        elif rec.conv == catalog.CONV_LIGHT:
            self.check_light_transfer(site)
        self.check_no_branch_inside(site)
        return True

    def check_isolation(self, site: Site) -> None:
        """Nothing but nops in the region besides its convention's transfer instructions."""
        rec, first, last = site.rec, site.bundles[0], site.bundles[-1]
        for b in site.bundles:
            for ins in b.insns:
                # A linker may turn an out-of-range br.call of an isolated
                # bundle into brl.call (MLX): still one transfer, one bundle.
                e = effects(ins)
                if (rec.conv == catalog.CONV_C and site.transfer is None and b is first
                        and e.kind == CALL):
                    site.transfer = (b, ins)
                    continue
                if (rec.conv == catalog.CONV_LIGHT and b is last
                        and (_is_link(e) or (e.kind == BRANCH and e.target is not None))):
                    site.light.append(ins)
                    continue
                if rec.conv == catalog.CONV_LIGHT and b is last and is_light_move(ins):
                    site.moves.append(ins)      # the moved argument (check_light_transfer)
                    continue
                if e.kind != NOP:
                    slot = 2 if ins.unit == "L" else ins.slot
                    self.add(b.addr, "region", f"site of {site.name} is not isolated: slot "
                             f"{slot} holds '{ins.text()}'")

    def check_call_transfer(self, site: Site) -> None:
        """C convention: an unpredicated `br.call b0 = target` in the first bundle."""
        name, rec = site.name, site.rec
        if site.transfer is None:
            self.add(rec.start, "region", f"site of {name}: no br.call in the first bundle "
                     f"of the region")
            return
        b, ins = site.transfer
        if ins.qp:
            self.add(b.addr, "region", f"site of {name}: the br.call is predicated (p{ins.qp})")
        link = sorted(r for r in effects(ins).writes if r[0] == "b")
        if link != ["b0"]:
            self.add(b.addr, "region", f"site of {name}: the br.call links through "
                     f"{', '.join(link)}, expected b0")
        tgt = self.call_target(b, ins)
        if tgt != rec.target:
            self.add(b.addr, "region", f"site of {name} calls {self.obj.describe(tgt)}, "
                     f"the record says {self.obj.describe(rec.target)}")

    def check_light_transfer(self, site: Site) -> None:
        """The last bundle of a light region: `mov r2 = ip` then `br.cond` to the target.

        The link is the address of this bundle, so the implementation returns
        to the end of the region; the mov must come in an earlier slot than
        the branch, or the taken branch would skip it.
        """
        rec, name, b, insns = site.rec, site.name, site.bundles[-1], site.light
        link = [i for i in insns if _is_link(effects(i))]
        br = [i for i in insns if effects(i).kind == BRANCH]
        if len(link) != 1 or len(br) != 1:
            self.add(b.addr, "region", f"site of {name}: the last bundle of a light region "
                     f"must hold exactly 'mov r{catalog.LIGHT_LINK}=ip' and one br.cond")
            return
        mov, br = link[0], br[0]
        if (mov.qp or effects(mov).grs_written != (catalog.LIGHT_LINK,)
                or mov.slot > br.slot):
            self.add(b.addr, "region", f"site of {name}: the link must be an unpredicated "
                     f"'mov r{catalog.LIGHT_LINK}=ip' before the branch, found "
                     f"'{mov.text()}' in slot {mov.slot}")
        if br.qp:
            self.add(b.addr, "region", f"site of {name}: the br.cond is predicated (p{br.qp})")
        self.check_light_move(site)
        tgt = self.call_target(b, br)
        if tgt != rec.target and isinstance(tgt, int) and self.trampoline(tgt) == rec.target:
            tgt = rec.target        # ld's out-of-range stub: one more hop, no register changed
        if tgt != rec.target:
            self.add(b.addr, "region", f"site of {name} branches to {self.obj.describe(tgt)}, "
                     f"the record says {self.obj.describe(rec.target)}")

    def check_light_move(self, site: Site) -> None:
        """The transfer bundle's slot 0 moves the argument `catalog.light_moved_arg`
        names from the register the record gives into its static register
        (`mov rS = rX`), or is a nop when the record gives the static register."""
        rec, name, b = site.rec, site.name, site.bundles[-1]
        move = light_move(rec, site.intr)
        if move is None:
            for ins in site.moves:
                self.add(b.addr, "region", f"site of {name} is not isolated: slot "
                         f"{ins.slot} holds '{ins.text()}'")
            return
        m, static, src = move
        a = rec.args[m]
        if not site.moves:
            if src != static:
                self.add(b.addr, "region", f"site of {name}: argument {m} is "
                         f"{_argtext(a)}, but the transfer bundle moves nothing into "
                         f"r{static}")
            return
        mov = site.moves[0]
        got = (mov.qp, mov.fields.get("r1"), mov.fields.get("r3"))
        if got != (0, static, src):
            self.add(b.addr, "region", f"site of {name}: the transfer bundle's "
                     f"'{mov.text()}' is not 'mov r{static}=r{src}' (argument {m}, "
                     f"{_argtext(a)})")

    def trampoline(self, addr: int) -> Value | None:
        """Where ld's stub for an out-of-range branch goes: a bundle outside every
        function holding `nop.m; brl` (unpredicated), or None."""
        b = self.bundle(addr)
        if b is None or self.obj.function_at(addr) is not None or len(b.insns) != 2:
            return None
        m, brl = b.insns
        if effects(m).kind != NOP or effects(brl).kind != BRANCH or brl.qp:
            return None
        return self.call_target(b, brl)

    def check_no_branch_inside(self, site: Site) -> None:
        """Nothing in F may branch into the middle of a region of several bundles."""
        rec, f = site.rec, site.func
        if f is None or rec.nbundles <= 1:
            return
        for a, t in self.view(f).branches:
            if rec.start < t < rec.end and not rec.start <= a < rec.end:
                self.add(a, "region", f"branch into the middle of the site of {site.name} "
                         f"(to {self.obj.where(t)})")

    # -- 2. frame ----------------------------------------------------------------------
    def check_frame(self, site: Site) -> None:
        """F's frame around the site, as its convention needs it."""
        if site.func is None:
            return
        if site.rec.conv == catalog.CONV_C:
            self.check_call_frame(site)
        elif site.rec.conv == catalog.CONV_LIGHT:
            self.check_light_frame(site)

    def check_light_frame(self, site: Site) -> None:
        """A light site leaves F's frame alone: the record states F's alloc as it is."""
        rec, f = site.rec, site.func
        v = self.view(f)
        n_before = bisect.bisect_left(v.addrs, rec.start)
        alloc = next((n for n in v.allocs if n < n_before), None)
        sol = sof = 0
        if alloc is not None:
            sol, sof, _ = alloc_frame(v.insns[alloc][1])
        if (rec.sol, rec.sof) != (sol, sof):
            self.add(rec.start, "record", f"site of {site.name} records sol {rec.sol}, "
                     f"sof {rec.sof}; {f.name} has sol {sol}, sof {sof}"
                     + ("" if alloc is not None else " (no alloc)"))

    # -- 3. record ---------------------------------------------------------------------
    def check_record(self, site: Site) -> None:
        """The record's own fields, against the catalog, its convention and F."""
        rec, name, intr, at = site.rec, site.name, site.intr, site.rec.start
        if intr is None:
            self.add(at, "record", f"site has unknown type {rec.type:#x}")
        elif site.reg is not None:
            why = catalog.reg_problem(intr.type_id, site.reg)
            if why:
                self.add(at, "record", f"site of {name}: register {site.reg}: {why}")
        if rec.conv not in catalog.CONV_NAMES:
            self.add(at, "record", f"site of {name} has unknown convention {rec.conv}")
        if intr is not None:
            if rec.nargs != intr.nargs:
                self.add(at, "record", f"site of {name} records {rec.nargs} arguments, "
                         f"{intr.name} takes {intr.nargs}")
            conv = catalog.CONV_BY_ID.get(rec.conv)
            want = (conv.result if conv else RESULT_REG) if intr.returns else 0
            if rec.result != want:
                self.add(at, "record", f"site of {name} records result register {rec.result}, "
                         f"expected {want}" + ("" if intr.returns else f" ({intr.name} is void)"))
        if rec.nargs > MAX_ARGS:
            self.add(at, "record", f"site of {name} records {rec.nargs} arguments "
                     f"(at most {MAX_ARGS})")
        self.check_argument_bytes(site)
        if rec.flags & ~KNOWN_FLAGS:
            self.add(at, "record", f"site of {name}: reserved flag bits set ({rec.flags:#x})")
        if rec.flags & catalog.FLAG_SRLZ_D:
            # The implementation serializes before it returns: a light entry's
            # promise, never a C function's (docs/light.md).
            if rec.conv != catalog.CONV_LIGHT:
                self.add(at, "record", f"site of {name}: flag srlz.d on a "
                         f"{catalog.CONV_NAMES.get(rec.conv, 'unknown')} site (light only)")
            elif intr is not None and not catalog.serializable(intr, site.reg):
                self.add(at, "record", f"site of {name}: flag srlz.d, but its native code "
                         "has no room for the srlz.d")
        if any(rec.reserved):
            self.add(at, "record", f"site of {name}: reserved bytes are not zero")
        if rec.sol > rec.sof or rec.sof > MAX_FRAME:
            self.add(at, "record", f"site of {name}: impossible frame sol {rec.sol}, "
                     f"sof {rec.sof}")
        f = site.func
        if f is not None and not site.weak and rec.func != f.addr:
            self.add(at, "record", f"site of {name}: record says func "
                     f"{self.obj.describe(rec.func)}, the site is in {f.name}")

    def check_argument_bytes(self, site: Site) -> None:
        """Each used argument byte where the convention puts it; unused bytes zero."""
        rec, name, at = site.rec, site.name, site.rec.start
        for i, a in enumerate(rec.args):
            if i < rec.nargs:
                if rec.conv == catalog.CONV_C and a != ARG_OUT | i:
                    self.add(at, "record", f"site of {name}: argument {i} is {_argtext(a)}, "
                             f"the C convention puts it in out{i}")
                elif rec.conv == catalog.CONV_LIGHT:
                    want = _light_arg(site.intr, i)
                    if site.intr is not None and i == catalog.light_moved_arg(site.intr):
                        # any register: the transfer bundle moves it (check_light_move)
                        if a & ARG_OUT and (a & ~ARG_OUT >= MAX_ARGS or
                                            rec.sol + (a & ~ARG_OUT) >= rec.sof):
                            self.add(at, "record", f"site of {name}: argument {i} is "
                                     f"{_argtext(a)}, outside the frame (sof {rec.sof})")
                    elif a != want:
                        self.add(at, "record", f"site of {name}: argument {i} is "
                                 f"{_argtext(a)}, the light convention "
                                 + (f"puts it in r{want}" if want else
                                    "passes no register number"))
                elif not (a & ARG_OUT and a & ~ARG_OUT < MAX_ARGS) and not 1 <= a <= 31:
                    self.add(at, "record", f"site of {name}: argument {i} byte {a:#x} is invalid")
            elif a:
                self.add(at, "record", f"site of {name}: unused argument byte {i} is {a:#x}, "
                         f"expected 0")

    def group_starts_at(self, addr: int, entry: int | None) -> bool:
        """Whether replacement code at addr starts its own instruction group.

        It does when a stop precedes addr with nothing but nops in between:
        GCC's `.align` before a loop head makes gas pad with a nop bundle that
        has no stop, right before a site at the top of the loop. A function's
        entry always starts a group.
        """
        a = addr
        while entry is None or a > entry:
            b = self.bundle(a - 16)
            if b is None:
                return False
            if b.ends_group:
                return True
            last_stop = max((s for s in b.stops if s < 2), default=-1)
            if any(effects(ins).kind != NOP for ins in b.insns if ins.slot > last_stop):
                return False
            if last_stop >= 0:
                return True
            a -= 16
        return True

    def check_call_frame(self, site: Site) -> None:
        """C convention: outputs for the arguments, ar.pfs and b0 kept in locals and restored
        before every br.ret, gp reloaded after the site without -mconstant-gp."""
        rec, f, name, intr = site.rec, site.func, site.name, site.intr
        v = self.view(f)
        for a in v.bad:
            self.add(a, "frame", f"bundle in {f.name} does not decode (reserved template)")
        n_before = bisect.bisect_left(v.addrs, rec.start)
        alloc = next((n for n in v.allocs if n < n_before), None)
        if alloc is None:
            self.add(rec.start, "frame", f"site of {name}: {f.name} has no alloc before the site")
            return
        aaddr, al = v.insns[alloc]
        sol, sof, r_pfs = alloc_frame(al)
        need = intr.nargs if intr else rec.nargs
        if sof - sol < need:
            self.add(aaddr, "frame", f"alloc of {f.name} reserves {sof - sol} output register(s), "
                     f"site of {name} at {self.obj.where(rec.start)} needs {need}")
        if (rec.sol, rec.sof) != (sol, sof):
            self.add(rec.start, "record", f"site of {name} records sol {rec.sol}, sof {rec.sof}; "
                     f"the alloc of {f.name} has sol {sol}, sof {sof}")
        locals_ = range(FIRST_STACKED, FIRST_STACKED + sol)
        if r_pfs not in locals_:
            if _spilled(v, alloc, n_before, r_pfs):
                # every stacked register is taken: GCC stores ar.pfs through a scratch
                # register to the memory stack and loads it back before br.ret
                r_pfs = -1
            else:
                self.add(aaddr, "frame", f"{f.name} keeps ar.pfs in r{r_pfs}, not in a local "
                         f"(r{FIRST_STACKED}..r{locals_[-1] if sol else FIRST_STACKED - 1}) "
                         f"nor in memory; the callee may overwrite it")
        b0_locals, b0_reg = self.check_b0_saved(site, v, n_before, locals_)
        self.check_restores(site, v, b0_locals, b0_reg, r_pfs)
        if not self.obj.constant_gp:
            self.check_gp_reloaded(site, v)

    def check_b0_saved(self, site: Site, v: _FuncView, n_before: int,
                       locals_: range) -> tuple[frozenset[int], int | None]:
        """(locals holding b0, the save register or -1 for memory or None) before the site.

        There may be more than one copy of b0 (the prologue's save and e.g.
        __builtin_return_address(0) for _RET_IP_); every copy in a local is a
        save the epilogue may use.
        """
        rec, f, name = site.rec, site.func, site.name
        saves = [(n, x) for n, x in v.b0_saves if n < n_before]
        b0_reg: int | None = None
        b0_locals = frozenset(x for _, x in saves) & set(locals_)
        if not saves:
            self.add(rec.start, "frame", f"site of {name}: {f.name} does not save b0 before "
                     f"the site")
        elif b0_locals:
            b0_reg = max(b0_locals)
        else:
            n, x = saves[-1]
            a = v.insns[n][0]
            if _spilled(v, n, n_before, x):
                b0_reg = -1     # spilled to memory through a scratch register
            else:
                self.add(a, "frame", f"{f.name} saves b0 in r{x}, which the callee of {name} "
                         f"may overwrite")
        return b0_locals, b0_reg

    def check_restores(self, site: Site, v: _FuncView, b0_locals: frozenset[int],
                       b0_reg: int | None, r_pfs: int) -> None:
        """b0 and ar.pfs restored from their saves before every br.ret of F (once per
        function and frame layout)."""
        rec, f, name = site.rec, site.func, site.name
        key = (f.addr, b0_locals if b0_locals else b0_reg, r_pfs)
        if key not in self._rets_done:
            self._rets_done.add(key)
            site = f"site of {name} at {self.obj.where(rec.start)}"
            for a, b0_src, pfs_src in v.rets:
                if b0_src is None:
                    self.add(a, "frame", f"{f.name} does not restore b0 before this br.ret "
                             f"({site})")
                elif b0_reg is not None and b0_reg >= 0 and b0_src not in b0_locals:
                    saved = ", ".join(f"r{x}" for x in sorted(b0_locals))
                    self.add(a, "frame", f"{f.name} restores b0 from r{b0_src} before this "
                             f"br.ret, but saved it in {saved}")
                if pfs_src is None:
                    self.add(a, "frame", f"{f.name} does not restore ar.pfs before this br.ret "
                             f"({site})")
                elif pfs_src != r_pfs and (r_pfs >= 0 or pfs_src < 0):
                    src = f"r{pfs_src}" if pfs_src >= 0 else "an immediate"
                    saved = f"r{r_pfs}" if r_pfs >= 0 else "memory"
                    self.add(a, "frame", f"{f.name} restores ar.pfs from {src} before this "
                             f"br.ret, but its alloc saved it in {saved}")

    def check_gp_reloaded(self, site: Site, v: _FuncView) -> None:
        """Without -mconstant-gp, no path from the site uses gp before reloading it: the
        callee may leave its own gp in r1.  GCC reloads gp only where it is used again,
        so a site followed only by code that never uses gp (an endless loop, a return)
        has no reload, and needs none."""
        rec = site.rec
        use = _gp_use_before_reload(v, bisect.bisect_left(v.addrs, rec.end))
        if use is not None:
            self.add(rec.end, "frame", f"site of {site.name}: gp (r1) is not reloaded after "
                     f"the site before its use at {self.obj.where(use)} (object not "
                     f"compiled with -mconstant-gp)")

    def check_overlaps(self, recs: list[Record]) -> None:
        order = sorted(recs, key=lambda r: (r.start, r.end, r.index))
        last: Record | None = None
        for r in order:
            if last is not None and r.start < last.end:
                self.add(r.start, "completeness",
                         f"site of {self.name(r)} (record {r.index}) overlaps the site of "
                         f"{self.name(last)} (record {last.index}) at {self.obj.where(last.start)}")
            if last is None or r.end > last.end:
                last = r

    # -- 4. completeness and compatibility records ----------------------------------------
    def check_completeness(self, recs: list[Record]) -> None:
        """No two regions overlap, and every transfer to an implementation lies in a region."""
        self.check_overlaps(recs)
        regions = _Regions(recs)
        self.check_calls_covered(recs, regions)
        self.check_light_branches_covered(recs, regions)

    def check_calls_covered(self, recs: list[Record], regions: _Regions) -> None:
        """Every br.call/brl.call of a record's target or of a catalog implementation
        lies in a region (or in a light entry point calling its C implementation)."""
        obj = self.obj
        targets: set[Value] = {r.target for r in recs}
        impl_names = {i.symbol: i for i in catalog.INTRINSICS}
        for fn in obj.functions:
            if fn.name in impl_names:
                targets.add(fn.addr)

        def in_thunk(addr: int) -> bool:
            # a light entry point calling its C implementation (pvcc.thunks)
            f = obj.function_at(addr)
            return f is not None and f.name.startswith(catalog.LIGHT_PREFIX)

        def is_target(t: Value) -> bool:
            if t in targets:
                return True
            return isinstance(t, SymRef) and t.addend == 0 and t.name in impl_names

        for b in self._transfers(CALL):
            for ins in b.insns:
                if effects(ins).kind != CALL:
                    continue
                t = self.call_target(b, ins)
                if is_target(t) and not regions.cover(b.addr) and not in_thunk(b.addr):
                    self.add(b.addr, "completeness", f"call of {obj.describe(t)} is not inside "
                             f"any recorded site")

    def check_light_branches_covered(self, recs: list[Record], regions: _Regions) -> None:
        """Every branch to a light entry point (`__pvcc_light_<symbol>`) lies in a region."""
        obj = self.obj
        light = {r.target for r in recs if r.conv == catalog.CONV_LIGHT}
        light |= {fn.addr for fn in obj.functions if fn.name.startswith(catalog.LIGHT_PREFIX)}

        def is_light(t: Value) -> bool:
            return t in light or (isinstance(t, SymRef)
                                  and t.name.startswith(catalog.LIGHT_PREFIX))

        if obj.relocatable:
            hits = [(a, r.value) for a, r in obj.code_relocs.items()
                    if r.type in BRANCH_RELOCS and is_light(r.value)]
        elif light:
            hits = [(b.addr, self.call_target(b, ins)) for b in self._transfers(BRANCH)
                    for ins in b.insns if effects(ins).kind == BRANCH and effects(ins).target]
        else:
            hits = []
        for a, t in hits:
            bundle = a & ~(BUNDLE - 1)
            if is_light(t) and not regions.cover(bundle) and self.trampoline(bundle) is None:
                self.add(bundle, "completeness", f"branch to {obj.describe(t)} is not inside "
                         f"any recorded site")

    def check_unwind(self) -> None:
        """Every light entry (`__pvcc_light_*`: a native body or a thunk) has an unwind
        entry of its own saying where the light link and the caller's frame are, and
        where its calls of C find rp and ar.pfs (pvcc.unwind)."""
        def calls_b0(start: int, end: int) -> list[int]:
            f = self.obj.function_at(start)
            if f is None:
                return []
            return [a + ins.slot for a, ins in self.model.function(f).insns
                    if start <= a < end and effects(ins).kind == CALL
                    and "b0" in effects(ins).writes]

        def insns(f: Function) -> list:
            return [(a + ins.slot, ins, eff) for (a, ins), eff
                    in zip(self.model.function(f).insns, self.model.function(f).effects)]

        for addr, message in unwind.check(self.obj, calls_b0, insns):
            self.add(addr, "unwind", message)

    def check_native_table(self) -> None:
        """A linked kernel's pre-encoded native code (`.pvcc_native`): every entry all
        zero or exactly what `--fill-native` writes for its record (pvcc.native_table).
        The module is imported only for a file that may have the section (not for the
        objects the CC wrapper checks)."""
        obj = self.obj
        if obj.relocatable and not any(s.name == catalog.NATIVE_SECTION for s in obj.sections):
            return
        from . import native_table

        for where, message in native_table.violations(self.model):
            self.add(where, "native-table", message)

    def _transfers(self, kind: str):
        return self.model.transfers(kind)

    def check_compat(self, recs: list[Record]) -> None:
        obj = self.obj
        if obj.compat is None:
            return
        have = Counter((c.start, c.end, c.type) for c in obj.compat)
        for r in recs:
            k = (r.start, r.end, r.type)
            if have[k] > 0:
                have[k] -= 1
            else:
                self.add(r.start, "compat", f"site of {self.name(r)} has no matching "
                         f"{catalog.COMPAT_SECTION} record")
        for c in obj.compat:
            k = (c.start, c.end, c.type)
            if have[k] > 0:
                have[k] -= 1
                at = c.start if isinstance(c.start, int) else f"{catalog.COMPAT_SECTION}+{c.section_offset:#x}"
                self.add(at, "compat", f"{catalog.COMPAT_SECTION} record {c.index} "
                         f"({catalog.type_name(c.type)}) matches no {catalog.SECTION} record")


class _Regions:
    """The regions of an object's records, for "is this bundle inside a site"."""

    def __init__(self, recs: list[Record]):
        self.regions = sorted((r.start, r.end) for r in recs)
        self.starts = [s for s, _ in self.regions]

    def cover(self, addr: int) -> bool:
        i = bisect.bisect_right(self.starts, addr) - 1
        while i >= 0:
            s, e = self.regions[i]
            if s <= addr < e:
                return True
            if addr - s > 64 * BUNDLE:     # no region is that long: stop looking back
                break
            i -= 1
        return False


def _light_arg(intr: catalog.Intrinsic | None, i: int) -> int:
    if intr is None:
        return catalog.LIGHT_ARGS[i] if i < len(catalog.LIGHT_ARGS) else -1
    regs = catalog.light_arg_registers(intr)
    return regs[i] if i < len(regs) else -1


def _argtext(a: int) -> str:
    if a & ARG_OUT:
        return f"out{a & ~ARG_OUT}"
    if a:
        return f"r{a}"
    return "0"


# ---------------------------------------------------------------------------
# API


def check_decoded(model: DecodedObject) -> Report:
    """The report of one decoded object (the rules' only entry point)."""
    obj = model.obj
    rep = Report(obj.path, obj.kind, has_section=obj.records is not None)
    rep.records = model.records
    rep.by_type = Counter(s.name for s in model.sites)
    rep.functions = sorted({s.func.name for s in model.sites if s.func is not None})
    rep.violations = Checker(model).run()
    return rep


def check_object(obj: ElfObject) -> Report:
    return check_decoded(decode(obj))


def check_file(path: str, *, require_records: bool = False) -> Report:
    """Read and check one file; raises ObjectError if it cannot be read."""
    return check_decoded(decode_file(path, require_records=require_records))


def violations_of(path: str) -> list[str]:
    """The contract violations of one object, one line each (raises ObjectError)."""
    return [str(v) for v in check_file(path).violations]
