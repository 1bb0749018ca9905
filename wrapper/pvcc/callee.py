"""pvcc-check --callee: prove that assembly implementations follow the light convention.

Every function named ``__pvcc_light_*`` in an object is an implementation a
light site branches to (docs/light.md).  It runs inside its caller's register
frame, so the checker proves, from the decoded bundles alone:

- it only writes registers of the light clobber set: r2, r3, r8-r11, r14-r17,
  b6, b7, p6-p15, ar.ccv (system registers, memory and p0 are its business);
  never a stacked register, gp, sp or any other preserved register — except
  the register an implementation of setreg is named for
  (``__pvcc_light_paravirt_setreg_<reg>``), which it writes on purpose;
- it neither reads nor writes a stacked register (r32-r127 belong to the
  caller's frame, whose shape it cannot know);
- it changes no frame: no alloc, call, br.ret, br.ia, flushrs or loadrs;
- it returns through b6, and b6 is the link plus 16: before its first branch
  it sets b6, once and unpredicated, from ``adds rX = 16, r2`` with r2 still
  the link; after that nothing writes b6; every indirect branch is
  ``br.cond b6``, every IP-relative branch stays inside the function, and the
  function ends with an unpredicated branch;
- it returns with data serialized: an unpredicated ``srlz.d`` stands in the
  instruction group of every ``br.cond b6``, before it (a site may carry the
  srlz.d Linux wrote after it, docs/light.md "Serialization");
- every instruction decodes (an instruction pvcc's decoder does not know
  cannot be proven and is rejected).

What an instruction reads and writes comes from the decoder's semantic layer
(``pvcc.ia64.semantics``): a write of CFM (alloc, cover, br.call, br.ret) is
a frame change, the RSE registers (flushrs, loadrs), ar.unat (st8.spill),
f registers and whole predicate files are outside the clobber set.

The light entry points ``pvcc-thunks`` generates for C functions switch to a
frame of their own on purpose; they are proven by the model, not here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from . import catalog, ia64
from .decoded import DecodedObject
from .ia64 import semantics
from .objects import ElfObject, Function

_SYSTEM = re.compile(r"^(psr\.\w+|cr\.\w+|cr\d+|rr|[di]tlb|pkr|dbr|ibr|pmc|pmd|msr|cpuid)$")
_CLOBBER = frozenset([f"r{r}" for r in catalog.LIGHT_CLOBBER_GRS]
                     + [f"b{b}" for b in catalog.LIGHT_CLOBBER_BRS]
                     + [f"p{p}" for p in catalog.LIGHT_CLOBBER_PRS]
                     + [ia64.ar_name(a) for a in catalog.LIGHT_CLOBBER_ARS])
_FRAME_KINDS = {
    semantics.ALLOC: "allocates a register frame",
    semantics.CALL: "calls", semantics.CALL_IND: "calls",
    semantics.RETURN: "returns with br.ret (it restores CFM from ar.pfs)",
}


@dataclass(frozen=True)
class CalleeViolation:
    file: str
    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}: {self.where}: error: {self.message}"


def implementations(obj: ElfObject) -> list[Function]:
    return [f for f in obj.functions if f.name.startswith(catalog.LIGHT_PREFIX)]


def _stacked(reg: str) -> bool:
    return reg[0] == "r" and reg[1:].isdigit() and int(reg[1:]) >= 32


def intended(name: str) -> str | None:
    """The register an implementation of setreg writes on purpose, from its name
    (``__pvcc_light_paravirt_setreg_<reg>``): "ar.k0", "ar.itc", ...; None otherwise."""
    prefix = catalog.LIGHT_PREFIX + "paravirt_setreg_"
    if not name.startswith(prefix) or not name[len(prefix):].isdigit():
        return None
    reg = int(name[len(prefix):])
    if 0 <= reg - catalog.AR_BASE < 128:
        return ia64.ar_name(reg - catalog.AR_BASE)
    return None


def check_function(model: DecodedObject, f: Function) -> list[CalleeViolation]:
    obj = model.obj
    out: list[CalleeViolation] = []
    purpose = intended(f.name)

    def bad(addr: int, msg: str) -> None:
        out.append(CalleeViolation(obj.path, obj.where(addr), f"{f.name}: {msg}"))

    sec = obj.code_section_at(f.addr)
    if sec is None or f.addr % 16 or f.end <= f.addr:
        bad(f.addr, "is not a run of whole bundles in a code section")
        return out
    code = model.function(f)
    if code.bad:
        bad(code.bad[0], "a bundle has a reserved template")
        return out
    end = code.end
    insns = code.insns

    link = catalog.LIGHT_LINK
    offset = {link: 0}          # general register -> its value minus the link
    b6_set = branched = returns = False
    stops = {b.addr: b.stops for b in code.bundles}
    serialized = stop = False   # an unpredicated srlz.d earlier in this instruction group
    for (addr, ins), e in zip(insns, code.effects):
        if stop:                # the previous instruction ended a group
            serialized = False
        stop = ins.slot in stops.get(addr, ())
        if ins.op == "srlz.d" and not ins.qp:
            serialized = True
        if ins.op in ("unknown", "reserved"):
            bad(addr, f"slot {ins.slot}: an instruction pvcc cannot decode "
                      f"({ins.raw:#013x}): not provable")
            continue
        if e.kind == semantics.NOP:
            continue
        if e.kind in _FRAME_KINDS or "cfm" in e.writes or ins.op == "br.ia":
            what = _FRAME_KINDS.get(e.kind, "changes the register frame or instruction set")
            bad(addr, f"{what} ('{ins.text()}'): the light convention keeps the caller's "
                      f"frame")
            continue
        for reg in sorted(e.reads):
            if _stacked(reg):
                bad(addr, f"reads stacked register {reg} ('{ins.text()}'), which belongs "
                          f"to the caller's frame")
        for reg in sorted(e.writes):
            if reg in _CLOBBER or reg == purpose or _SYSTEM.match(reg):
                continue
            what = "stacked register" if _stacked(reg) else \
                "register outside the light clobber set"
            bad(addr, f"writes {what} {reg} ('{ins.text()}')")
        # the link: b6 = r2 + 16, set once, before the first branch
        for reg in e.grs_written:
            src = ins.fields.get("r3")
            if ins.op == "adds" and not ins.qp and src in offset:
                offset[reg] = offset[src] + ins.fields["imm"]
            else:
                offset.pop(reg, None)
        if "b6" in e.writes:
            if (ins.op != "mov.to.br" or b6_set or branched or ins.qp
                    or offset.get(ins.fields.get("r2")) != 16):
                bad(addr, f"b6 is not set once, unpredicated, before any branch, from the "
                          f"link r{link} + 16 ('{ins.text()}')")
            b6_set = True
        if e.kind in semantics.TRANSFERS:
            branched = True
            if e.kind == semantics.BRANCH_IND:
                if ins.op != "br.cond.ind" or "b6" not in e.reads:
                    bad(addr, f"leaves through '{ins.text()}', not br.cond b6")
                elif not b6_set:
                    bad(addr, "returns through b6 before setting it from the link")
                else:
                    returns = True
                if not serialized:
                    bad(addr, f"returns ('{ins.text()}') without an unpredicated srlz.d "
                              f"in its instruction group: a light implementation returns "
                              f"with data serialized")
            elif e.target is None or obj.code_reloc(addr + ins.slot) is not None \
                    or not f.addr <= e.target < end:
                bad(addr, f"branches out of the implementation ('{ins.text()}')")
    if not returns:
        bad(f.addr, "never returns through b6")
    last = next(((a, i) for a, i in reversed(insns) if i.op != "nop"), None)
    if last is not None and (last[1].qp or
                             semantics.effects(last[1]).kind not in semantics.TRANSFERS):
        bad(last[0], "does not end with an unpredicated branch: execution would run into "
                     "what follows")
    return out


def check(model: DecodedObject) -> tuple[list[Function], list[CalleeViolation]]:
    """The light implementations of a decoded object, and their violations."""
    funcs = implementations(model.obj)
    violations: list[CalleeViolation] = []
    for f in funcs:
        violations += check_function(model, f)
    return funcs, violations
