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
import subprocess
from pathlib import Path

import pytest

from asmtools import needs_binutils
from pvcc import catalog, kimage, passthru_impls
from pvcc.check_cli import main as check_main
from pvcc.objects import open_object
from pvcc.patch import patch_native
from pvcc.retarget import read_impls
from pvcc.sim import hypercalls as hc
from pvcc.sim import run_program
from pvcc.sim.lab.prove import serializes_as
from pvcc.sim.platform.machine import Machine, efi, firmware
from pvcc.sim.platform.machine.passthru import PassThrough
from pvcc.sim.platform.userland import syscalls
from test_sim_hv import EVERYTHING, KERNEL_FLAGS

KERNEL = Path(__file__).resolve().parent.parent / "kernel"


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
    # Linux's EFI_GUID(a, b, c, d0..d7): a, b, c little-endian, then the bytes
    args = [int(v, 0) for v in re.search(r"PVCC_HV_TABLE_GUID EFI_GUID\(([^)]*)\)",
                                         header).group(1).split(",")]
    guid = (args[0].to_bytes(4, "little") + args[1].to_bytes(2, "little")
            + args[2].to_bytes(2, "little") + bytes(args[3:]))
    assert guid == efi.PVCC_HYPERVISOR_GUID.bytes_le
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
        assert ".prologue\n\t.save rp, r2\n\t.save ar.pfs, r0\n\t.body" in body
        assert ".spillreg rp, b6\n\tmov b6 = r2" in body
        assert (f"mov r8 = {reg}" in body) == (reg is not None)
    table = passthru_impls.table()
    assert len([line for line in table.splitlines() if not line.startswith("#")]) == \
        2 * len(expected)


# -- the program, retargeted to the generated implementations ----------------------

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


def _name(intrinsic: str, reg: int) -> str:
    """How --stats names getreg/setreg of register ``reg``."""
    return catalog.type_name(catalog.BY_NAME[intrinsic].type_id + reg)


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
    # the same effects; the pass-through entries return serialized (docs/light.md,
    # "Serialization"), so a light site may add a srlz.d, never lose one
    if conv == catalog.CONV_LIGHT:
        assert serializes_as(_effects(b), _effects(a)) is None
        assert _effects(b) != _effects(a)
    else:
        assert _effects(b) == _effects(a)
    assert _state(b) == _state(a)
    # every site made its hypercall: one per site execution, per type
    assert sum(hv.counts.values()) == sum(b.site_hits.values())
    assert set(hv.counts) == {catalog.type_name(r.type) for r in obj.records}
    assert hv.counts[_name("getreg", 1019)] == 5 and hv.counts["set_rr0_to_rr4"] == 1
    assert hv.counts["intrin_local_irq_save"] == 2
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


# -- system mode: the hypercalls on the system-level CPU ----------------------------

def _pt(name: str) -> str:
    return f"break.m {hc.BASE + hc.PASSTHRU[name]:#x}"


class _BareWithPassThrough:
    """The bare machine's platform plus the pass-through hypervisor, composed the
    way a boot platform does: the hypercalls are served before any Break
    Instruction interruption."""

    def __init__(self, board):
        from pvcc.sim.platform.bare import Bare
        self.bare = Bare(board)
        self.passthru = PassThrough(board.ex)

    def serves(self, imm: int) -> bool:
        return self.passthru.serves(imm) or self.bare.serves(imm)

    def brk(self, imm: int, addr: int) -> None:
        (self.passthru if self.passthru.serves(imm) else self.bare).brk(imm, addr)


def _run_system(tmp_path, body: str, **kw):
    from pvcc.sim.platform.bare import load_bare
    from systemasm import program

    board = load_bare(str(program(tmp_path, body, **kw)))
    platform = board.plug(_BareWithPassThrough(board))
    status, error = board.run(board.state.ip, 200_000)
    assert error is None, error
    return status, board, platform.passthru


