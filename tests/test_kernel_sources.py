"""The kernel glue that is written by hand agrees with the intrinsic catalog.

kernel/pvcc-paravirt.h (which Linux intrinsics become paravirt calls) and
kernel/pvcc_native.c (the C implementations a C-convention site calls until
it is patched) are Linux code, so they stay hand-written; the parts of them
that restate the catalog are proved equal to it here, field by field: every
intrinsic is defined with the catalog's prototype and exported, getreg and
setreg handle exactly the catalog's registers among those the kernel routes
(setreg only the writable ones), and psr.i is the catalog's bit.  (The
kernel tables that are generated — the boot patcher's table and the light
implementations — are tested with their generators.)
"""

from __future__ import annotations

import re
from pathlib import Path

from pvcc import catalog

KERNEL = Path(__file__).resolve().parent.parent / "kernel"
NATIVE = (KERNEL / "pvcc_native.c").read_text()
SHIM = (KERNEL / "pvcc-paravirt.h").read_text()

# The _IA64_REG_* names the kernel files use (arch/ia64/include/uapi/asm/ia64regs.h).
IA64REGS = {
    "_IA64_REG_PSR": 1019, "_IA64_REG_PSR_L": 1019,
    "_IA64_REG_AR_KR0": 3072, "_IA64_REG_AR_KR7": 3079, "_IA64_REG_AR_ITC": 3116,
    "_IA64_REG_CR_DCR": 4096, "_IA64_REG_CR_LRR1": 4177,
}


def _function(text: str, name: str) -> str:
    """The body of C function ``name`` in text."""
    m = re.search(rf"^\w[\w ]*\b{name}\([^)]*\)\n\{{\n(.*?)^\}}", text, re.DOTALL | re.MULTILINE)
    assert m, f"no definition of {name}"
    return m.group(1)


def _routed() -> set[int]:
    """The registers __pvcc_routed_reg sends through paravirt_getreg/setreg."""
    m = re.search(r"#define __pvcc_routed_reg\(regnum\)(.*?)\n\n", SHIM, re.DOTALL)
    assert m, "no __pvcc_routed_reg in pvcc-paravirt.h"
    body = m.group(1)
    out: set[int] = set()
    for name in re.findall(r"\(regnum\) == (_IA64_REG_\w+)", body):
        out.add(IA64REGS[name])
    for lo, hi in re.findall(r"\(regnum\) >= (_IA64_REG_\w+) && \(regnum\) <= (_IA64_REG_\w+)",
                             body):
        out |= set(range(IA64REGS[lo], IA64REGS[hi] + 1))
    assert out, "no register routed"
    return out


def _cases(body: str, getter: str) -> set[int]:
    regs = {IA64REGS[n] for n in re.findall(r"case (_IA64_REG_PSR(?:_L)?):", body)}
    for kind, base in (("AR", catalog.AR_BASE), ("CR", catalog.CR_BASE)):
        regs |= {base + int(n) for n in re.findall(rf"\b{getter}_{kind}\((\d+)\)", body)}
    return regs


def test_every_intrinsic_is_defined_with_the_catalog_prototype_and_exported():
    for intr in catalog.INTRINSICS:
        params = ", ".join(f"{p.ctype} {p.name}" for p in intr.params) or "void"
        m = re.search(rf"^(\w[\w ]*?) {intr.symbol}\(([^)]*)\)\n\{{", NATIVE, re.MULTILINE)
        assert m, f"kernel/pvcc_native.c does not define {intr.symbol}"
        assert m.group(1) == (intr.result or "void"), intr.name
        assert re.sub(r"\s+", " ", m.group(2)) == params, intr.name
        assert f"EXPORT_SYMBOL({intr.symbol});" in NATIVE, intr.name


def test_getreg_and_setreg_take_exactly_the_catalog_registers_the_kernel_routes():
    routed = _routed()
    readable = {r for r in catalog.REGISTERS if r in routed}
    writable = {r for r in readable if catalog.REGISTERS[r].writable}
    assert _cases(_function(NATIVE, "paravirt_getreg"), "GET") == readable
    assert _cases(_function(NATIVE, "paravirt_setreg"), "SET") == writable
    # the routed set is the catalog's (the CR range has holes): every register the
    # plugin takes is one the kernel routes, and the kernel routes no other
    assert set(catalog.REGISTERS) <= routed
    assert {r for r in routed if r < catalog.CR_BASE} <= set(catalog.REGISTERS)


def test_psr_i_is_the_catalog_bit():
    m = re.search(r"#define __PVCC_PSR_I\s+\(1UL << (\d+)\)", SHIM)
    assert m and 1 << int(m.group(1)) == catalog.PSR_I


def test_the_light_default_is_the_catalog_convention():
    m = re.search(r"#define PVCC_DEFAULT_CONV (\d+)\s+/\* PVCC_CONV_LIGHT \*/", SHIM)
    assert m and int(m.group(1)) == catalog.CONV_LIGHT
