"""An object decoded once: its sites, the functions that hold them, their bundles.

Like objtool's ``decode_sections()``, ``decode(obj)`` makes one pass over an
`objects.ElfObject` and builds what the checker (``pvcc.check``), the callee
checker (``pvcc.callee``), the native patcher (``pvcc.patch``) and the
retarget check (``pvcc.retarget``) read, so none of them decodes a function
or looks up a record's intrinsic again:

* ``sites``: one `SiteInfo` per ``.pvcc_sites`` record, in record order, with
  the catalog entry of its type looked up once (intrinsic, getreg/setreg
  register, the type's name as reports print it) and the function symbol
  holding its start;
* ``function(f)``: the `FunctionCode` of a function -- its decoded bundles,
  its instructions in address order with their semantic effects, its
  IP-relative branches and allocs.  A function is decoded the first time a
  rule asks for it (a vmlinux has tens of thousands the rules never look at),
  and never again: every reader shares that one decoding;
* ``bundle(addr)``: one decoded bundle (None outside code or for a reserved
  template), decoded once; ``region(rec)``: a record's bundles as they are;
* ``call_target(bundle, insn)``: where a transfer goes -- its branch relocation
  in a relocatable file (resolved once, by `objects`), else its displacement;
* ``transfers(kind)``: the bundles of every code section that hold an
  IP-relative transfer of that kind (scanned once per kind).

``decode_file(path)`` opens the file and decodes it: one read, one pass.
"""

from __future__ import annotations

from dataclasses import dataclass

from . import catalog, ia64
from .ia64.semantics import ALLOC, effects
from .objects import BRANCH_RELOCS, ElfObject, Function, Record, SymRef, Value, open_object

BUNDLE = 16


def light_move(rec: Record, intr: catalog.Intrinsic | None) -> tuple[int, int, int] | None:
    """The move a light site's transfer bundle makes for its moved argument
    (catalog.light_moved_arg): (the argument, its static register, the register
    the record names, physical: out k is r(32 + sol + k)); None for a type with
    no argument to move.  No move is needed when the two registers are one."""
    m = catalog.light_moved_arg(intr) if intr is not None else None
    if m is None or m >= rec.nargs:
        return None
    a = rec.args[m]
    return m, catalog.LIGHT_ARGS[m], 32 + rec.sol + (a & 0x7F) if a & 0x80 else a


def is_light_move(ins: ia64.Insn) -> bool:
    """`mov rS = rX` (adds rS = 0, rX) in slot 0: how a light transfer bundle
    moves its moved argument."""
    return ins.slot == 0 and ins.op == "adds" and ins.fields.get("imm") == 0


@dataclass(frozen=True)
class SiteInfo:
    """A record with its catalog entry, looked up once."""
    rec: Record
    name: str                           # catalog.type_name: "get_cpuid", "getreg(ar.itc)"
    intr: catalog.Intrinsic | None      # None: a type the catalog does not know
    reg: int | None                     # getreg/setreg: the register the type names
    func: Function | None               # the function symbol holding the region's start


class FunctionCode:
    """The decoded code of one function, in address order, with an index."""

    def __init__(self, obj: ElfObject, f: Function):
        self.f = f
        self.bundles: list[ia64.Bundle] = []               # every bundle, reserved ones too
        self.insns: list[tuple[int, ia64.Insn]] = []       # (bundle addr, insn)
        self.bad: list[int] = []                           # reserved templates
        sec = obj.code_section_at(f.addr)
        start = f.addr & ~15
        end = min((f.end + 15) & ~15, sec.end & ~15) if sec else start
        self.end = end
        if end > start:
            for b in ia64.iter_bundles(obj.read(start, end - start), start):
                self.bundles.append(b)
                if b.units is None:
                    self.bad.append(b.addr)
                    continue
                for ins in b.insns:
                    self.insns.append((b.addr, ins))
        self.addrs = [a for a, _ in self.insns]
        self.effects = [effects(i) for _, i in self.insns]
        # IP-relative transfers (their targets are exact: intra-section, no relocation)
        self.branches = [(a, e.target) for (a, _), e in zip(self.insns, self.effects)
                         if e.target is not None]
        self.allocs = [n for n, e in enumerate(self.effects) if e.kind == ALLOC]


class DecodedObject:
    """An object and what one decoding pass knows of it (module docstring)."""

    def __init__(self, obj: ElfObject):
        self.obj = obj
        self.path = obj.path
        self._functions: dict[tuple[int, int], FunctionCode] = {}
        self._bundles: dict[int, ia64.Bundle | None] = {}
        self._transfers: dict[str, list[ia64.Bundle]] = {}
        self._regions: dict[int, list[ia64.Bundle]] = {}
        self.sites: list[SiteInfo] = []
        for rec in obj.records or []:
            found = catalog.intrinsic_for(rec.type)
            name = catalog.entry_name(*found) if found else catalog.type_name(rec.type)
            self.sites.append(SiteInfo(rec, name, found[0] if found else None,
                                       found[1] if found else None,
                                       obj.function_at(rec.start)))

    @property
    def records(self) -> list[Record]:
        return [s.rec for s in self.sites]

    def function(self, f: Function) -> FunctionCode:
        key = (f.addr, f.size)
        code = self._functions.get(key)
        if code is None:
            code = self._functions[key] = FunctionCode(self.obj, f)
        return code

    def bundle(self, addr: int) -> ia64.Bundle | None:
        if addr in self._bundles:
            return self._bundles[addr]
        b = None
        sec = self.obj.code_section_at(addr)
        if sec is not None and addr + BUNDLE <= sec.end:
            try:
                b = ia64.decode_bundle(self.obj.read(addr, BUNDLE), addr)
            except ia64.DecodeError:
                b = None
        self._bundles[addr] = b
        return b

    def region(self, rec: Record) -> list[ia64.Bundle]:
        """The bundles of a record's region, reserved templates included (decoded once);
        raises ObjectError when the region is not in the file."""
        found = self._regions.get(rec.index)
        if found is None:
            found = self._regions[rec.index] = list(ia64.iter_bundles(
                self.obj.read(rec.start, rec.end - rec.start), rec.start))
        return found

    def call_target(self, b: ia64.Bundle, ins: ia64.Insn) -> Value:
        """Where a transfer goes: its relocation in a .o, else its displacement."""
        r = self.obj.code_reloc(b.addr + ins.slot)
        if r is not None:
            if r.type in BRANCH_RELOCS:
                return r.value
            return SymRef(f"?{r.type_name}")
        return effects(ins).target

    def transfers(self, kind: str) -> list[ia64.Bundle]:
        """Bundles of every code section holding an IP-relative transfer of ``kind``
        (CALL: br.call/brl.call, BRANCH: br.cond/brl.cond and loop branches)."""
        found = self._transfers.get(kind)
        if found is None:
            found = self._transfers[kind] = [
                b for sec in self.obj.code_sections
                for b in ia64.iter_transfer_bundles(
                    self.obj.read(sec.addr, sec.size - sec.size % 16), sec.addr, kind)]
        return found


def decode(obj: ElfObject) -> DecodedObject:
    return DecodedObject(obj)


def decode_file(path: str, *, require_records: bool = False) -> DecodedObject:
    """Read and decode one file; raises ObjectError if it cannot be read."""
    return DecodedObject(open_object(path, require_records=require_records))
