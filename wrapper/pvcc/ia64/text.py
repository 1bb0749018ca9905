"""objdump spelling of decoded instructions.

Most forms print as ``op`` + completers taken from the fields (load hints, branch
hints, the FP status field) + the form's operand template filled in; the table
below handles objdump's pseudo-ops (``mov``, ``shl``, ``shr``, ``br``, ``fnorm``,
``xmpy``, ...) and its choices of hexadecimal or decimal.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .forms import TEMPLATE
from .regnames import ar_name, cr_name
from .units_i import MUX1_TYPES

if TYPE_CHECKING:
    from .model import Insn

_HINT = {0: "", 1: ".nt1", 2: ".nt2", 3: ".nta"}  # loads, stores, lfetch, semaphores


def _operands(i: Insn, **override) -> str:
    tmpl = TEMPLATE.get(i.form, "")
    if not tmpl:
        return ""
    f = dict(i.fields)
    if "target" in f:
        f["target"] = f"{f['target']:#x}"
    if "ar" in f:
        f["ar"] = ar_name(f["ar"])
    if "cr" in f:
        f["cr"] = cr_name(f["cr"])
    f.update(override)
    return " " + tmpl.format(**f)


def _completers(f: dict) -> str:
    out = ""
    if "hint" in f:
        out += _HINT[f["hint"]]
    if "wh" in f:
        out += f".{f['wh']}.{f['p']}" + (".clr" if f["d"] else "")
    if "sf" in f:
        out += f".s{f['sf']}"
    return out


def _generic(i: Insn) -> str:
    return i.op.removesuffix(".ind") + _completers(i.fields) + _operands(i)


def _unit(i: Insn) -> str:
    return "x" if i.unit == "L" else i.unit.lower()


def _hint_text(i: Insn) -> str:
    imm = i.fields["imm"]
    u = _unit(i)
    return f"hint.{u} {imm}" if u == "m" else f"hint.{u} {imm:#x}"  # objdump's quirk


def _br_cond_text(i: Insn) -> str:
    """objdump prints an unpredicated br.cond.sptk as the pseudo-op "br"."""
    f = i.fields
    if f["wh"] == "sptk" and not i.qp:
        return f"br.{f['p']}" + (".clr" if f["d"] else "") + _operands(i)
    return _generic(i)


def _mov_to_br_text(i: Insn) -> str:
    f = i.fields
    name = "mov" + (".ret" if f["ret"] else "") + {0: ".sptk", 1: "", 2: ".dptk"}[f["wh"]]
    name += ".imp" if f["imp"] else ""
    text = f"{name} b{f['b1']}=r{f['r2']}"
    # objdump shows the tag only for the hinted forms
    return text if name == "mov" else f"{text},{f['target']:#x}"


def _mov_text(i: Insn) -> str:
    """The mov.to.* / mov.from.* forms print as ``mov`` (``mov.m``/``mov.i`` for ar)."""
    name = f"mov.{i.unit.lower()}" if i.op.endswith(".ar") else "mov"
    return name + _operands(i)


def _shift_text(i: Insn) -> str:
    """dep.z r,r and extr(.u) print as shl / shr(.u) when the field reaches bit 63."""
    f = i.fields
    if "r2" in f and i.op == "dep.z" and f["pos"] + f["len"] == 64:
        return f"shl r{f['r1']}=r{f['r2']},{f['pos']}"
    if i.op.startswith("extr") and f["pos"] + f["len"] == 64:
        return f"{'shr' if i.op == 'extr' else 'shr.u'} r{f['r1']}=r{f['r3']},{f['pos']}"
    return _generic(i)


def _fma_text(i: Insn) -> str:
    """F1 pseudo-ops: fnorm (f4 = f1, f2 = f0), fmpy/fnmpy/fpmpy (f2 = f0), fadd/fsub (f4 = f1)."""
    f = i.fields
    base, _, prec = i.op.partition(".")
    prec = "." + prec if prec else ""
    sf = f".s{f['sf']}"
    if base == "fma" and f["f4"] == 1 and f["f2"] == 0:
        return f"fnorm{prec}{sf} f{f['f1']}=f{f['f3']}"
    if base in ("fma", "fnma", "fpma") and f["f2"] == 0:
        name = {"fma": "fmpy", "fnma": "fnmpy", "fpma": "fpmpy"}[base]
        return f"{name}{prec}{sf} f{f['f1']}=f{f['f3']},f{f['f4']}"
    if base in ("fma", "fms") and f["f4"] == 1:
        name = "fadd" if base == "fma" else "fsub"
        return f"{name}{prec}{sf} f{f['f1']}=f{f['f3']},f{f['f2']}"
    return _generic(i)


def _fmerge_text(i: Insn) -> str:
    f = i.fields
    if i.op == "fmerge.s" and f["f2"] == f["f3"]:
        return f"mov f{f['f1']}=f{f['f3']}"
    if i.op == "fmerge.s" and f["f2"] == 0:
        return f"fabs f{f['f1']}=f{f['f3']}"
    if i.op == "fmerge.ns" and f["f2"] == f["f3"]:
        return f"fneg f{f['f1']}=f{f['f3']}"
    if i.op == "fmerge.ns" and f["f2"] == 0:
        return f"fnegabs f{f['f1']}=f{f['f3']}"
    return _generic(i)


def _xma_text(i: Insn) -> str:
    f = i.fields
    if f["f2"] == 0:
        return f"xmpy.{i.op[4:]} f{f['f1']}=f{f['f3']},f{f['f4']}"
    return _generic(i)


_TEXT = {
    "nop": lambda i: f"nop.{_unit(i)} {i.fields['imm']:#x}",
    "break": lambda i: f"break.{_unit(i)} {i.fields['imm']:#x}",
    "hint": _hint_text,
    "br.cond": _br_cond_text,
    "br.cond.ind": _br_cond_text,
    "movl": lambda i: f"movl r{i.fields['r1']}={i.fields['imm']:#x}",
    "mov.to.br": _mov_to_br_text,
    "mov.to.pr": lambda i: f"mov pr=r{i.fields['r2']},{i.fields['mask']:#x}",
    "mov.to.pr.rot": lambda i: f"mov pr.rot={i.fields['imm']:#x}",
    "dep.z": _shift_text,
    "extr": _shift_text,
    "extr.u": _shift_text,
    "adds": lambda i: (f"mov r{i.fields['r1']}=r{i.fields['r3']}" if i.fields["imm"] == 0
                       else _generic(i)),
    "addl": lambda i: (f"mov r{i.fields['r1']}={i.fields['imm']}" if i.fields["r3"] == 0
                       else _generic(i)),
    "mux1": lambda i: _generic(i).rsplit(",", 1)[0] + "," + MUX1_TYPES[i.fields["mbtype"]],
    "mux2": lambda i: _generic(i).rsplit(",", 1)[0] + f",{i.fields['mhtype']:#x}",
    "fmerge.s": _fmerge_text,
    "fmerge.ns": _fmerge_text,
    "xma.l": _xma_text,
    "xma.h": _xma_text,
    "xma.hu": _xma_text,
}
for _n in ("sum", "rum", "ssm", "rsm"):
    _TEXT[_n] = lambda i, _n=_n: f"{_n} {i.fields['imm']:#x}"
for _n in ("fma", "fma.s", "fma.d", "fpma", "fms", "fms.s", "fms.d", "fpms",
           "fnma", "fnma.s", "fnma.d", "fpnma"):
    _TEXT[_n] = _fma_text


def insn_text(i: Insn) -> str:
    """objdump-like text (predicate written "(p6)", branch targets as 0x...)."""
    if i.op == "unknown":
        body = f"unknown.{i.unit.lower()} {i.raw:#x}"
    elif i.op == "reserved":
        body = f"reserved {i.raw:#x}"
    elif i.op.startswith(("mov.to.", "mov.from.")) and i.op not in _TEXT:
        body = _mov_text(i)
    else:
        body = _TEXT.get(i.op, _generic)(i)
    return f"(p{i.qp}) {body}" if i.qp else body
