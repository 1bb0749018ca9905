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

import re
from dataclasses import dataclass

from . import catalog, ia64
from .ia64 import forms
from .objects import ElfObject, Function

_FRAME_OPS = {
    "alloc": "allocates a register frame",
    "br.call": "calls", "br.call.ind": "calls", "brl.call": "calls",
    "br.ret": "returns with br.ret (it restores CFM from ar.pfs)",
    "br.ia": "switches instruction set",
    "flushrs": "flushes the register stack", "loadrs": "reloads the register stack",
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


_REG = re.compile(r"([rfpb])\{(\w+)\}|\{(ar)\}")


def operands(ins: ia64.Insn) -> tuple[list[str], list[str]]:
    """(written, read) registers of ``ins`` as "r8", "f6", "p6", "b6", "ar.ccv".

    Read from the operand template of the instruction's form (objdump's
    order, ``dest=sources``): registers left of ``=`` are written, except an
    address in brackets, which is read (and written back when a
    post-increment follows the brackets); ``mov pr=`` writes the predicates
    of its mask.
    System state (psr, cr, rr, TLB, cache) and memory are not listed: they
    are what an implementation is for.
    """
    f = ins.fields
    template = forms.TEMPLATE.get(ins.form, "")
    dst, eq, src = template.partition("=")
    if not eq:
        dst, src = "", template

    def regs(text: str) -> list[str]:
        out = []
        for m in _REG.finditer(text):
            if m.group(3):
                out.append(ia64.ar_name(f["ar"]))
            else:
                out.append(f"{m.group(1)}{f[m.group(2)]}")
        return out

    written, read = [], regs(src)
    for part in re.split(r"(\[[^\]]*\])", dst):
        (read if part.startswith("[") else written).extend(regs(part))
    if "]," in template or (template.startswith("[") and "," in src):
        # a post-increment writes the base register back (conservatively also
        # assumed of the atomics, "r=[r],r": never a missed write)
        written += regs(template[template.index("["):template.index("]")])
    if ins.op == "mov.to.pr":
        written += [f"p{k}" for k in range(1, 64) if f["mask"] >> k & 1]
    return written, read


def writes(ins: ia64.Insn) -> list[str]:
    return operands(ins)[0]


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
    found = catalog.REGISTERS.get(reg)
    if found is not None and found.kind == "gr":    # gp, sp, tp: r1, r12, r13
        return f"r{found.hw}"
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
        written, read = operands(ins)
        for reg in read:
            if reg[0] == "r" and reg[1:].isdigit() and int(reg[1:]) >= 32:
                bad(addr, f"reads stacked register {reg} ('{ins.text()}'), which belongs "
                          f"to the caller's frame")
        for reg in written:
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
