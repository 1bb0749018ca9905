"""Native (bare-metal) code for every paravirt type, as IA-64 bundles.

``native_bundles`` returns what the native patcher writes over a site's region
(see docs/records.md).  The caller guarantees a stop before the region; every
body here starts a new instruction group, and the body's last bundle and each
padding bundle end with a stop, so the region is self-contained whatever
surrounds it.  (Only intrin_local_irq_restore has a group that crosses a
bundle boundary, inside its two bundles.)

The region replaces a C call, so the registers the C convention lets a callee
clobber are free: r2, r3 (scratch for get_psr_i and set_rr0_to_rr4) and p6, p7
(intrin_local_irq_restore).  Arguments and the result are the physical general
registers the record names, e.g. r35 for ``out0`` of a frame with sol 3.
The bodies follow the historical native pv_cpu_ops of Linux
(arch/ia64/kernel/paravirt.c), with registers taken from the record instead of
the static r8..r11/r14 convention.
"""

from __future__ import annotations

from . import catalog, ia64

PSR_I = 1 << 14  # IA64_PSR_I_BIT = 14

# Templates used below (ia64.TEMPLATES): ";" is a stop.
_MII_S = 0x01    # M I I ;
_MI_I_S = 0x03   # M I ; I ;
_M_MI = 0x0A     # M ; M I
_M_MI_S = 0x0B   # M ; M I ;

NOP_BUNDLE = ia64.encode_bundle(_MII_S, (ia64.nop_m(), ia64.nop_i(), ia64.nop_i()))

# The register sets live in the catalog, shared with the plugin and the checker.
KERNEL_ARS = catalog.AR_NUMBERS
READ_ONLY_ARS = catalog.READ_ONLY_ARS
READ_ONLY_CRS = catalog.READ_ONLY_CRS
# Static registers behind _IA64_REG_GP/SP/TP.
_STATIC_GR = {catalog.REG_GP: 1, catalog.REG_SP: 12, catalog.REG_TP: 13}


def _mii(m: int, i1: int | None = None) -> bytes:
    """One instruction group in one bundle: ``{ .mii m ; i1 ; nop.i ;; }``."""
    return ia64.encode_bundle(_MII_S, (m, ia64.nop_i() if i1 is None else i1, ia64.nop_i()))


def _reg_name(reg: int) -> str:
    if reg in _STATIC_GR or reg == catalog.REG_PSR:
        return {catalog.REG_PSR: "psr", catalog.REG_GP: "gp", catalog.REG_SP: "sp",
                catalog.REG_TP: "tp"}[reg]
    if catalog.AR_BASE <= reg < catalog.AR_BASE + 128:
        return ia64.ar_name(reg - catalog.AR_BASE)
    if catalog.CR_BASE <= reg < catalog.CR_BASE + 128:
        return ia64.cr_name(reg - catalog.CR_BASE)
    return "ip" if reg == catalog.REG_IP else f"register {reg}"


def _move_ar(ar: int, to_ar: bool, gr: int) -> bytes:
    """``mov rX=ar`` / ``mov ar=rX`` in the unit the AR needs (M29/M31 or I26/I28)."""
    unit = ia64.ar_units(ar)[0]
    if to_ar:
        insn = ia64.mov_to_ar(ar, gr, unit)
    else:
        insn = ia64.mov_from_ar(gr, ar, unit)
    return _mii(insn) if unit == "M" else _mii(ia64.nop_m(), insn)


def _getreg(reg: int, res: int) -> list[bytes]:
    if reg == catalog.REG_PSR:
        return [_mii(ia64.mov_from_psr(res))]
    if reg in _STATIC_GR:
        return [_mii(ia64.mov_gr(res, _STATIC_GR[reg]))]
    ar, cr = reg - catalog.AR_BASE, reg - catalog.CR_BASE
    if 0 <= ar < 128 and ar in KERNEL_ARS:
        return [_move_ar(ar, False, res)]
    if 0 <= cr < 128 and cr in catalog.CR_NUMBERS:
        return [_mii(ia64.mov_from_cr(res, cr))]
    if reg == catalog.REG_IP:
        raise ValueError("getreg(ip) has no native replacement: the ip must be the caller's")
    raise ValueError(f"getreg: {_reg_name(reg)} ({reg}) is not a readable register")


def _setreg(reg: int, val: int) -> list[bytes]:
    if reg == catalog.REG_PSR:  # PSR_L: mov psr.l=rV ;; srlz.d ;;  (".serialize.data")
        return [ia64.encode_bundle(_M_MI_S, (ia64.mov_to_psr_l(val), ia64.srlz_d(),
                                             ia64.nop_i()))]
    if reg in _STATIC_GR:
        return [_mii(ia64.mov_gr(_STATIC_GR[reg], val))]
    ar, cr = reg - catalog.AR_BASE, reg - catalog.CR_BASE
    if 0 <= ar < 128 and ar in KERNEL_ARS and ar not in READ_ONLY_ARS:
        return [_move_ar(ar, True, val)]
    if 0 <= cr < 128 and cr in catalog.CR_NUMBERS and cr not in READ_ONLY_CRS:
        return [_mii(ia64.mov_to_cr(cr, val))]
    raise ValueError(f"setreg: {_reg_name(reg)} ({reg}) is not a writable register")


