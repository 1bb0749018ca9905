"""What a decoded instruction does, in a neutral register model.

``effects(insn)`` gives an ``Effects``: the instruction's ``kind`` (see the
constants below), the registers it reads and writes, its branch target, and
whether it reads or writes memory.  Code outside the decoder (the checker, the
patcher, the execution model) asks this module instead of testing opcodes.

Register names (strings): ``r1``-``r127``, ``f2``-``f127``, ``p1``-``p63``,
``b0``-``b7``, application and control registers as objdump names them
(``ar.pfs``, ``ar.lc``, ``ar60``, ``cr.ifa``, ``cr3``), the PSR fields
(``psr.i``, ``psr.ic``, ``psr.cpl``, ...; ``mov r=psr`` reads them all, ``ssm``
and ``rsm`` write those of their mask), ``cfm`` (the current frame marker), the
indirect register files ``rr``, ``pkr``, ``dbr``, ``ibr``, ``pmc``, ``pmd``,
``msr``, ``cpuid``, the data and instruction translation caches and registers
``dtlb`` and ``itlb``, and ``ip`` (read by ``mov r=ip``).  A write of f2-f31
(f32-f127) also writes ``psr.mfl`` (``psr.mfh``), the SDM's implied writers, so
``mov r=psr`` or a ``mov psr.l=`` in the group of a floating-point register
write is reported, while two floating-point register writers may share a
group.  Not modelled: the PSR fields that memory accesses and privileged
operations read (those dependencies need a serialization, not a stop).
``r0``, ``f0``, ``f1`` and ``p0`` never appear: they are constants, writing them has no effect a
dependency can see.  ``ar.unat{x}`` is the UNAT bit that st8.spill writes and
ld8.fill reads; which bit depends on the address, so ``group_violations``
leaves it to the caller (an executor knows the address).  A predicated
instruction reads its qualifying predicate.

The sets describe the instruction as if it executes.  When its qualifying
predicate is false it only reads that predicate, except that ``.unc``
compares still write both predicates (``Effects.unconditional``).

``group_violations`` applies the instruction-group rules (Itanium SDM vol. 1,
"Instruction Sequencing Considerations", and the per-resource dependency
tables of vol. 3): within a group, a register written by one instruction must
not be read or written by a later one, except that

* and-type compares may write the same predicate, and so may or-type ones,
  and ``.or.andcm`` ones (in the same role: both first or both second target);
* an integer compare, tbit, tnat or ``mov pr=`` may set the qualifying
  predicate of a branch in the same group (a floating-point compare may not);
* ``mov b=r`` may set the branch register an indirect branch, call or return
  of the same group uses, and ``mov ar.pfs=r`` the ar.pfs a ``br.ret`` uses;
* the registers an ``alloc`` renames may be used in its group (CFM);
* a check load (``ld.c``, ``ldf.c``) may be followed by uses of its target, and
  ``lfetch`` may use an address written in its group (it is only a hint);
* translation-cache purges (ptc, ptr) may share a group;
* a branch writes its registers only when it is taken, and a taken branch ends
  the group: its writes never conflict with later instructions (except the
  modulo-scheduled loop branches, which also write when they fall through);
* memory and the ALAT have no in-group dependencies.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .model import Insn, ar_name, cr_name

# Kinds
CALL = "call"              # br.call b=target, brl.call
CALL_IND = "call.ind"      # br.call b=b
BRANCH = "branch"          # br.cond target, brl.cond, loop branches (br.cloop/ctop/...)
BRANCH_IND = "branch.ind"  # br.cond b, br.ia
RETURN = "return"          # br.ret
CHECK = "check"            # chk.s/chk.a: branches to recovery code at ``target``
NOP = "nop"                # nop, hint
ALLOC = "alloc"
BREAK = "break"            # break on any unit (a trap: system call, assertion, ...)
OTHER = "other"

TRANSFERS = frozenset((CALL, CALL_IND, BRANCH, BRANCH_IND, RETURN, CHECK))
CALLS = frozenset((CALL, CALL_IND))
INDIRECT = frozenset((CALL_IND, BRANCH_IND, RETURN))


@dataclass(frozen=True)
class Effects:
    kind: str
    reads: frozenset[str]
    writes: frozenset[str]
    target: int | None = None  # absolute target of an IP-relative transfer
    mem_read: bool = False
    mem_write: bool = False
    unconditional: bool = False  # .unc compare: writes its predicates even when qp is false
    # (predicate written, its type: "norm", "and", "or", or for .or.andcm "or.andcm" (first
    # target) and "andcm.or" (second target))
    pr_types: tuple[tuple[str, str], ...] = ()
    int_pr_writer: bool = False  # integer compare / tbit / tnat / mov pr=: may set a branch's qp
    check_load: bool = False     # ld.c / ldf.c: its target may be used in the same group

    def writes_gr(self, n: int) -> bool:
        return f"r{n}" in self.writes

    def reads_gr(self, n: int) -> bool:
        return f"r{n}" in self.reads

    @property
    def grs_read(self) -> tuple[int, ...]:
        """The general registers read, in order (r0 excluded)."""
        return tuple(sorted(int(r[1:]) for r in self.reads if r[0] == "r" and r[1:].isdigit()))

    @property
    def grs_written(self) -> tuple[int, ...]:
        """The general registers written, in order."""
        return tuple(sorted(int(r[1:]) for r in self.writes if r[0] == "r" and r[1:].isdigit()))


# --------------------------------------------------------------------------
# Operand roles from the form's template: left of "=" is written, right of it
# and inside brackets is read.

_TOKEN = re.compile(r"([rfpb])\{(\w+)\}|\{(ar|cr)\}|(rr|dbr|ibr|pkr|pmc|pmd|msr|cpuid|dtr|itr)\[|"
                    r"(ar\.\w+|psr(?:\.\w+)?|pr\.rot|pr|ip)|(\[|\]|=)")
_FILES = {"dtr": "dtlb", "itr": "itlb"}
_LITERAL = {"psr": "psr", "psr.l": "psr.l", "psr.um": "psr.um", "pr": "pr", "pr.rot": "pr.rot"}
# PSR fields by bit (Itanium SDM vol. 2, "Processor Status Register"): resources "psr.<field>"
_PSR_FIELD = {1: "be", 2: "up", 3: "ac", 4: "mfl", 5: "mfh", 13: "ic", 14: "i", 15: "pk",
              17: "dt", 18: "dfl", 19: "dfh", 20: "sp", 21: "pp", 22: "di", 23: "si", 24: "db",
              25: "lp", 26: "tb", 27: "rt", 32: "cpl", 33: "cpl", 34: "is", 35: "mc", 36: "it",
              37: "id", 38: "da", 39: "dd", 40: "ss", 41: "ri", 42: "ri", 43: "ed", 44: "bn",
              45: "ia", 46: "vm"}


def psr_fields(mask: int) -> tuple[str, ...]:
    """The PSR field resources of the bits set in ``mask``."""
    return tuple(sorted({f"psr.{n}" for b, n in _PSR_FIELD.items() if (mask >> b) & 1}))


_PSR_SETS = {"psr": psr_fields((1 << 64) - 1), "psr.l": psr_fields((1 << 32) - 1),
             "psr.um": psr_fields(0x3F)}
_PLANS: dict[str, tuple] = {}


def _plan(template: str) -> tuple:
    """((kind, name, written), ...): kind "reg" (class letter + field), "ar"/"cr" (field),
    "lit" (a fixed resource)."""
    plan = _PLANS.get(template)
    if plan is not None:
        return plan
    out = []
    depth, written = 0, "=" in template
    for m in _TOKEN.finditer(template):
        reg, fld, arcr, file_, lit, punct = m.groups()
        if punct == "[":
            depth += 1
        elif punct == "]":
            depth -= 1
        elif punct == "=":
            written = False
        elif reg:
            out.append(("reg", reg + ":" + fld, written and depth == 0))
        elif arcr:
            out.append((arcr, arcr, written and depth == 0))
        elif file_:
            out.append(("lit", _FILES.get(file_, file_), written))
            depth += 1
        elif lit:
            out.append(("lit", _LITERAL.get(lit, lit), written and depth == 0))
    plan = _PLANS[template] = tuple(out)
    return plan


_ALL_PR = tuple(f"p{n}" for n in range(1, 64))
_ROT_PR = tuple(f"p{n}" for n in range(16, 64))


def _resource(kind: str, name: str, f: dict) -> tuple[str, ...]:
    if kind == "reg":
        cls, fld = name.split(":")
        n = f[fld]
        if (cls == "r" and n == 0) or (cls == "f" and n < 2) or (cls == "p" and n == 0):
            return ()
        return (f"{cls}{n}",)
    if kind == "ar":
        return (ar_name(f["ar"]),)
    if kind == "cr":
        return (cr_name(f["cr"]),)
    if name == "pr":
        return _ALL_PR
    if name == "pr.rot":
        return _ROT_PR
    return _PSR_SETS.get(name, (name,))


# --------------------------------------------------------------------------
# What the template does not say: kinds and implicit registers, by op.

_LOOP = {"br.cloop": (("ar.lc",), ("ar.lc",)),
         "br.ctop": (("ar.lc", "ar.ec", "cfm"), ("ar.lc", "ar.ec", "p63", "cfm")),
         "br.cexit": (("ar.lc", "ar.ec", "cfm"), ("ar.lc", "ar.ec", "p63", "cfm")),
         "br.wtop": (("ar.ec", "cfm"), ("ar.ec", "p63", "cfm")),
         "br.wexit": (("ar.ec", "cfm"), ("ar.ec", "p63", "cfm"))}
_CALL_IMPLICIT = (("ar.bsp", "ar.ec", "cfm"), ("ar.pfs", "ar.bsp", "cfm"))
# op -> (kind, extra reads, extra writes, memory read, memory write)
_IMPLICIT: dict[str, tuple] = {
    "nop": (NOP, (), (), False, False),
    "hint": (NOP, (), (), False, False),
    "brp": (NOP, (), (), False, False),
    "break": (BREAK, (), (), False, False),
    "alloc": (ALLOC, ("ar.pfs", "ar.bsp", "ar.bspstore", "ar.rnat", "ar.rsc", "cfm"),
              ("ar.bspstore", "ar.rnat", "cfm"), False, False),
    "br.call": (CALL, *_CALL_IMPLICIT, False, False),
    "brl.call": (CALL, *_CALL_IMPLICIT, False, False),
    "br.call.ind": (CALL_IND, *_CALL_IMPLICIT, False, False),
    "br.cond": (BRANCH, (), (), False, False),
    "brl.cond": (BRANCH, (), (), False, False),
    "br.cond.ind": (BRANCH_IND, (), (), False, False),
    "br.ia": (BRANCH_IND, ("ar.bsp", "ar.bspstore", "ar.rnat", "ar.rsc"), ("psr.is",), False,
              False),
    "br.ret": (RETURN, ("ar.pfs", "ar.bsp", "cfm"), ("ar.bsp", "ar.ec", "cfm", "psr.cpl"),
               False, False),
    "cover": (OTHER, ("ar.bsp", "cfm"), ("ar.bsp", "cfm", "cr.ifs"), False, False),
    "clrrrb": (OTHER, (), ("cfm",), False, False),
    "clrrrb.pr": (OTHER, (), ("cfm",), False, False),
    "rfi": (BRANCH_IND, ("cr.ipsr", "cr.iip", "cr.ifs", "ar.bsp", "cfm"),
            (*psr_fields((1 << 64) - 1), "cfm", "ar.bsp"), False, False),
    "epc": (OTHER, ("ar.pfs",), ("psr.cpl",), False, False),
    "bsw.0": (OTHER, (), ("psr.bn",), False, False),
    "bsw.1": (OTHER, (), ("psr.bn",), False, False),
    "vmsw.0": (OTHER, (), ("psr.vm",), False, False),
    "vmsw.1": (OTHER, (), ("psr.vm",), False, False),
    "flushrs": (OTHER, ("ar.bsp", "ar.bspstore", "ar.rnat", "ar.rsc"), ("ar.bspstore", "ar.rnat"),
                False, True),
    "loadrs": (OTHER, ("ar.bsp", "ar.rnat", "ar.rsc", "cfm"), ("ar.bspstore", "ar.rnat"),
               True, False),
    "ssm": (OTHER, (), (), False, False),  # the fields of the mask: see _effects
    "rsm": (OTHER, (), (), False, False),
    "sum": (OTHER, (), (), False, False),
    "rum": (OTHER, (), (), False, False),
    "thash": (OTHER, ("cr.pta", "rr"), (), False, False),
    "ttag": (OTHER, ("rr",), (), False, False),
    "tpa": (OTHER, ("dtlb",), (), False, False),
    "tak": (OTHER, ("dtlb",), (), False, False),
    "itc.d": (OTHER, ("cr.ifa", "cr.itir", "dtlb"), ("dtlb",), False, False),
    "itc.i": (OTHER, ("cr.ifa", "cr.itir", "itlb"), ("itlb",), False, False),
    "itr.d": (OTHER, ("cr.ifa", "cr.itir", "dtlb"), (), False, False),
    "itr.i": (OTHER, ("cr.ifa", "cr.itir", "itlb"), (), False, False),
    "ptc.l": (OTHER, (), ("dtlb", "itlb"), False, False),
    "ptc.g": (OTHER, (), ("dtlb", "itlb"), False, False),
    "ptc.ga": (OTHER, (), ("dtlb", "itlb"), False, False),
    "ptc.e": (OTHER, (), ("dtlb", "itlb"), False, False),
    "ptr.d": (OTHER, (), ("dtlb", "itlb"), False, False),  # as gas's checker sees purges
    "ptr.i": (OTHER, (), ("dtlb", "itlb"), False, False),
    "ld8.fill": (OTHER, ("ar.unat{x}",), (), True, False),
    "st8.spill": (OTHER, (), ("ar.unat{x}",), False, True),
    "mov.from.ip": (OTHER, (), (), False, False),
}
for _op, (_r, _w) in _LOOP.items():
    _IMPLICIT[_op] = (BRANCH, _r, _w, False, False)
for _n in ("chk.s.i", "chk.s.m", "chk.s", "chk.a.nc", "chk.a.clr"):
    _IMPLICIT[_n] = (CHECK, (), (), False, False)

_PURGES = frozenset(("ptc.l", "ptc.g", "ptc.ga", "ptc.e", "ptr.d", "ptr.i"))
_ATOMIC = re.compile(r"(cmpxchg|xchg|fetchadd)\d")
_FP_ARITH = re.compile(r"f(p?n?m[as]|ma|ms|nma|min|max|amin|amax|cvt\.fx|rcpa|rsqrta|cmp)")
_PARALLEL = {"and": ("and", "and"), "or": ("or", "or"), "or.andcm": ("or.andcm", "andcm.or")}


def _classify(i: Insn) -> tuple:
    """(kind, extra reads, extra writes, mem read, mem write) for ops outside _IMPLICIT."""
    op = i.op
    if _ATOMIC.match(op):
        return OTHER, (("ar.ccv",) if op.startswith("cmpxchg") else ()), (), True, True
    if op.startswith("ld") and not op.startswith("ldf"):
        return OTHER, (), (), True, False
    if op.startswith("ldf"):
        return OTHER, (), (), True, False
    if op.startswith("st"):
        return OTHER, (), (), False, True
    if _FP_ARITH.match(op):
        return OTHER, ("ar.fpsr",), (), False, False
    return OTHER, (), (), False, False


_CACHE: dict[Insn, Effects] = {}
_CACHE_MAX = 1 << 16


def effects(i: Insn) -> Effects:
    """The kind, reads, writes and target of a decoded instruction."""
    e = _CACHE.get(i)
    if e is None:
        e = _effects(i)
        if len(_CACHE) >= _CACHE_MAX:
            _CACHE.clear()
        _CACHE[i] = e
    return e


def _effects(i: Insn) -> Effects:
    from .forms import TEMPLATE

    op, f = i.op, i.fields
    if op in ("unknown", "reserved"):
        return Effects(OTHER, frozenset(), frozenset())
    entry = _IMPLICIT.get(op)
    kind, extra_r, extra_w, mem_r, mem_w = entry if entry else _classify(i)
    reads: set[str] = set(extra_r)
    writes: set[str] = set(extra_w)
    for rkind, name, written in _plan(TEMPLATE.get(i.form, "")):
        (writes if written else reads).update(_resource(rkind, name, f))
    if op == "mov.to.pr":  # writes the predicates its mask selects
        writes.difference_update(_ALL_PR)
        writes.update(p for n, p in enumerate(_ALL_PR, 1) if (f["mask"] >> n) & 1)
    if op.startswith(("ld", "st", "lfetch")) and f.get("r3") and (
            "imm" in f or ("r2" in f and not op.startswith("st"))):
        writes.add(f"r{f['r3']}")  # post-increment
    if op.startswith(("chk.a", "invala.e")):  # an ALAT lookup by register number, not a read
        reads.difference_update((f"r{f.get('r1')}", f"f{f.get('f1')}"))
    if op in ("ssm", "rsm"):  # the PSR fields of the mask
        writes.update(psr_fields(f["imm"]))
    elif op in ("sum", "rum"):
        writes.update(psr_fields(f["imm"] & 0x3F))
    # Writing f2-f31 (f32-f127) sets psr.mfl (psr.mfh): the SDM's implied writers.
    for r in tuple(writes):
        if r[0] == "f" and r[1:].isdigit() and int(r[1:]) >= 2:
            writes.add("psr.mfl" if int(r[1:]) < 32 else "psr.mfh")
    if i.qp:
        reads.add(f"p{i.qp}")
    pr_types: tuple = ()
    unconditional = int_pr = False
    ctype = f.get("ctype")
    if ctype is not None or op.startswith(("fcmp", "frcpa", "frsqrta")):
        int_pr = not op.startswith("f")
        unconditional = ctype == "unc" or f.get("unc") == 1
        types = _PARALLEL.get(ctype or "", ("norm", "norm"))
        pr_types = tuple((f"p{f[k]}", t) for k, t in zip(("p1", "p2"), types)
                         if f.get(k))
    elif op in ("mov.to.pr", "mov.to.pr.rot"):
        int_pr = True
    check_load = ".c." in op and op.startswith("ld")
    target = f.get("target") if kind in TRANSFERS else None
    return Effects(kind, frozenset(reads), frozenset(writes), target, mem_r, mem_w,
                   unconditional, pr_types, int_pr, check_load)


# --------------------------------------------------------------------------
# Instruction groups


@dataclass(frozen=True)
class Violation:
    first: int   # index (in the list given) of the earlier instruction
    second: int  # index of the later one
    register: str
    what: str    # "RAW" or "WAW"


def _raw_allowed(a: Insn, ea: Effects, b: Insn, eb: Effects, reg: str) -> bool:
    if reg[0] == "p" and reg == f"p{b.qp}" and eb.kind in TRANSFERS and ea.int_pr_writer:
        return True
    if reg[0] == "b" and a.op == "mov.to.br" and eb.kind in INDIRECT:
        return True
    if reg == "ar.pfs" and a.op == "mov.to.ar" and eb.kind == RETURN:
        return True
    if reg == "cfm" and a.op == "alloc":
        return True
    if b.op.startswith("lfetch") and reg == f"r{b.fields.get('r3')}":
        return True  # lfetch only hints at an address: GNU as's checker exempts it too
    return ea.check_load and reg in (f"r{a.fields.get('r1')}", f"f{a.fields.get('f1')}")


def writes_fr(writes) -> bool:
    """Whether a set of written resources holds a floating-point register."""
    return any(r[0] == "f" and r[1:].isdigit() for r in writes)


def _waw_allowed(a: Insn, ea: Effects, b: Insn, eb: Effects, reg: str) -> bool:
    if reg in ("psr.mfl", "psr.mfh") and writes_fr(ea.writes) and writes_fr(eb.writes):
        return True  # two floating-point register writers in one group
    if reg[0] == "p" and reg[1:].isdigit():
        ta, tb = dict(ea.pr_types).get(reg), dict(eb.pr_types).get(reg)
        return ta == tb and ta in ("and", "or", "or.andcm", "andcm.or")
    return reg in ("dtlb", "itlb") and a.op in _PURGES and b.op in _PURGES


_FALL_THROUGH_WRITERS = frozenset(("br.ctop", "br.cexit", "br.wtop", "br.wexit"))


def group_violations(insns: list[Insn]) -> list[Violation]:
    """RAW and WAW dependencies between the instructions of one instruction group,
    in program order, that the architecture forbids.  Pass the instructions that
    execute (for a static check: all of them); see ``Effects.unconditional``."""
    effs = [effects(i) for i in insns]
    out = []
    for j, (b, eb) in enumerate(zip(insns, effs)):
        for k in range(j):
            a, ea = insns[k], effs[k]
            if ea.kind in TRANSFERS and a.op not in _FALL_THROUGH_WRITERS:
                continue  # a branch writes only when taken, and a taken branch ends the group
            for reg in ea.writes & eb.reads:
                if "{" not in reg and not _raw_allowed(a, ea, b, eb, reg):
                    out.append(Violation(k, j, reg, "RAW"))
            for reg in ea.writes & eb.writes:
                if "{" not in reg and not _waw_allowed(a, ea, b, eb, reg):
                    out.append(Violation(k, j, reg, "WAW"))
    return out
