"""Linux's local_irq_save() is one site of intrin_local_irq_save (type 13), and
patched native it is the plain kernel's own bundle.

testcases/local_irq_save/input.c is arch/ia64/include/asm/irqflags.h's
arch_local_irq_save()/arch_local_irq_restore() as kernel/linux-6.1-pvcc.patch
makes them (with -DPLAIN_KERNEL: Linux's own asms, ia64_stop(); mov psr;
ia64_stop(); rsm psr.i).  Compiled by the real cross GCC with the plugin, each
local_irq_save is ONE site, where the kernel routed through getreg(psr) and
rsm_i had two sites and a register move; `pvcc-check --patch native` writes
one `{ .mmi mov rN=psr ;; rsm 0x4000 ; nop.i ;; }` into it, the bundle plain
GCC makes of Linux's asms, byte for byte.  The light site weighs what those
asms weigh for GCC's inliner (catalog asm_weight 8), so it is inlined where they
are.  pvcc-sim proves the snippet three ways (A = B = C) in both conventions.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from helpers import compile_c
from pvcc import catalog, ia64
from pvcc.catalog import KERNEL_CFLAGS
from pvcc.check_cli import main as check_main
from pvcc.objects import open_object

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "testcases" / "local_irq_save" / "input.c"
SAVE = catalog.BY_NAME["intrin_local_irq_save"]
RESTORE = catalog.BY_NAME["intrin_local_irq_restore"]
LIGHT = "-fplugin-arg-pvcc-conv=light"


def _sites(obj) -> dict[str, list]:
    """function -> its records, in address order."""
    out: dict[str, list] = {}
    for rec in sorted(obj.records, key=lambda r: r.start):
        out.setdefault(obj.function_at(rec.start).name, []).append(rec)
    return out


def _function(obj, name: str) -> bytes:
    f = next(f for f in obj.functions if f.name == name)
    return obj.read(f.addr, f.size)


def _compile_plain(gcc, include_dir, tmp_path, *flags: str):
    """Plain GCC, no plugin: Linux's own asms."""
    out = tmp_path / "plain.o"
    subprocess.run([gcc, "-I", include_dir, *flags, "-DPLAIN_KERNEL", "-c", str(SOURCE),
                    "-o", str(out)], check=True, capture_output=True)
    obj = open_object(str(out))
    assert not obj.records
    return obj


def _patch_native(pv: Path, tmp_path, capsys):
    native = tmp_path / "native.o"
    capsys.readouterr()
    assert check_main(["--patch", "native", "-o", str(native), str(pv)]) == 0
    assert "intrin_local_irq_save: mov r8=psr ; rsm 0x4000 ; nop.i 0x0" in capsys.readouterr().out
    return open_object(str(native))


@pytest.mark.parametrize("conv", ["c", "light"])
def test_local_irq_save_is_one_site_patched_to_the_plain_kernels_bundle(
        gcc, plugin_so, include_dir, tmp_path, capsys, conv):
    flags = ["-O2", "-std=gnu11", *KERNEL_CFLAGS]
    plain = _compile_plain(gcc, include_dir, tmp_path, *flags)
    pv = compile_c(gcc, plugin_so, include_dir, tmp_path, "pv", SOURCE, *flags,
                   *([LIGHT] if conv == "light" else []))
    obj = open_object(str(pv), require_records=True)
    # one site for the PSR read and the rsm: no getreg(psr), no rsm_i
    assert [r.type for r in _sites(obj)["save"]] == [SAVE.type_id]
    assert [r.type for r in _sites(obj)["bump"]] == [SAVE.type_id, RESTORE.type_id]
    saves = [r for r in obj.records if r.type == SAVE.type_id]
    assert all(r.nbundles == 1 and r.nargs == 0 and r.result == 8 for r in saves)

    # the plain kernel's bundle: save() is ;; mov r8=psr ;; rsm psr.i and the return
    code = _function(plain, "save")
    want = ia64.decode_bundle(code[:16])
    assert (want.units, want.stops) == ("MMI", (0, 2))
    assert [(i.op, i.fields.get("imm")) for i in want.insns] == \
        [("mov.from.psr", None), ("rsm", catalog.PSR_I), ("nop", 0)]
    patched = _patch_native(pv, tmp_path, capsys)
    for rec in saves:
        got = patched.read(rec.start, 16)
        b = ia64.decode_bundle(got, rec.start)
        assert (b.units, b.stops) == ("MMI", (0, 2))       # the catalog's "M;MI;"
        assert [i.op for i in b.insns] == ["mov.from.psr", "rsm", "nop"]
        assert b.insns[0].fields["r1"] == rec.result and b.insns[1].fields["imm"] == catalog.PSR_I
        assert got == code[:16], patched.where(rec.start)
    if conv == "light":
        # a leaf stays a leaf: patched native, save() is the plain kernel's, byte for byte
        assert _function(patched, "save") == code


