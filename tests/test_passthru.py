"""The pass-through hypervisor (docs/boot-patching.md, "The pass-through hypervisor").

Its hypercalls are rows of pvcc.sim.hypercalls' table, announced by the
machine's EFI table; the machine performs them (sim/platform/machine/passthru.py);
the kernel's implementations are generated from the catalog
(pvcc.passthru_impls).  The strongest proof before a kernel boots: one program
that calls every intrinsic (and getreg/setreg on every register) is built with
pvcc, its sites are retargeted by the kernel's own boot patcher to the generated
implementations linked into it, and its run in pvcc-sim -- every site a
hypercall the machine performs -- prints the same lines, leaves the same effect
log and the same privileged state as the same program patched to native code.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from pvcc import catalog, kimage, passthru_impls, patch_table
from pvcc.check import main as check_main
from pvcc.objects import open_object
from pvcc.patch import patch_native
from pvcc.retarget import read_impls
from pvcc.sim import hypercalls as hc
from pvcc.sim import run_program
from pvcc.sim.platform.machine import Machine, efi, firmware
from pvcc.sim.platform.machine.passthru import PassThrough
from pvcc.sim.platform.userland import syscalls

from test_sim_hv import EVERYTHING, KERNEL_FLAGS

KERNEL = Path(__file__).resolve().parent.parent / "kernel"
HOST_CC = shutil.which("cc") or shutil.which("gcc")


# -- the table, the announcement, the generated code ------------------------------

def test_passthru_hypercalls_are_the_catalog_after_the_user_mode_ones():
    assert list(hc.PASSTHRU) == [i.name for i in catalog.INTRINSICS]
    numbers = list(hc.PASSTHRU.values())
    assert numbers == list(range(hc.PASSTHRU_BASE, hc.PASSTHRU_BASE + len(numbers)))
    assert numbers[-1] < hc.COUNT
    user = set(syscalls.SERVED) | {hc.CLOBBER_C, hc.CLOBBER_THUNKED, hc.CLOBBER_LIGHT}
    assert max(user) < hc.PASSTHRU_BASE
    for name, n in hc.PASSTHRU.items():
        assert hc.by_number(n).name == f"pt_{name}"
        assert PassThrough.serves(hc.BASE + n)
    assert not PassThrough.serves(hc.BASE + hc.PASSTHRU_BASE - 1)
    assert not PassThrough.serves(hc.BASE + numbers[-1] + 1)
    assert set(PassThrough().handlers()) == set(numbers)


def test_the_machine_announces_the_table_the_kernel_checks():
    m = Machine(announce_pvcc=True)
    raw = [data for addr, data in m.firmware.tables() if addr == firmware.PVCC_TABLE]
    assert len(raw) == 1
    t = efi.PvccHypervisorTable.from_buffer_copy(raw[0])
    assert t.signature == passthru_impls.SIGNATURE and t.revision == passthru_impls.REVISION
    assert t.length == 32 and t.flags & passthru_impls.FLAG_PASSTHRU
    assert (t.hypercall_imm, t.nr_hypercalls) == (hc.BASE, hc.COUNT)
    header = passthru_impls.header()
    g = efi.PVCC_HYPERVISOR_GUID
    assert f"EFI_GUID({g.fields[0]:#010x}, {g.fields[1]:#06x}, {g.fields[2]:#06x}" in header
    defines = dict(re.findall(r"^#define (\w+)[ \t]+(\S+)", header, re.MULTILINE))
    assert int(defines["HYPERCALL_BASE"], 0) == hc.BASE
    assert int(defines["PVCC_PASSTHRU_NIMPLS"]) == len(catalog.expanded())
    for name, n in hc.PASSTHRU.items():
        assert int(defines[f"HYPERCALL_PT_{name.upper()}"], 0) == hc.BASE + n


def test_one_registration_per_catalog_type_and_register():
    src = passthru_impls.c_source()
    rows = re.findall(r"^\t\{ (0x[0-9a-f]+), \(void \(\*\)\(void\)\)(\w+), (\w+) \},$", src,
                      re.MULTILINE)
    expected = [(intr.type_id + (reg or 0), intr, reg) for intr, reg in catalog.expanded()]
    assert [int(t, 0) for t, _, _ in rows] == [t for t, _, _ in expected]
    for (t, fn, light), (_, intr, reg) in zip(rows, expected):
        assert fn == f"pvcc_pt_{intr.name}"
        assert light == f"__pvcc_light_pt_{intr.name}" + (f"_{reg}" if reg else "")
    asm = passthru_impls.asm_source()
    for _, intr, reg in expected:
        entry = passthru_impls.light_entry(intr, reg)
        body = asm.split(f"{entry}:\n", 1)[1].split(".endp", 1)[0]
        assert f"break.m HYPERCALL_PT_{intr.name.upper()}" in body
        assert ".prologue" in body and ".save rp, r2" in body and ".body" in body
        assert (f"mov r8 = {reg}" in body) == (reg is not None)
    table = passthru_impls.table()
    assert len([line for line in table.splitlines() if not line.startswith("#")]) == \
        2 * len(expected)


# -- the program, retargeted to the generated implementations ----------------------

@pytest.fixture(scope="module")
def runner(tmp_path_factory) -> list[str]:
    if HOST_CC is None:
        pytest.skip("no host C compiler")
    d = tmp_path_factory.mktemp("patcher")
    assert patch_table.main([str(d / "pvcc_patch_table.h")]) == 0
    exe = d / "pvcc_patch_run"
    subprocess.run([HOST_CC, "-O2", "-Wall", "-Wextra", "-Werror", "-I", str(KERNEL),
                    "-I", str(d), str(KERNEL / "pvcc_patch.c"),
                    str(KERNEL / "pvcc_patch_run.c"), "-o", str(exe)],
                   check=True, capture_output=True, text=True)
    return [str(exe)]


@pytest.fixture
def cc(gcc, monkeypatch):
    """pvcc-sim cc; an assembly source is assembled by GCC first (pvcc-sim cc hands
    plugin arguments to every compile)."""
    from pvcc.sim.lab.build import build

    monkeypatch.setenv("PVCC_GCC", gcc)

    def run(*args: str) -> None:
        out = []
        for a in args:
            if a.endswith(".S"):
                o = a[:-2] + ".o"
                flags = [f for f in args if f.startswith(("-m", "-O"))]
                subprocess.run([gcc, "-c", *flags, *(f"-I{d}" for d in _include_dirs(args)), a,
                                "-o", o], check=True, capture_output=True, text=True)
                a = o
            out.append(a)
        assert build(out) == 0

    return run


def _include_dirs(args) -> list[str]:
    return [args[k + 1] for k, a in enumerate(args) if a == "-I"]


def _state(run) -> dict:
    p = run.state.priv
    return {"psr": p.psr, "cr": list(p.cr), "rr": list(p.rr), "pmd": dict(p.pmd),
            "kr": list(run.state.ar[:8])}


def _effects(run) -> list[tuple]:
    """The effect log without addresses (a hypercall's entry is at its break)."""
    return [(e[0], *e[2:]) for e in run.effects]


@pytest.mark.parametrize("flags", [
    ["-O2", *KERNEL_FLAGS],
    ["-O0", *KERNEL_FLAGS],
    ["-O2", *KERNEL_FLAGS, "-fplugin-arg-pvcc-conv=light"],
], ids=["O2-c-call", "O0-c-call", "O2-light"])
def test_every_intrinsic_through_the_passthru_hypervisor_is_native(cc, runner, tmp_path, flags,
                                                                  capsys):
    gen = tmp_path / "gen"
    gen.mkdir()
    assert passthru_impls.main([str(gen), "--table", str(tmp_path / "impls")]) == 0
    src = tmp_path / "everything.c"
    src.write_text(EVERYTHING)
    prog, native, retargeted = tmp_path / "prog", tmp_path / "native", tmp_path / "passthru"
    cc(*flags, "-I", str(KERNEL), "-I", str(gen), str(src), str(gen / passthru_impls.C_FILE),
       str(gen / passthru_impls.ASM_FILE), "-o", str(prog))
    patch_native(str(prog), str(native))
    obj = open_object(str(prog))
    conv = catalog.CONV_LIGHT if "-fplugin-arg-pvcc-conv=light" in flags else catalog.CONV_C
    assert {r.conv for r in obj.records} == {conv}
    segs, report = kimage.run(runner, obj, read_impls(str(tmp_path / "impls"), obj))
    n = len(obj.records)
    assert report.splitlines()[-1] == f"native 0 retargeted {n} kept 0 refused 0"
    kimage.write_patched(obj, segs, str(retargeted))
    capsys.readouterr()
    assert check_main(["--verify-retarget", str(tmp_path / "impls"), str(retargeted)]) == 0

    hv = PassThrough()
    runs = {"native": run_program(str(native)),
            "passthru": run_program(str(retargeted), hypercalls=hv.handlers())}
    for name, r in runs.items():
        assert r.error is None, f"{name}: {r.where}: {r.error.msg}"
    a, b = runs["native"], runs["passthru"]
    assert b.stdout == a.stdout and b.status == a.status
    assert "cpuid = 49656e69756e6547" in b.stdout.decode()
    assert _effects(b) == _effects(a)
    assert _state(b) == _state(a)
    # every site made its hypercall: one per site execution, per type
    assert sum(hv.counts.values()) == sum(b.site_hits.values())
    assert set(hv.counts) == {catalog.type_name(r.type) for r in obj.records}
    assert hv.counts["getreg(1019)"] == 4 and hv.counts["set_rr0_to_rr4"] == 1
    lines = hv.stats_lines()
    assert lines[0] == f"pass-through hypercalls: {sum(hv.counts.values())}"


def test_a_hypercall_the_table_does_not_serve_stops_the_model(cc, tmp_path):
    """Without the machine's handlers, the harness refuses a pass-through hypercall."""
    gen = tmp_path / "gen"
    gen.mkdir()
    assert passthru_impls.main([str(gen)]) == 0
    src = tmp_path / "m.c"
    src.write_text('#include "pvcc_passthru.h"\nint main(void) { pvcc_pt_ssm_i(); return 0; }\n')
    prog = tmp_path / "m"
    cc("-O2", "-I", str(KERNEL), "-I", str(gen), str(src), str(gen / passthru_impls.C_FILE),
       str(gen / passthru_impls.ASM_FILE), "-o", str(prog))
    r = run_program(str(prog))
    assert r.error is not None and "unknown hypercall 40" in r.error.msg
    hv = PassThrough()
    r = run_program(str(prog), hypercalls=hv.handlers())
    assert r.error is None and r.status == 0
    assert dict(hv.counts) == {"ssm_i": 1}
    assert r.state.priv.psr & catalog.PSR_I
    assert [e[0] for e in r.effects] == ["ssm"]