@needs_binutils
def test_system_mode_psr_ic_off_physical_and_an_interrupt_on_ssm(tmp_path):
    """Physical mode throughout.  With psr.ic = 0 a setreg/getreg of cr.ifa (an
    interruption register, accessible only then) is served; then the timer is
    programmed through hypercalls, and the pass-through ssm psr.i lets the
    pending timer interrupt in, as the native ssm does."""
    ifa, itv = 4096 + 20, 4096 + 72
    status, board, pt = _run_system(tmp_path, f"""
	rsm psr.ic
	;;
	srlz.d
	movl r9 = 0x123456789abc
	mov r8 = {ifa}
	;;
	{_pt("setreg")}
	;;
	mov r8 = {ifa}
	;;
	{_pt("getreg")}
	;;
	mov r4 = r8
	ssm psr.ic
	;;
	srlz.d
	mov r8 = {catalog.AR_BASE + 44}
	mov r9 = r0
	;;
	{_pt("setreg")}
	;;
	mov r8 = {itv}
	mov r9 = 0xef
	;;
	{_pt("setreg")}
	;;
	mov r8 = {4096 + 66}
	mov r9 = r0
	;;
	{_pt("setreg")}
	;;
	mov r8 = {4096 + 1}
	mov r9 = 1000
	;;
	{_pt("setreg")}
	;;
	{_pt("get_psr_i")}
	;;
	mov r5 = r8
	;;
	{_pt("ssm_i")}
	;;
spin:
	br.cond.sptk spin
	;;
""", handlers={"External Interrupt": """
	mov r6 = cr.ivr
	mov r7 = cr.ipsr
	mov r8 = 0x55
	;;
	break 0x1f0000
	;;
"""})
    g = board.state.g
    assert status == 0x55
    assert g[4] == 0x123456789ABC and board.state.priv.cr[20] == 0x123456789ABC
    assert g[5] == 0 and g[6] == 0xEF and g[7] & catalog.PSR_I
    assert board.system.counts["External Interrupt"] == 1
    assert dict(pt.counts) == {_name("setreg", ifa): 1, _name("getreg", ifa): 1,
                               _name("setreg", catalog.AR_BASE + 44): 1, _name("setreg", itv): 1,
                               _name("setreg", 4096 + 66): 1, _name("setreg", 4096 + 1): 1,
                               "get_psr_i": 1, "ssm_i": 1}


@needs_binutils
def test_system_mode_hypercall_faults_as_the_native_instruction(tmp_path):
    """getreg of cr.ifa with psr.ic = 1: the Illegal Operation fault of
    `mov r = cr.ifa`, taken at the hypercall's break."""
    from systemasm import RECORDED

    status, board, pt = _run_system(tmp_path, f"""
	mov r8 = {4096 + 20}
	;;
fault_here:
	{_pt("getreg")}
	;;
""")
    g = board.state.g
    assert status == RECORDED
    assert g[24] == 0x5400 and g[17] & 0xFF == 0        # General Exception, Illegal Operation
    assert g[18] == board.images[0].symbols["fault_here"]
    assert not pt.counts


@needs_binutils
def test_system_mode_hypercall_at_cpl_3_is_a_privileged_operation(tmp_path):
    """A pass-through hypercall from user mode performs nothing: it is the
    Privileged Operation fault the native instruction takes at cpl 3."""
    from test_system_interruptions import TO_CPL3

    status, board, pt = _run_system(tmp_path, TO_CPL3, extra=f"""
	.align 16
user:
	{_pt("ssm_i")}
	;;
""")
    g = board.state.g
    assert status == 0x77
    assert g[24] == 0x5400 and g[17] & 0xFF == 0x10     # General Exception, Privileged Operation
    assert (g[16] >> 32) & 3 == 3 and g[18] == board.images[0].symbols["user"]
    assert not pt.counts and not board.state.priv.psr & catalog.PSR_I


def _light_entries_for_as() -> str:
    """The generated light entries with the header's macros expanded (for `as`)."""
    text = passthru_impls.asm_source().split("\t.text\n", 1)[1]
    for name, n in hc.PASSTHRU.items():
        text = text.replace(f"HYPERCALL_PT_{name.upper()}\n", f"{hc.BASE + n:#x}\n")
    return text