@pytest.mark.parametrize("level", ["-Os", "-O2"])
def test_light_site_keeps_the_plain_kernels_inlining(gcc, plugin_so, include_dir, tmp_path,
                                                     capsys, level):
    """The light placeholder weighs what Linux's four asms weigh (asm_weight 8): GCC
    inlines arch_local_irq_save() where the plain kernel's GCC does, and not where it
    does not (-Os).  With weight 1 it would be inlined at -Os."""
    flags = [level, "-std=gnu11", *KERNEL_CFLAGS]
    plain = _compile_plain(gcc, include_dir, tmp_path, *flags)
    pv = compile_c(gcc, plugin_so, include_dir, tmp_path, "pv", SOURCE, *flags, LIGHT)
    patched = _patch_native(pv, tmp_path, capsys)
    names = {f.name for f in plain.functions}
    assert {f.name for f in patched.functions} == names
    assert ("arch_local_irq_save" in names) == (level == "-Os")
    # the function holding the site (-Os: save() is a branch to it, whose displacement
    # follows the other functions' sizes) is the plain kernel's, byte for byte
    name = "arch_local_irq_save" if level == "-Os" else "save"
    assert _function(patched, name) == _function(plain, name)


@pytest.mark.parametrize("conv", ["c", "light"])
def test_local_irq_save_three_ways(gcc, monkeypatch, tmp_path, conv):
    """A (plain GCC, the native table's paravirt_intrin_local_irq_save), B (pvcc, the
    hostile C hypervisor layer) and C (B patched native) agree."""
    from pvcc.sim.lab import drivers, prove

    monkeypatch.setenv("PVCC_GCC", gcc)
    drv = tmp_path / "driver.c"
    d = drivers.driver(SOURCE.read_text())
    assert d.called == ["enable_then_save", "bump", "save"]
    drv.write_text(d.text)
    p = prove.prove([str(SOURCE), str(drv)], ["-O2", "-std=gnu11", *KERNEL_CFLAGS], conv,
                    seeds=(1, 2))
    assert p.outcome == prove.AGREE, p.detail
    costs = {name: (na, nc) for name, na, _, nc, _ in p.costs()}
    assert set(costs) == {"intrin_local_irq_save", "intrin_local_irq_restore", "ssm_i"}
    for name, (na, nc) in costs.items():
        assert na == nc > 0, name
    assert costs["intrin_local_irq_save"] == (3, 3)
    # the save after local_irq_enable() returned psr.i set and cleared it: the next
    # save returns the same PSR without psr.i (each way printed the same)
    out = p.run("A").stdout.decode()
    on, off = (int(re.search(rf"^{f} = ([0-9a-f]+)$", out, re.MULTILINE).group(1), 16)
               for f in ("enable_then_save", "save"))
    assert on & catalog.PSR_I and on & ~catalog.PSR_I == off, out
