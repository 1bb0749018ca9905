"""objdump spelling of decoded instructions."""

from __future__ import annotations

from .model import Insn, ar_name, cr_name
from .units_b import B1_BTYPE, B8
from .units_m import IND, M_SYS_X4_X2


def _clr(f) -> str:
    return ".clr" if f["d"] else ""


def _br_cond_name(i: Insn) -> str:
    """objdump prints an unpredicated br.cond.sptk as the pseudo-op "br"."""
    f = i.fields
    name = "br" if f["wh"] == "sptk" and not i.qp else f"br.cond.{f['wh']}"
    return f"{name}.{f['p']}{_clr(f)}"


def _hint_text(i: Insn) -> str:
    imm = i.fields["imm"]
    u = "x" if i.unit == "L" else i.unit.lower()
    return f"hint.{u} {imm}" if u == "m" else f"hint.{u} {imm:#x}"  # objdump's quirk


def _mov_to_br_text(i: Insn) -> str:
    f = i.fields
    name = "mov" + (".ret" if f["ret"] else "") + {0: ".sptk", 1: "", 2: ".dptk"}[f["wh"]]
    name += ".imp" if f["imp"] else ""
    text = f"{name} b{f['b1']}=r{f['r2']}"
    # objdump shows the tag only for the hinted forms
    return text if name == "mov" else f"{text},{f['target']:#x}"


def _dep_z_text(i: Insn) -> str:
    f = i.fields
    if "imm" in f:
        return f"dep.z r{f['r1']}={f['imm']},{f['pos']},{f['len']}"
    if f["pos"] + f["len"] == 64:
        return f"shl r{f['r1']}=r{f['r2']},{f['pos']}"
    return f"dep.z r{f['r1']}=r{f['r2']},{f['pos']},{f['len']}"


def _cmp_text(i: Insn) -> str:
    f = i.fields
    name = ("cmp4." if f["size"] == 4 else "cmp.") + f["rel"] + (".unc" if f["unc"] else "")
    src = f"r{f['r2']}" if "r2" in f else f"{f['imm']}"
    return f"{name} p{f['p1']},p{f['p2']}={src},r{f['r3']}"


def _mov_ar_text(i: Insn) -> str:
    f = i.fields
    u = i.unit.lower()
    if i.op == "mov.from.ar":
        return f"mov.{u} r{f['r1']}={ar_name(f['ar'])}"
    src = f"r{f['r2']}" if "r2" in f else f"{f['imm']}"
    return f"mov.{u} {ar_name(f['ar'])}={src}"


_LDST_HINT = {0: "", 1: ".nt1", 3: ".nta"}


def _simple(fmt: str):
    return lambda i: fmt.format(**i.fields)


_TEXT = {
    "nop": lambda i: f"nop.{'x' if i.unit == 'L' else i.unit.lower()} {i.fields['imm']:#x}",
    "break": lambda i: f"break.{'x' if i.unit == 'L' else i.unit.lower()} {i.fields['imm']:#x}",
    "hint": _hint_text,
    "alloc": _simple("alloc r{r1}=ar.pfs,{sof},{sol},{sor}"),
    "br.call": lambda i: (f"br.call.{i.fields['wh']}.{i.fields['p']}{_clr(i.fields)} "
                          f"b{i.fields['b1']}={i.fields['target']:#x}"),
    "br.call.ind": lambda i: (f"br.call.{i.fields['wh']}.{i.fields['p']}{_clr(i.fields)} "
                              f"b{i.fields['b1']}=b{i.fields['b2']}"),
    "br.cond.ind": lambda i: f"{_br_cond_name(i)} b{i.fields['b2']}",
    "br.ia": lambda i: f"br.ia.{i.fields['wh']}.{i.fields['p']}{_clr(i.fields)} b{i.fields['b2']}",
    "br.ret": lambda i: f"br.ret.{i.fields['wh']}.{i.fields['p']}{_clr(i.fields)} "
                        f"b{i.fields['b2']}",
    "brl.call": lambda i: (f"brl.call.{i.fields['wh']}.{i.fields['p']}{_clr(i.fields)} "
                           f"b{i.fields['b1']}={i.fields['target']:#x}"),
    "brl.cond": lambda i: (f"brl.cond.{i.fields['wh']}.{i.fields['p']}{_clr(i.fields)} "
                           f"{i.fields['target']:#x}"),
    "movl": lambda i: f"movl r{i.fields['r1']}={i.fields['imm']:#x}",
    "mov.from.cpuid": _simple("mov r{r1}=cpuid[r{r3}]"),
    "fc": _simple("fc r{r3}"),
    "fc.i": _simple("fc.i r{r3}"),
    "ptc.e": _simple("ptc.e r{r3}"),
    "itr.d": _simple("itr.d dtr[r{r3}]=r{r2}"),
    "itr.i": _simple("itr.i itr[r{r3}]=r{r2}"),
    "itc.d": _simple("itc.d r{r2}"),
    "itc.i": _simple("itc.i r{r2}"),
    "mov.from.psr": _simple("mov r{r1}=psr"),
    "mov.from.psr.um": _simple("mov r{r1}=psr.um"),
    "mov.to.psr.l": _simple("mov psr.l=r{r2}"),
    "mov.to.psr.um": _simple("mov psr.um=r{r2}"),
    "mov.from.ar": _mov_ar_text,
    "mov.to.ar": _mov_ar_text,
    "mov.from.cr": lambda i: f"mov r{i.fields['r1']}={cr_name(i.fields['cr'])}",
    "mov.to.cr": lambda i: f"mov {cr_name(i.fields['cr'])}=r{i.fields['r2']}",
    "mov.from.br": _simple("mov r{r1}=b{b2}"),
    "mov.to.br": _mov_to_br_text,
    "mov.from.ip": _simple("mov r{r1}=ip"),
    "mov.from.pr": _simple("mov r{r1}=pr"),
    "mov.to.pr": lambda i: f"mov pr=r{i.fields['r2']},{i.fields['mask']:#x}",
    "cmp": _cmp_text,
    "dep.z": _dep_z_text,
    "adds": lambda i: (f"mov r{i.fields['r1']}=r{i.fields['r3']}" if i.fields["imm"] == 0
                       else _simple("adds r{r1}={imm},r{r3}")(i)),
    "addl": lambda i: (f"mov r{i.fields['r1']}={i.fields['imm']}" if i.fields["r3"] == 0
                       else _simple("addl r{r1}={imm},r{r3}")(i)),
}
for _n in ("sum", "rum", "ssm", "rsm"):
    _TEXT[_n] = lambda i, _n=_n: f"{_n} {i.fields['imm']:#x}"
