"""Every register getreg/setreg take is served three ways alike.

The catalog's register table (pvcc.catalog.REGISTERS) is what the plugin
accepts; the native table (way A) and the C hypervisor layer (way B) must
each serve every one of them, and the patched program (C) executes the
native instruction.  A program generated from the table reads every
register and writes every writable one (the PSR with a value that only
toggles psr.i, the others with distinct values), prints what it read after
each write, and is proved A = B = C in both conventions.
"""

from __future__ import annotations

import pytest

from pvcc import catalog
from pvcc.catalog import KERNEL_CFLAGS


def _program() -> str:
    regs = sorted(catalog.REGISTERS.values(), key=lambda r: r.number)
    lines = ["#include <pvcc/paravirt.h>", "int printf(const char *, ...);", "",
             "int main(void)", "{", "\tunsigned long v;"]
    for r in regs:
        if r.number == catalog.REG_PSR:
            # psr.l: toggle psr.i only, then put it back
            lines.append(f"\tv = paravirt_getreg({r.number});")
            lines.append(f"\tparavirt_setreg({r.number}, v ^ {catalog.PSR_I:#x}UL);")
            lines.append(f"\tprintf(\"psr %lx\\n\", paravirt_getreg({r.number}) & "
                         f"{catalog.PSR_I:#x}UL);")
            lines.append(f"\tparavirt_setreg({r.number}, v);")
            continue
        if r.writable:
            lines.append(f"\tparavirt_setreg({r.number}, {0x1000 + r.number}UL);")
        lines.append(f"\tv = paravirt_getreg({r.number});")
        if r.number != catalog.AR_BASE + 44:    # ar.itc moves with every instruction
            lines.append(f"\tprintf(\"{r.label} %lx\\n\", v);")
    lines += ["\treturn 0;", "}", ""]
    return "\n".join(lines)


@pytest.mark.parametrize("conv", ["c", "light"])
def test_every_catalog_register_three_ways(gcc, monkeypatch, tmp_path, conv):
    from pvcc.sim.lab import prove

    monkeypatch.setenv("PVCC_GCC", gcc)
    src = tmp_path / "registers.c"
    src.write_text(_program())
    p = prove.prove([str(src)], ["-O2", "-std=gnu11", *KERNEL_CFLAGS], conv, seeds=(1,),
                    workdir=str(tmp_path / "work"))
    assert p.outcome == prove.AGREE, p.detail
    a, c = p.run("A"), p.run("C")
    readable = [r for r in catalog.REGISTERS.values()]
    writable = [r for r in readable if r.writable]
    # every getreg and setreg ran as a patched site in C, and as a call in A
    assert c.calls["getreg"] == a.calls["getreg"] == len(readable) + 1
    assert c.calls["setreg"] == a.calls["setreg"] == len(writable) + 1
    assert b"psr 0\n" in a.stdout or b"psr 4000\n" in a.stdout