@needs_binutils
def test_system_mode_generated_light_entries_with_psr_ic_off_in_physical_mode(tmp_path):
    """The kernel's generated light entries, reached as a patched light site
    reaches them (mov r2 = ip; br.cond), in physical mode with psr.ic = 0:
    setreg and getreg of cr.itir, thash and get_psr_i; each returns to the
    site's end with its result in r8 and the caller's other registers intact."""
    itir = 4096 + 21
    site = "{{ .mib\n\tnop.m 0\n\tmov r2 = ip\n\tbr.cond.sptk.many {entry}\n\t;; }}\n"
    status, board, pt = _run_system(tmp_path, f"""
	rsm psr.ic
	;;
	srlz.d
	movl r9 = 0x3456
	mov r20 = 77
	;;
{site.format(entry=f"__pvcc_light_pt_setreg_{itir}")}
	;;
{site.format(entry=f"__pvcc_light_pt_getreg_{itir}")}
	;;
	mov r4 = r8
	movl r8 = 0x2000000000123456
	;;
{site.format(entry="__pvcc_light_pt_thash")}
	;;
	mov r5 = r8
	;;
{site.format(entry="__pvcc_light_pt_get_psr_i")}
	;;
	mov r6 = r8
	mov r8 = 0x5a
	;;
""", extra=_light_entries_for_as())
    g = board.state.g
    assert status == 0x5A
    assert g[4] == 0x3456 and board.state.priv.cr[21] == 0x3456 and g[20] == 77
    assert g[5] == board.state.priv.thash(0x2000000000123456) and g[6] == 0
    assert dict(pt.counts) == {_name("setreg", itir): 1, _name("getreg", itir): 1, "thash": 1,
                               "get_psr_i": 1}
    assert not board.system.counts


def test_pvcc_sim_run_serves_the_passthru_hypercalls_and_counts_them(cc, tmp_path):
    import sys

    gen = tmp_path / "gen"
    gen.mkdir()
    assert passthru_impls.main([str(gen)]) == 0
    src = tmp_path / "m.c"
    src.write_text('#include "pvcc_passthru.h"\n'
                   'int main(void) { pvcc_pt_ssm_i(); return (int)pvcc_pt_get_psr_i() >> 10; }\n')
    prog = tmp_path / "m"
    cc("-O2", "-I", str(KERNEL), "-I", str(gen), str(src), str(gen / passthru_impls.C_FILE),
       str(gen / passthru_impls.ASM_FILE), "-o", str(prog))
    p = subprocess.run([sys.executable, "-m", "pvcc.sim.cli", "run", "--stats", str(prog)],
                       capture_output=True, text=True, check=False)
    assert p.returncode == catalog.PSR_I >> 10, p.stderr
    assert "pvcc-sim: pass-through hypercalls: 2\n" in p.stderr
    assert "pvcc-sim: get_psr_i: 1\n" in p.stderr and "pvcc-sim: ssm_i: 1\n" in p.stderr


def test_the_light_entries_pass_pvcc_check_callee_and_unwind(gcc, tmp_path, capsys):
    """Rule unwind (rp in r2 and ar.pfs in r0 on entry, then rp in b6) and the
    callee contract, on the assembled light entries."""
    assert passthru_impls.main([str(tmp_path)]) == 0
    obj = tmp_path / "light.o"
    subprocess.run([gcc, "-c", "-mconstant-gp", f"-I{tmp_path}",
                    str(tmp_path / passthru_impls.ASM_FILE), "-o", str(obj)],
                   check=True, capture_output=True, text=True)
    assert check_main([str(obj)]) == 0
    assert check_main(["--callee", str(obj)]) == 0
    out = capsys.readouterr().out
    assert f"{len(catalog.expanded())} light implementation(s), 0 violation(s)" in out


def test_getreg_psr_reads_psr_36_0_as_the_cpu_does():
    """mov r = psr reads PSR{36:0}: psr.it (bit 36) too.  A hypercall that lost
    it made the kernel build user-mode ipsr values with psr.it = 0 (the fifth
    boot's /init was fetched in physical mode)."""
    from pvcc.sim.board import Board

    board = Board(system=True)
    psr = (1 << 36) | (1 << 27) | (1 << 17) | (1 << 13)  # it, rt, dt, ic
    board.state.priv.psr = psr | (1 << 40)   # above PSR{36:0}: not read
    board.state.g[8] = catalog.REG_PSR
    hv = PassThrough(board.ex)
    hv.brk(hc.BASE + hc.PASSTHRU["getreg"], 0x1000)
    assert board.state.g[8] == psr
    assert hv.counts == {"getreg(psr)": 1}