for _n in ("thash", "ttag", "tpa", "tak"):
    _TEXT[_n] = _simple(_n + " r{r1}=r{r3}")
for _n in ("ptc.l", "ptc.g", "ptc.ga", "ptr.d", "ptr.i"):
    _TEXT[_n] = _simple(_n + " r{r3},r{r2}")
for _n in ("probe.r", "probe.w"):
    _TEXT[_n] = (lambda i, _n=_n: f"{_n} r{i.fields['r1']}=r{i.fields['r3']},"
                 + (f"r{i.fields['r2']}" if "r2" in i.fields else f"{i.fields['imm2']}"))
for _n in ("probe.rw.fault", "probe.r.fault", "probe.w.fault"):
    _TEXT[_n] = _simple(_n + " r{r3},{imm2}")
for _n in IND:
    _TEXT["mov.from." + _n] = _simple("mov r{r1}=" + _n + "[r{r3}]")
    _TEXT["mov.to." + _n] = _simple("mov " + _n + "[r{r3}]=r{r2}")
for _n in ("add", "sub", "and", "andcm", "or", "xor"):
    _TEXT[_n] = (lambda i, _n=_n: f"{_n} r{i.fields['r1']}=r{i.fields['r2']},r{i.fields['r3']}"
                 + (",1" if i.fields["carry"] else ""))
for _w in (1, 2, 4, 8):
    _TEXT[f"ld{_w}"] = (lambda i, _w=_w: f"ld{_w}{_LDST_HINT[i.fields['hint']]} "
                        f"r{i.fields['r1']}=[r{i.fields['r3']}]")
    _TEXT[f"st{_w}"] = (lambda i, _w=_w: f"st{_w}{_LDST_HINT[i.fields['hint']]} "
                        f"[r{i.fields['r3']}]=r{i.fields['r2']}")
_TEXT["br.cond"] = lambda i: f"{_br_cond_name(i)} {i.fields['target']:#x}"
for _n in list(B1_BTYPE.values())[1:]:
    _TEXT[_n] = (lambda i, _n=_n: f"{_n}.{i.fields['wh']}.{i.fields['p']}{_clr(i.fields)} "
                 f"{i.fields['target']:#x}")
for _n in (*M_SYS_X4_X2.values(), *B8.values()):
    _TEXT[_n] = lambda i: i.op


# --------------------------------------------------------------------------


def insn_text(i: Insn) -> str:
    """objdump-like text (predicate written "(p6)", branch targets as 0x...)."""
    fmt = _TEXT.get(i.op)
    body = fmt(i) if fmt else None
    if body is None:
        u = i.unit.lower()
        body = f"unknown.{u} {i.raw:#x}" if i.op == "unknown" else f"{i.op}"
        if i.op == "reserved":
            body = f"reserved {i.raw:#x}"
    return f"(p{i.qp}) {body}" if i.qp else body