def _set_rr0_to_rr4(v: list[int]) -> list[bytes]:
    """rr[0..4] = v0..v4; one rr write per instruction group.  A region register
    is selected by bits 63:61 of the address operand: r0 for region 0, and
    r2/r3 = region << 61 built with dep.z (I13)."""
    clash = sorted({r for r in v if r in (2, 3)})
    if clash:
        raise ValueError(f"set_rr0_to_rr4: argument register r{clash[0]} is the scratch "
                         "register r2/r3 of the native code")

    def region(r: int, n: int) -> int:
        return ia64.dep_z(r, n, 61, 3)

    return [
        # mov rr[r0]=v0 ; r2 = 1<<61 ; r3 = 2<<61 ;;
        ia64.encode_bundle(_MII_S, (ia64.mov_to_rr(0, v[0]), region(2, 1), region(3, 2))),
        # mov rr[r2]=v1 ;; mov rr[r3]=v2 ; r2 = 3<<61 ;;
        ia64.encode_bundle(_M_MI_S, (ia64.mov_to_rr(2, v[1]), ia64.mov_to_rr(3, v[2]),
                                     region(2, 3))),
        # mov rr[r2]=v3 ; r3 = 4<<61 ;;
        _mii(ia64.mov_to_rr(2, v[3]), region(3, 4)),
        # mov rr[r3]=v4 ;;
        _mii(ia64.mov_to_rr(3, v[4])),
    ]


def _get_psr_i(res: int) -> list[bytes]:
    """mov rR=psr ; addl rS=0x4000,r0 ;; and rR=rS,rR ;;  (addl: 0x4000 exceeds adds' imm14)."""
    scratch = 3 if res == 2 else 2
    return [ia64.encode_bundle(_MI_I_S, (ia64.mov_from_psr(res), ia64.addl(scratch, PSR_I, 0),
                                         ia64.and_(res, scratch, res)))]


def _intrin_local_irq_restore(flags: int) -> list[bytes]:
    """cmp.ne p6,p7=rF,r0 ;; (p6) ssm psr.i ; (p7) rsm psr.i ;; (p6) srlz.d ;;"""
    return [
        ia64.encode_bundle(_M_MI, (ia64.cmp_ne(6, 7, flags, 0), ia64.ssm(PSR_I, qp=6),
                                   ia64.nop_i())),
        ia64.encode_bundle(_M_MI_S, (ia64.rsm(PSR_I, qp=7), ia64.srlz_d(qp=6), ia64.nop_i())),
    ]


def _body(name: str, a: list[int], res: int, reg: int | None) -> list[bytes]:
    if name == "fc":
        return [_mii(ia64.fc(a[0]))]
    if name == "thash":
        return [_mii(ia64.thash(res, a[0]))]
    if name == "get_cpuid":
        return [_mii(ia64.mov_from_cpuid(res, a[0]))]
    if name == "get_pmd":
        return [_mii(ia64.mov_from_pmd(res, a[0]))]
    if name == "ptcga":  # ptc.ga must be the last instruction of its group (SDM vol. 3)
        return [ia64.encode_bundle(_M_MI_S, (ia64.ptc_ga(a[0], a[1]), ia64.nop_m(),
                                             ia64.nop_i()))]
    if name == "get_rr":
        return [_mii(ia64.mov_from_rr(res, a[0]))]
    if name == "set_rr":
        return [_mii(ia64.mov_to_rr(a[0], a[1]))]
    if name == "set_rr0_to_rr4":
        return _set_rr0_to_rr4(a)
    if name == "ssm_i":
        return [_mii(ia64.ssm(PSR_I))]
    if name == "rsm_i":
        return [_mii(ia64.rsm(PSR_I))]
    if name == "get_psr_i":
        return _get_psr_i(res)
    if name == "intrin_local_irq_restore":
        return _intrin_local_irq_restore(a[0])
    if name == "getreg":
        return _getreg(reg, res)
    if name == "setreg":
        return _setreg(reg, a[1])
    raise ValueError(f"no native code for {name}")  # pragma: no cover - catalog and table agree


def native_bundles(type_id: int, args: list[int], result: int, nbundles: int) -> list[bytes]:
    """The native code of paravirt type ``type_id`` as exactly ``nbundles`` bundles.

    ``args`` are the physical general registers holding the arguments (for
    setreg: args[1] is the value, args[0] is unused), ``result`` the register
    that receives the result (ignored for void types).  The code is padded
    with ``NOP_BUNDLE`` (MII, nops, stop at the end), so the last bundle always
    ends with a stop.  Raises ValueError for
    an unknown type or register, bad register numbers, or code that needs
    more than ``nbundles`` bundles.
    """
    found = catalog.intrinsic_for(type_id) if isinstance(type_id, int) else None
    if found is None:
        raise ValueError(f"unknown paravirt type {type_id!r}")
    intr, reg = found
    name = catalog.type_name(type_id)
    if not isinstance(nbundles, int) or isinstance(nbundles, bool) or nbundles < 1:
        raise ValueError(f"{name}: region size {nbundles!r} is not a positive bundle count")
    args = list(args)
    if len(args) < intr.nargs:
        raise ValueError(f"{name} takes {intr.nargs} argument(s), got {len(args)} register(s)")
    # getreg/setreg: argument 0 (the register number) is folded into the type id
    used = {"getreg": (), "setreg": (1,)}.get(intr.name, range(intr.nargs))
    for i in used:
        r = args[i]
        if not isinstance(r, int) or isinstance(r, bool) or not 0 <= r <= 127:
            raise ValueError(f"{name}: argument {i} register {r!r} is not r0..r127")
    if intr.returns and (not isinstance(result, int) or isinstance(result, bool)
                         or not 1 <= result <= 127):
        raise ValueError(f"{name}: result register {result!r} is not r1..r127")
    body = _body(intr.name, args, result, reg)
    if len(body) > nbundles:
        raise ValueError(f"{name}: native code needs {len(body)} bundle(s), "
                         f"the region has {nbundles}")
    return body + [NOP_BUNDLE] * (nbundles - len(body))
