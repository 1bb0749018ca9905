"""System mode: interruption delivery, rfi, bsw, cover, privilege and the General
Exception, Disabled FP-Register, NaT Consumption, Unaligned Reference,
Speculation and Break vectors, on hand-assembled programs with a vector table
of their own (tests/systemasm.py), entered in physical mode.

Section numbers are the Intel Itanium Architecture Software Developer's
Manual, volume 2 (system architecture), unless volume 3 is named."""

from __future__ import annotations

import pytest

from asmtools import needs_binutils
from systemasm import RECORDED, recorded, run_system, sym

pytestmark = needs_binutils

PSR_IC, PSR_I, PSR_DT, PSR_DFL, PSR_DFH, PSR_BN = 1 << 13, 1 << 14, 1 << 17, 1 << 18, 1 << 19, 1 << 44
ISR_R, ISR_W, ISR_NI = 1 << 34, 1 << 33, 1 << 39

# leave collection on, drop to cpl 3 at `user` through rfi (5.5, vol. 3 rfi)
TO_CPL3 = """
	rsm psr.ic
	;;
	srlz.d
	movl r2 = user
	movl r3 = 0x100300002000
	;;
	mov cr.iip = r2
	mov cr.ipsr = r3
	mov cr.ifs = r0
	;;
	rfi
	;;
"""


def ri(ipsr: int) -> int:
    return (ipsr >> 41) & 3


def ei(isr: int) -> int:
    return (isr >> 41) & 3


def test_break_writes_iim_and_the_interruption_state(tmp_path):
    """5.5: ipsr = psr (ri = the slot), iip = the faulting bundle, iipa = the last
    bundle an instruction completed in, isr.ei = the slot; 8 Break Instruction vector:
    cr.iim = the immediate; the handler starts with ic = i = bn = cpl = 0."""
    r = run_system(tmp_path, """
	mov r8 = 5
	;;
	{ .mii
	  nop.m 0
	  nop.i 0
	  break.i 0x1234
	;; }
""")
    rec = recorded(r)
    assert rec["vector"] == 0x2C00
    assert rec["iim"] == 0x1234
    here = rec["iip"]
    assert here & 15 == 0 and ri(rec["ipsr"]) == 2 and ei(rec["isr"]) == 2
    assert rec["iipa"] == here  # slots 0 and 1 of the bundle completed
    assert rec["ipsr"] & PSR_IC and rec["ipsr"] & PSR_BN
    assert rec["psr"] & (PSR_IC | PSR_I | PSR_BN | (3 << 32)) == 0
    assert rec["isr"] & ISR_NI == 0
    assert r.system.counts["Break Instruction"] == 1


def test_iipa_is_the_previous_bundle_for_a_fault_in_slot_0(tmp_path):
    r = run_system(tmp_path, """
	mov r8 = 5
	;;
	break.m 0x1
	;;
""")
    rec = recorded(r)
    assert ri(rec["ipsr"]) == 0 and rec["iipa"] == rec["iip"] - 16


def test_privileged_operation_at_cpl_3(tmp_path):
    """vol. 3 (privileged instructions), 8 General Exception: a privileged instruction at cpl 3 is a
    Privileged Operation fault, ISR.code{7:4} = 1; ipsr keeps cpl 3 and the
    handler runs at cpl 0."""
    r = run_system(tmp_path, TO_CPL3, extra="""
	.align 16
user:
	{ .mmi
	  nop.m 0
	  mov r3 = psr
	  nop.i 0
	;; }
""")
    rec = recorded(r)
    assert rec["vector"] == 0x5400
    assert rec["isr"] & 0xFF == 0x10
    assert (rec["ipsr"] >> 32) & 3 == 3
    assert rec["iip"] == sym(r, "user") and ri(rec["ipsr"]) == 1 and ei(rec["isr"]) == 1
    assert (rec["psr"] >> 32) & 3 == 0


def test_privileged_register_at_cpl_3(tmp_path):
    """8 General Exception: writing a kernel register (ar.k0) at cpl 3 is a Privileged
    Register fault, ISR.code{7:4} = 2."""
    r = run_system(tmp_path, TO_CPL3, extra="""
	.align 16
user:
	mov r2 = 1
	;;
	mov ar.k0 = r2
	;;
""")
    rec = recorded(r)
    assert rec["vector"] == 0x5400 and rec["isr"] & 0xFF == 0x20


def test_a_false_predicate_suppresses_the_privilege_fault(tmp_path):
    r = run_system(tmp_path, TO_CPL3, extra="""
	.align 16
user:
	cmp.eq p6, p7 = r0, r0
	;;
	(p7) mov r3 = psr
	mov r8 = 9
	;;
	break 0x1f0000
	;;
""")
    assert r.error is None and r.status == 9


