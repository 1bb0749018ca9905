"""Native (bare-metal) code for every paravirt type, as IA-64 bundles.

``native_bundles`` returns what the native patcher writes over a site's
region (see docs/records.md).  The code itself is the catalog's
(``pvcc.catalog``: per intrinsic, and per register for getreg/setreg, its
bundles in the decoder's vocabulary); this module binds its operands to the
site's registers and encodes it with ``pvcc.ia64``'s encoders.

The caller guarantees a stop before the region; the catalog's last bundle of
every type and each padding bundle end with a stop, so the region is
self-contained whatever surrounds it.

The region replaces a C call, so the registers the C convention lets a callee
clobber are free: the scratch registers r2 and r3, and p6, p7.  Arguments and
the result are the physical general registers the record names, e.g. r35 for
``out0`` of a frame with sol 3.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

from . import catalog, ia64
from .catalog import NativeBundle, NativeInsn

SCRATCH = (2, 3)  # free for native code: the region replaces a C call

# Templates by units and stops, e.g. ("MMI", (0, 2)) for "M;MI;".
_TEMPLATE = {(units, stops): code for code, (units, stops) in ia64.TEMPLATES.items()}
_NOP = {"M": ia64.nop_m, "I": ia64.nop_i, "B": ia64.nop_b}

NOP_BUNDLE = ia64.encode_bundle(_TEMPLATE[("MII", (2,))], (ia64.nop_m(), ia64.nop_i(),
                                                           ia64.nop_i()))


def _m(encoder: Callable[..., int]) -> Callable[[dict, int], tuple[int, str]]:
    """An M-unit instruction whose encoder takes the decoder's field names."""
    return lambda f, qp: (encoder(**f, qp=qp), "M")


# op -> encode(fields, qp) -> (41-bit slot, unit); unit "A" fits an M or I slot.
_ENCODE: dict[str, Callable[[dict, int], tuple[int, str]]] = {
    "fc": _m(ia64.fc),
    "thash": _m(ia64.thash),
    "mov.from.cpuid": _m(ia64.mov_from_cpuid),
    "mov.from.pmd": _m(ia64.mov_from_pmd),
    "mov.from.rr": _m(ia64.mov_from_rr),
    "mov.to.rr": _m(ia64.mov_to_rr),
    "ptc.ga": _m(ia64.ptc_ga),
    "mov.from.psr": _m(ia64.mov_from_psr),
    "mov.to.psr.l": _m(ia64.mov_to_psr_l),
    "mov.from.cr": _m(ia64.mov_from_cr),
    "mov.to.cr": _m(ia64.mov_to_cr),
    "srlz.d": _m(ia64.srlz_d),
    "ssm": lambda f, qp: (ia64.ssm(f["imm"], qp=qp), "M"),
    "rsm": lambda f, qp: (ia64.rsm(f["imm"], qp=qp), "M"),
    # an AR is moved by the unit it belongs to (M29/M31 or I26/I28)
    "mov.from.ar": lambda f, qp: (ia64.mov_from_ar(f["r1"], f["ar"], qp=qp),
                                  ia64.ar_units(f["ar"])[0]),
    "mov.to.ar": lambda f, qp: (ia64.mov_to_ar(f["ar"], f["r2"], qp=qp),
                                ia64.ar_units(f["ar"])[0]),
    "cmp.eq": lambda f, qp: (ia64.cmp_eq(f["p1"], f["p2"], f["r2"], f["r3"], qp=qp), "A"),
    "dep.z": lambda f, qp: (ia64.dep_z(f["r1"], f["imm"], f["pos"], f["len"], qp=qp), "I"),
    "adds": lambda f, qp: (ia64.adds(f["r1"], f["imm"], f["r3"], qp=qp), "A"),
    "addl": lambda f, qp: (ia64.addl(f["r1"], f["imm"], f["r3"], qp=qp), "A"),
    "and": lambda f, qp: (ia64.and_(f["r1"], f["r2"], f["r3"], qp=qp), "A"),
}


def encode_insn(insn: NativeInsn, operands: dict[str, int]) -> tuple[int, str]:
    """One catalog instruction with its operands bound: (41-bit slot, unit)."""
    encode = _ENCODE.get(insn.op)
    if encode is None:
        raise ValueError(f"no encoder for native instruction {insn.op!r}")
    return encode(insn.bind(operands), insn.qp)


def encode_bundle(b: NativeBundle, operands: dict[str, int]) -> bytes:
    """One catalog bundle: its instructions in slot order, a nop in every other slot."""
    template = _TEMPLATE.get((b.units, b.stops))
    if template is None:
        raise ValueError(f"template {b.template!r} does not exist")
    pending = [encode_insn(i, operands) for i in b.insns]
    slots = []
    for unit in b.units:
        if pending and pending[0][1] in (unit, "A" if unit in "MI" else None):
            slots.append(pending.pop(0)[0])
        else:
            slots.append(_NOP[unit]())
    if pending:
        raise ValueError(f"native code does not fit template {b.template!r}")
    return ia64.encode_bundle(template, tuple(slots))


def _reg_name(reg: int) -> str:
    name = catalog.reg_name(reg)
    return f"register {reg}" if name == str(reg) else name


