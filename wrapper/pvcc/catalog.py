"""The paravirt intrinsic catalog: type ids, signatures, region sizes.

One table the checker, the native patcher and the tests read; the plugin's
copy is plugin/pvcc-catalog.h, and tests/test_catalog.py keeps the two equal.
"""

from __future__ import annotations

from dataclasses import dataclass

GETREG_BASE = 0x10000000
SETREG_BASE = 0x20000000
SECTION = ".pvcc_sites"
COMPAT_SECTION = ".paravirt_bundles"
RECORD_SIZE = 64
RECORD_VERSION = 1
COMPAT_RECORD_SIZE = 24

CONV_C = 0
CONV_LIGHT = 1
CONV_NAMES = {CONV_C: "c-call", CONV_LIGHT: "light"}

# The light convention (docs/light.md).  A site is one MIB bundle
# `nop.m ; mov r2 = ip ; br.cond target` after the region's nop bundles: the
# link is the address of that bundle, the implementation returns to link + 16.
LIGHT_ARGS = (8, 9, 10, 11, 14)   # argument i is in LIGHT_ARGS[i]
LIGHT_RESULT = 8
LIGHT_LINK = 2
# What a light site branches to: "__pvcc_light_" + the intrinsic's symbol.
LIGHT_PREFIX = "__pvcc_light_"
# The registers a light implementation may write (besides memory): Linux's
# static-convention clobber set.  Everything else is the caller's.
LIGHT_CLOBBER_GRS = frozenset([2, 3, 8, 9, 10, 11, 14, 15, 16, 17])
LIGHT_CLOBBER_BRS = frozenset([6, 7])
LIGHT_CLOBBER_PRS = frozenset(range(6, 16))
LIGHT_CLOBBER_ARS = frozenset([32])  # ar.ccv


@dataclass(frozen=True)
class Intrinsic:
    name: str
    type_id: int  # base id; getreg/setreg add the register number
    nargs: int
    returns: bool
    bundles: int = 1  # size of the patchable region


INTRINSICS = (
    Intrinsic("fc", 1, 1, False),
    Intrinsic("thash", 2, 1, True),
    Intrinsic("get_cpuid", 3, 1, True),
    Intrinsic("get_pmd", 4, 1, True),
    Intrinsic("ptcga", 5, 2, False),
    Intrinsic("get_rr", 6, 1, True),
    Intrinsic("set_rr", 7, 2, False),
    Intrinsic("set_rr0_to_rr4", 8, 5, False, bundles=4),
    Intrinsic("ssm_i", 9, 0, False),
    Intrinsic("rsm_i", 10, 0, False),
    Intrinsic("get_psr_i", 11, 0, True),
    Intrinsic("intrin_local_irq_restore", 12, 1, False, bundles=2),
    Intrinsic("getreg", GETREG_BASE, 1, True),
    Intrinsic("setreg", SETREG_BASE, 2, False),
)
BY_ID = {i.type_id: i for i in INTRINSICS}

# _IA64_REG_* numbers (arch/ia64/include/uapi/asm/ia64regs.h).
REG_IP = 1016
REG_PSR = 1019  # also PSR_L
REG_GP = 1025
REG_SP = 1036
REG_TP = 1037
AR_BASE = 3072  # AR_x = 3072 + ar number
CR_BASE = 4096  # CR_x = 4096 + cr number
# Control registers that exist (Itanium SDM vol. 2, table 3-3).
CR_NUMBERS = frozenset([0, 1, 2, 8, 16, 17, 19, 20, 21, 22, 23, 24, 25,
                        64, 65, 66, 67, 68, 69, 70, 71, 72, 73, 74, 80, 81])
# Application registers named in ia64regs.h (_IA64_REG_AR_*).
AR_NUMBERS = frozenset([0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 21, 24, 25, 26, 27, 28, 29, 30,
                        32, 36, 40, 44, 64, 65, 66])
# Registers getreg may read but setreg may not write: ar.bsp; cr.ivr and
# cr.irr0-3 ("getreg only" in ia64regs.h; writes are Illegal Operation).
READ_ONLY_ARS = frozenset([17])
READ_ONLY_CRS = frozenset([65, 68, 69, 70, 71])


def reg_problem(type_base: int, reg: int) -> str | None:
    """Why getreg (type_base GETREG_BASE) or setreg cannot take register reg, or None.

    plugin/pvcc-catalog.h holds the same sets, so a register the plugin
    accepts is one the checker accepts and the native patcher can encode.
    """
    if reg == REG_IP:
        return "the IP is never paravirtualized"
    if reg in (REG_PSR, REG_GP, REG_SP, REG_TP):
        return None
    writing = type_base == SETREG_BASE
    if reg - AR_BASE in AR_NUMBERS:
        return "it is read-only" if writing and reg - AR_BASE in READ_ONLY_ARS else None
    if reg - CR_BASE in CR_NUMBERS:
        return "it is read-only" if writing and reg - CR_BASE in READ_ONLY_CRS else None
    return "not an _IA64_REG_* register number"


def intrinsic_for(type_id: int) -> tuple[Intrinsic, int | None] | None:
    """The catalog entry of a record's type id, and the register for getreg/setreg."""
    if type_id in BY_ID and type_id not in (GETREG_BASE, SETREG_BASE):
        return BY_ID[type_id], None
    for base in (GETREG_BASE, SETREG_BASE):
        reg = type_id - base
        if 0 < reg < 0x10000000:
            return BY_ID[base], reg
    return None


def type_name(type_id: int) -> str:
    found = intrinsic_for(type_id)
    if found is None:
        return f"unknown({type_id:#x})"
    intr, reg = found
    return intr.name if reg is None else f"{intr.name}({reg})"


def light_arg_registers(intr: Intrinsic) -> tuple[int, ...]:
    """The record's argument bytes of a light site of ``intr``.

    getreg/setreg pass no register number (it is in the type id and in the
    implementation's name), so their argument 0 is 0.
    """
    regs = LIGHT_ARGS[:intr.nargs]
    if intr.type_id in (GETREG_BASE, SETREG_BASE):
        return (0, *regs[1:])
    return regs


def light_entry(symbol: str, type_id: int) -> str:
    """The symbol a light site of ``symbol`` (with type ``type_id``) branches to:
    ``__pvcc_light_<symbol>``, with ``_<register>`` for getreg/setreg."""
    found = intrinsic_for(type_id)
    if found is not None and found[1] is not None:
        return f"{LIGHT_PREFIX}{symbol}_{found[1]}"
    return LIGHT_PREFIX + symbol