def test_interruption_registers_need_psr_ic_0(tmp_path):
    """3.3.5: reading an interruption control register with psr.ic = 1 is an
    Illegal Operation fault (General Exception, ISR.code 0)."""
    r = run_system(tmp_path, """
	mov r3 = cr.ifa
	;;
""")
    rec = recorded(r)
    assert rec["vector"] == 0x5400 and rec["isr"] & 0xFF == 0x00


def test_reserved_control_register(tmp_path):
    """The control register table: cr3 is reserved: moving from it is an Illegal Operation fault."""
    r = run_system(tmp_path, """
	mov r3 = cr3
	;;
""")
    assert recorded(r)["vector"] == 0x5400


def test_reserved_region_register_field(tmp_path):
    """Region registers, 8 General Exception: a region register with a reserved field set (bit 1) is a
    Reserved Register/Field fault, ISR.code{7:4} = 3."""
    r = run_system(tmp_path, """
	movl r2 = 0x2000000000000000
	mov r3 = 0x3a
	;;
	mov rr[r2] = r3
	;;
""")
    rec = recorded(r)
    assert rec["vector"] == 0x5400 and rec["isr"] & 0xF0 == 0x30


@pytest.mark.parametrize("slot", [1, 2])
def test_rfi_resumes_at_ipsr_ri(tmp_path, slot):
    """vol. 3 rfi: execution resumes at cr.iip, slot cr.ipsr.ri; the bundle's
    earlier slots do not run."""
    ipsr = PSR_IC | PSR_BN | slot << 41
    r = run_system(tmp_path, f"""
	rsm psr.ic
	;;
	srlz.d
	movl r2 = target
	movl r3 = {ipsr:#x}
	;;
	mov cr.iip = r2
	mov cr.ipsr = r3
	mov cr.ifs = r0
	mov r9 = 0
	mov r10 = 0
	mov r11 = 0
	;;
	rfi
	;;
""", extra="""
	.align 16
target:
	{ .mii
	  mov r9 = 1
	  mov r10 = 2
	  mov r11 = 3
	;; }
	mov r8 = 0
	;;
	break 0x1f0000
	;;
""")
    assert r.error is None, r.error
    g = r.state.g
    assert (g[9], g[10], g[11]) == ((0, 2, 3) if slot == 1 else (0, 0, 3))
    assert r.state.priv.psr & PSR_IC and (r.state.priv.psr >> 41) & 3 == 0


def test_cover_and_rfi_with_ifs_v_restore_the_frame(tmp_path):
    """vol. 3 cover: with psr.ic = 0 cover writes cr.ifs = v | CFM and empties the
    frame; rfi with cr.ifs.v = 1 makes that frame current again (5.5)."""
    r = run_system(tmp_path, """
	alloc r35 = ar.pfs, 0, 4, 0, 0
	;;
	mov r32 = 11
	mov r33 = 22
	;;
	rsm psr.ic
	;;
	srlz.d
	;;
	cover
	;;
	mov r14 = cr.ifs
	;;
	alloc r33 = ar.pfs, 0, 2, 0, 0
	;;
	mov r32 = 99
	movl r2 = target
	movl r3 = 0x100000002000
	;;
	mov cr.iip = r2
	mov cr.ipsr = r3
	;;
	rfi
	;;
""", extra="""
	.align 16
target:
	mov r8 = r32
	mov r9 = r33
	;;
	break 0x1f0000
	;;
""")
    assert r.error is None, r.error
    g = r.state.g
    assert g[14] == (1 << 63) | 4 | 4 << 7
    assert (g[8], g[9]) == (11, 22) and r.state.rse.sof == 4 and r.state.rse.sol == 4


def test_bsw_switches_r16_to_r31(tmp_path):
    """psr.bn, vol. 3 bsw: r16-r31 have two banks; bsw.0/bsw.1 select one."""
    r = run_system(tmp_path, """
	mov r16 = 1
	mov r31 = 31
	;;
	bsw.0
	;;
	mov r16 = 2
	;;
	bsw.1
	;;
	mov r8 = r16
	mov r10 = r31
	;;
	bsw.0
	;;
	mov r9 = r16
	;;
	bsw.1
	;;
""")
    assert r.error is None and r.status == 1
    assert r.state.g[9] == 2 and r.state.g[10] == 31


