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
- every instruction decodes (an instruction pvcc's decoder does not know
  cannot be proven and is rejected).

The light entry points ``pvcc-thunks`` generates for C functions switch to a
frame of their own on purpose; they are proven by the model, not here.
"""

from __future__ import annotations

from dataclasses import dataclass

from . import catalog, ia64
from .objects import ElfObject, Function

_FRAME_OPS = {
    "alloc": "allocates a register frame",
    "br.call": "calls", "br.call.ind": "calls", "brl.call": "calls",
    "br.ret": "returns with br.ret (it restores CFM from ar.pfs)",
    "br.ia": "switches instruction set",
    "flushrs": "flushes the register stack", "loadrs": "reloads the register stack",
}
_SOURCE_FIELDS = ("r2", "r3")


@dataclass(frozen=True)
class CalleeViolation:
    file: str
    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}: {self.where}: error: {self.message}"


def implementations(obj: ElfObject) -> list[Function]:
    return [f for f in obj.functions if f.name.startswith(catalog.LIGHT_PREFIX)]


def writes(ins: ia64.Insn) -> list[str]:
    """The registers ``ins`` writes that the light convention restricts, as "r8", "b6"...

    System state (psr, cr, rr, TLB, cache) and memory are not listed: they are
    what an implementation is for.
    """
    f, op = ins.fields, ins.op
    out = []
    if "r1" in f and op != "alloc":
        out.append(f"r{f['r1']}")
    if op == "mov.to.br":
        out.append(f"b{f['b1']}")
    if op == "cmp":
        out += [f"p{f['p1']}", f"p{f['p2']}"]
    if op == "mov.to.pr":
        out += [f"p{k}" for k in range(1, 64) if f["mask"] >> k & 1]
    if op == "mov.to.ar":
        out.append(ia64.ar_name(f["ar"]))
    return out


def _allowed(reg: str) -> bool:
    kind, num = reg[0], reg[1:]
    if reg == "ar.ccv":
        return True
    if not num.isdigit():
        return False
    n = int(num)
    return ((kind == "r" and n in catalog.LIGHT_CLOBBER_GRS)
            or (kind == "b" and n in catalog.LIGHT_CLOBBER_BRS)
            or (kind == "p" and (n == 0 or n in catalog.LIGHT_CLOBBER_PRS)))


def intended(name: str) -> str | None:
    """The register an implementation of setreg writes on purpose, from its name
    (``__pvcc_light_paravirt_setreg_<reg>``): "r1", "ar.k0", ...; None otherwise."""
    prefix = catalog.LIGHT_PREFIX + "paravirt_setreg_"
    if not name.startswith(prefix) or not name[len(prefix):].isdigit():
        return None
    reg = int(name[len(prefix):])
    static = {catalog.REG_GP: "r1", catalog.REG_SP: "r12", catalog.REG_TP: "r13"}
    if reg in static:
        return static[reg]
    if 0 <= reg - catalog.AR_BASE < 128:
        return ia64.ar_name(reg - catalog.AR_BASE)
    return None


def check_function(obj: ElfObject, f: Function) -> list[CalleeViolation]:
    out: list[CalleeViolation] = []
    purpose = intended(f.name)

    def bad(addr: int, msg: str) -> None:
        out.append(CalleeViolation(obj.path, obj.where(addr), f"{f.name}: {msg}"))

    sec = obj.code_section_at(f.addr)
    if sec is None or f.addr % 16 or f.end <= f.addr:
        bad(f.addr, "is not a run of whole bundles in a code section")
        return out
    end = min((f.end + 15) & ~15, sec.end)
    insns: list[tuple[int, ia64.Insn]] = []
    for b in ia64.iter_bundles(obj.read(f.addr, end - f.addr), f.addr):
        if b.units is None:
            bad(b.addr, "a bundle has a reserved template")
            return out
        insns += [(b.addr, i) for i in b.insns]

    link = catalog.LIGHT_LINK
    offset = {link: 0}          # general register -> its value minus the link
    b6_set = branched = returns = False
    for addr, ins in insns:
        op = ins.op
        if op in ("unknown", "reserved"):
            bad(addr, f"slot {ins.slot}: an instruction pvcc cannot decode "
                      f"({ins.raw:#013x}): not provable")
            continue
        if op == "nop":
            continue
        if op in _FRAME_OPS:
            bad(addr, f"{_FRAME_OPS[op]} ('{ins.text()}'): the light convention keeps "
                      f"the caller's frame")
            continue
        for field in _SOURCE_FIELDS:
            r = ins.fields.get(field)
            if isinstance(r, int) and r >= 32:
                bad(addr, f"reads stacked register r{r} ('{ins.text()}'), which belongs "
                          f"to the caller's frame")
        for reg in writes(ins):
            if not _allowed(reg) and reg != purpose:
                what = "stacked register" if reg[0] == "r" and int(reg[1:]) >= 32 else \
                    "register outside the light clobber set"
                bad(addr, f"writes {what} {reg} ('{ins.text()}')")
        # the link: b6 = r2 + 16, set once before the first branch
        r1 = ins.fields.get("r1")
        if isinstance(r1, int) and op != "alloc":
            src = ins.fields.get("r3")
            if op == "adds" and not ins.qp and src in offset:
                offset[r1] = offset[src] + ins.fields["imm"]
            else:
                offset.pop(r1, None)
        if op == "mov.to.br" and ins.fields["b1"] == 6:
            if b6_set or branched or ins.qp or offset.get(ins.fields["r2"]) != 16:
                bad(addr, f"b6 is not set once, unpredicated, before any branch, from the "
                          f"link r{link} + 16 ('{ins.text()}')")
            b6_set = True
        if op.startswith(("br.", "brl.")):
            branched = True
            if op == "br.cond.ind":
                if ins.fields.get("b2") != 6:
                    bad(addr, f"returns through b{ins.fields.get('b2')}, not b6")
                elif not b6_set:
                    bad(addr, "returns through b6 before setting it from the link")
                else:
                    returns = True
            elif "target" in ins.fields:
                t = ins.fields["target"]
                if obj.code_reloc(addr + ins.slot) is not None or not f.addr <= t < end:
                    bad(addr, f"branches out of the implementation ('{ins.text()}')")
            else:
                bad(addr, f"branch '{ins.text()}' cannot be followed")
    if not returns:
        bad(f.addr, "never returns through b6")
    last = next(((a, i) for a, i in reversed(insns) if i.op != "nop"), None)
    if last is not None and (last[1].qp or not last[1].op.startswith(("br.", "brl."))):
        bad(last[0], "does not end with an unpredicated branch: execution would run into "
                     "what follows")
    return out


def check(obj: ElfObject) -> tuple[list[Function], list[CalleeViolation]]:
    funcs = implementations(obj)
    violations: list[CalleeViolation] = []
    for f in funcs:
        violations += check_function(obj, f)
    return funcs, violations