def _code(intr: catalog.Intrinsic, reg: int | None) -> tuple[tuple[NativeBundle, ...], int]:
    """The catalog's code for the type, and the %hw operand (getreg/setreg)."""
    if intr.access is None:
        return intr.native, 0
    found = catalog.REGISTERS.get(reg)
    if found is None or not found.allows(intr.access):
        if intr.access == "read" and reg == catalog.REG_IP:
            raise ValueError("getreg(ip) has no native replacement: the ip must be the caller's")
        able = "readable" if intr.access == "read" else "writable"
        raise ValueError(f"{intr.name}: {_reg_name(reg)} ({reg}) is not a {able} register")
    return found.code(intr.access), found.hw


def _is_reg(r: object, low: int = 0) -> bool:
    return isinstance(r, int) and not isinstance(r, bool) and low <= r <= 127


class Bound(NamedTuple):
    """A type's native code with its operands bound to a site's registers."""
    name: str                           # the type's name, for messages
    code: tuple[NativeBundle, ...]      # the catalog's bundles
    operands: dict[str, int]            # %name -> register (or %hw: the AR/CR number)


def native_bundles(type_id: int, args: list[int], result: int, nbundles: int,
                   srlz: bool = False) -> list[bytes]:
    """The native code of paravirt type ``type_id`` as exactly ``nbundles`` bundles.

    ``args`` are the physical general registers holding the arguments (for
    setreg: args[1] is the value, args[0] is unused), ``result`` the register
    that receives the result (ignored for void types).  The code is padded
    with ``NOP_BUNDLE`` (MII, nops, stop at the end), so the last bundle always
    ends with a stop.  Raises ValueError for
    an unknown type or register, bad register numbers, or code that needs
    more than ``nbundles`` bundles.  ``srlz``: the record's FLAG_SRLZ_D, the
    code ends with `;; srlz.d` (``catalog.serialized``).
    """
    return encode(bind(type_id, args, result, srlz=srlz), nbundles)


def encode(bound: Bound, nbundles: int) -> list[bytes]:
    """``bound``'s code as exactly ``nbundles`` bundles (see native_bundles)."""
    if not isinstance(nbundles, int) or isinstance(nbundles, bool) or nbundles < 1:
        raise ValueError(f"{bound.name}: region size {nbundles!r} is not a positive bundle "
                         f"count")
    body = [encode_bundle(b, bound.operands) for b in bound.code]
    if len(body) > nbundles:
        raise ValueError(f"{bound.name}: native code needs {len(body)} bundle(s), "
                         f"the region has {nbundles}")
    return body + [NOP_BUNDLE] * (nbundles - len(body))


def _intrinsic(type_id: int) -> tuple[catalog.Intrinsic, int | None]:
    found = catalog.intrinsic_for(type_id) if isinstance(type_id, int) else None
    if found is None:
        raise ValueError(f"unknown paravirt type {type_id!r}")
    return found


def bound_code(type_id: int, args: list[int], result: int,
               srlz: bool = False) -> tuple[tuple[NativeBundle, ...], dict[str, int]]:
    """The catalog's native code of a site, and its operands bound to registers.

    Same arguments and errors as ``native_bundles``; the patcher uses this to
    know which instructions a patched region must decode to.
    """
    bound = bind(type_id, args, result, srlz=srlz)
    return bound.code, bound.operands


def bind(type_id: int, args: list[int], result: int,
         found: tuple[catalog.Intrinsic, int | None] | None = None,
         name: str | None = None, srlz: bool = False) -> Bound:
    """``bound_code`` as one `Bound`; ``found`` (the catalog entry, ``catalog.intrinsic_for``)
    and ``name`` (``catalog.type_name``) when the caller has looked them up already."""
    intr, reg = found if found is not None else _intrinsic(type_id)
    name = name if name is not None else catalog.type_name(type_id)
    args = list(args)
    if len(args) < intr.nargs:
        raise ValueError(f"{name} takes {intr.nargs} argument(s), got {len(args)} register(s)")
    operands: dict[str, int] = {}
    for i, p in enumerate(intr.params):
        if intr.access is not None and i == 0:
            continue  # getreg/setreg: the register number is folded into the type id
        if not _is_reg(args[i]):
            raise ValueError(f"{name}: argument {i} register {args[i]!r} is not r0..r127")
        operands[p.name] = args[i]
    if intr.returns:
        if not _is_reg(result, 1):
            raise ValueError(f"{name}: result register {result!r} is not r1..r127")
        operands["result"] = result
    code, operands["hw"] = _code(intr, reg)
    if srlz:
        code = catalog.serialized(code)
        if code is None:
            raise ValueError(f"{name}: the native code has no room for the srlz.d of the "
                             "site (flag srlz.d)")
    _bind_scratch(name, code, operands, [operands[p.name] for p in intr.params
                                         if p.name in operands])
    return Bound(name, code, operands)


def _bind_scratch(name: str, code: tuple[NativeBundle, ...], operands: dict[str, int],
                  arg_regs: list[int]) -> None:
    """Give %scratch0, %scratch1 registers of SCRATCH that hold neither result nor argument."""
    wanted = sorted({o for b in code for i in b.insns for o in i.operands()
                     if o.startswith("scratch")})
    if not wanted:
        return
    clash = sorted({r for r in arg_regs if r in SCRATCH})
    if clash:
        raise ValueError(f"{name}: argument register r{clash[0]} is the scratch "
                         "register r2/r3 of the native code")
    free = [r for r in SCRATCH if r != operands.get("result")]
    if len(free) < len(wanted):  # pragma: no cover - the catalog uses at most what is free
        raise ValueError(f"{name}: native code needs {len(wanted)} scratch registers")
    operands.update(zip(wanted, free))