def test_interruption_switches_to_bank_0_and_rfi_back(tmp_path):
    """5.5: with psr.bn = 1 an interruption makes bank 0 current (the handler's
    r16-r31); rfi with ipsr.bn = 1 brings bank 1 back."""
    r = run_system(tmp_path, """
	mov r16 = 0x16
	;;
	{ .mii
	  nop.m 0
	  nop.i 0
	  break.i 7
	;; }
	mov r8 = r16
	;;
""", handlers={"Break Instruction": """
	mov r16 = 0x99
	mov r17 = cr.iip
	mov r18 = cr.ipsr
	;;
	adds r17 = 16, r17
	dep r18 = 0, r18, 41, 2
	;;
	mov cr.iip = r17
	mov cr.ipsr = r18
	;;
	rfi
	;;
"""})
    assert r.error is None and r.status == 0x16


def test_disabled_fp_register_high_partition(tmp_path):
    """psr.dfh, 8 Disabled FP-Register vector: a reference to f32-f127 with
    psr.dfh = 1 faults; ISR.code{1} = 1 (dfh)."""
    r = run_system(tmp_path, """
	ssm psr.dfh
	;;
	srlz.d
	;;
	mov f32 = f33
	;;
""")
    rec = recorded(r)
    assert rec["vector"] == 0x5500 and rec["isr"] & 3 == 2 and rec["ipsr"] & PSR_DFH


def test_disabled_fp_register_low_partition(tmp_path):
    r = run_system(tmp_path, """
	ssm psr.dfl
	;;
	srlz.d
	movl r2 = 0x200000
	;;
	ldf8 f6 = [r2]
	;;
""")
    rec = recorded(r)
    assert rec["vector"] == 0x5500 and rec["isr"] & 3 == 1


def test_unaligned_reference(tmp_path):
    """8 Unaligned Reference vector: cr.ifa = the address, ISR.r for a load."""
    r = run_system(tmp_path, """
	movl r2 = 0x200001
	;;
	ld8 r3 = [r2]
	;;
""")
    rec = recorded(r)
    assert rec["vector"] == 0x5A00 and rec["ifa"] == 0x200001
    assert rec["isr"] & ISR_R and not rec["isr"] & ISR_W


def test_speculative_load_defers_and_nat_consumption(tmp_path):
    """5.5.5: in physical mode a speculative load defers (its target is NaT,
    the model defers there always); 8 NaT Consumption vector: a load through the NaT
    address faults with ISR.code{7:4} = 1 (register NaT consumption) and ISR.r."""
    r = run_system(tmp_path, """
	movl r2 = 0x200000
	;;
	ld8.s r3 = [r2]
	;;
	tnat.nz p6, p7 = r3
	;;
	(p6) mov r9 = 1
	;;
	ld8 r4 = [r3]
	;;
""")
    rec = recorded(r)
    assert r.state.g[9] == 1
    assert rec["vector"] == 0x5600 and rec["isr"] & 0xF0 == 0x10 and rec["isr"] & ISR_R


def test_speculation_vector_when_chk_faults(tmp_path):
    """8 Speculation vector: an implementation may fault on a failing chk instead of
    branching; cr.iim = the chk's imm21 (target - bundle, in bundles)."""
    body = """
	movl r2 = 0x200000
	;;
	ld8.s r3 = [r2]
	;;
chk_here:
	chk.s r3, recover
	;;
	mov r8 = 1
	;;
	break 0x1f0000
	;;
recover:
	mov r8 = 2
	;;
"""
    r = run_system(tmp_path, body, chk_faults=True)
    rec = recorded(r)
    assert rec["vector"] == 0x5700
    assert rec["iim"] == ((sym(r, "recover") - sym(r, "chk_here")) >> 4) & 0x1FFFFF
    r2 = run_system(tmp_path, body)  # the default: the chk branches
    assert r2.error is None and r2.status == 2


def test_no_ivt_is_a_located_error(tmp_path):
    r = run_system(tmp_path, """
	mov cr.iva = r0
	;;
	break 0x55
	;;
""")
    assert r.status is None and r.error is not None
    assert "Break Instruction" in r.error.msg and "cr.iva unset" in r.error.msg
    assert "iim=" in r.error.msg and "\n" not in r.error.msg
    assert r.where.startswith("_start+")


def test_fault_with_psr_ic_0_is_a_located_error(tmp_path):
    """5.5: with psr.ic = 0 an interruption other than Data Nested TLB saves no
    state to return to: the model stops, naming the vector."""
    r = run_system(tmp_path, """
	rsm psr.ic
	;;
	srlz.d
	;;
	break 0x55
	;;
""")
    assert r.status is None and "Break Instruction" in r.error.msg
    assert "psr.ic = 0" in r.error.msg


def test_rfi_to_missing_memory_is_a_located_error(tmp_path):
    r = run_system(tmp_path, """
	rsm psr.ic
	;;
	srlz.d
	movl r2 = 0x800000000
	movl r3 = 0x100000002000
	;;
	mov cr.iip = r2
	mov cr.ipsr = r3
	;;
	rfi
	;;
""")
    assert r.status is None and "rfi to unmapped code at 0x800000000" in r.error.msg
    assert "iip=0x800000000" in r.error.msg


def test_stop_status(tmp_path):
    r = run_system(tmp_path, "\tmov r8 = 3\n\t;;")
    assert r.error is None and r.status == 3 and RECORDED != 3


def test_pvcc_sim_bare_reports_one_line(tmp_path, capsys):
    """`pvcc-sim bare`: a model error is one located line and status 125."""
    from pvcc.sim.cli import main
    from systemasm import program

    prog = program(tmp_path, "\tmov cr.iva = r0\n\t;;\n\tbreak 0x55\n\t;;")
    assert main(["bare", str(prog)]) == 125
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("pvcc-sim: error: _start+0x")
    assert "Break Instruction" in err and "cr.iva unset" in err and "Traceback" not in err
    ok = program(tmp_path, "\tmov r8 = 7\n\t;;", name="ok")
    assert main(["bare", str(ok)]) == 7


def test_max_insns_stops_a_system_mode_loop(tmp_path):
    from pvcc.sim.errors import LimitError

    r = run_system(tmp_path, "spin:\n\tbr.cond.sptk spin\n\t;;", max_insns=1000)
    assert isinstance(r.error, LimitError) and r.status is None
    assert 1000 < r.system.timer.icount <= 1003  # slots of the bundles run, as user mode counts


def test_reading_outside_the_frame_is_illegal(tmp_path):
    """A stacked register beyond the current frame (sof) is an Illegal Operation
    fault (General Exception, ISR.code 0) in system mode."""
    r = run_system(tmp_path, """
	alloc r33 = ar.pfs, 0, 2, 0, 0
	;;
	add r8 = r40, r0
	;;
""")
    rec = recorded(r)
    assert rec["vector"] == 0x5400 and rec["isr"] & 0xFF == 0


def test_a_fault_leaves_precise_state(tmp_path):
    """5.5: the slots before the faulting one completed, it and the later ones
    did not (a bundle runs as one compiled function in the model)."""
    r = run_system(tmp_path, """
	movl r2 = 0x200004
	mov r3 = 7
	mov r9 = 0
	mov r10 = 0
	;;
	{ .mmi
	  adds r9 = 1, r9
	  ld8 r3 = [r2]
	  adds r10 = 1, r10
	;; }
""")
    rec = recorded(r)
    assert rec["vector"] == 0x5A00 and ri(rec["ipsr"]) == 1
    g = r.state.g
    assert (g[9], g[3], g[10]) == (1, 7, 0)


def test_reserved_cpuid_and_ar_bsp_write(tmp_path):
    """vol. 3 mov =cpuid: an index beyond cpuid[3].number is a Reserved
    Register/Field fault; ar.bsp is read-only (Illegal Operation)."""
    r = run_system(tmp_path, """
	mov r2 = 9
	;;
	mov r3 = cpuid[r2]
	;;
""")
    rec = recorded(r)
    assert rec["vector"] == 0x5400 and rec["isr"] & 0xF0 == 0x30
    r = run_system(tmp_path, """
	mov ar.bsp = r0
	;;
""")
    rec = recorded(r)
    assert rec["vector"] == 0x5400 and rec["isr"] & 0xFF == 0


def test_single_step_is_not_modelled(tmp_path):
    """A PSR bit whose traps the model lacks stops the run naming it."""
    r = run_system(tmp_path, """
	rsm psr.ic
	;;
	srlz.d
	movl r2 = target
	movl r3 = (1 << 40) | (1 << 44) | (1 << 13)
	;;
	mov cr.iip = r2
	mov cr.ipsr = r3
	;;
	rfi
	;;
target:
	mov r8 = 1
	;;
""")
    assert r.status is None and "psr.ss = 1: not modelled" in r.error.msg


def test_fr_writes_set_psr_mfl_and_mfh(tmp_path):
    """Processor Status Register: psr.mfl / psr.mfh are set by a write of f2-f31 /
    f32-f127 (the operating system's lazy FP save relies on them)."""
    r = run_system(tmp_path, """
	rum 0x30
	;;
	mov r8 = psr.um
	;;
	mov f6 = f1
	;;
	mov r9 = psr.um
	;;
	mov f40 = f1
	;;
	mov r10 = psr.um
	;;
""")
    g = r.state.g
    assert r.error is None and (g[8] & 0x30, g[9] & 0x30, g[10] & 0x30) == (0, 0x10, 0x30)
