"""pvcc-sim's privileged machine: CPUID, PSR, control/region registers, ITC,
VHPT hash, the effect log and the hypercalls, on hand-assembled programs."""

from __future__ import annotations

import pytest

from asmtools import needs_binutils
from pvcc.sim import hypercalls as hc
from pvcc.sim.cpu.privileged import CPUID, ITC_START, ITC_STEP
from pvcc.sim.lab import hostile
from simasm import r8, run

pytestmark = needs_binutils


@pytest.mark.parametrize("index", range(5))
def test_cpuid_is_an_itanium2(tmp_path, index):
    assert r8(tmp_path, f"\tmov r9={index}\n\t;;\n\tmov r8=cpuid[r9]\n\t;;\n") == CPUID[index]
    assert CPUID[0].to_bytes(8, "little") + CPUID[1].to_bytes(8, "little")[:4] == b"GenuineIntel"


def test_cpuid_beyond_the_implemented_number_is_an_error(tmp_path):
    r = run(tmp_path, "\tmov r9=5\n\t;;\n\tmov r8=cpuid[r9]\n\t;;\n")
    assert "reserved register" in r.error.msg


def test_itc_is_deterministic_and_counts_reads_not_instructions(tmp_path):
    body = """
	mov r8=ar.itc
	;;
	nop.m 0
	nop.m 0
	;;
	mov r9=ar.itc
	;;
	sub r8=r9,r8
"""
    assert r8(tmp_path, body) == ITC_STEP
    assert r8(tmp_path, "\tmov r8=ar.itc\n\t;;\n") == ITC_START + ITC_STEP


def test_psr_i_through_ssm_rsm_and_the_effect_log(tmp_path):
    body = """
	ssm 0x4000
	;;
	srlz.d
	;;
	mov r9=psr
	;;
	rsm 0x4000
	;;
	mov r10=psr
	;;
"""
    r = run(tmp_path, body)
    assert r.error is None, r.error
    psr_on, psr_off = r.state.g[9], r.state.g[10]
    assert psr_on & (1 << 14) and not psr_off & (1 << 14)
    assert [e[0] for e in r.effects] == ["ssm", "srlz.d", "rsm"]


def test_region_registers_thash_and_effects(tmp_path):
    body = """
	movl r9=0x2000000000000000
	movl r10=(0x123 << 8) | (14 << 2) | 1
	;;
	mov rr[r9]=r10
	;;
	srlz.d
	;;
	mov r11=rr[r9]
	movl r12=0x2000000000123456
	;;
	thash r8=r12
	fc r12
	;;
	ptc.ga r12,r10
	;;
"""
    r = run(tmp_path, body)
    assert r.error is None, r.error
    assert r.state.g[11] == (0x123 << 8) | (14 << 2) | 1
    # short format, pta = size 2**31 at base 0: region bits | (vpn << 3) & mask
    vpn = (0x2000000000123456 & ((1 << 61) - 1)) >> 14
    assert r.state.g[8] == (1 << 61) | ((vpn << 3) & ((1 << 31) - 1))
    names = [e[0] for e in r.effects]
    assert names == ["mov.to.rr", "srlz.d", "fc", "ptc.ga"]
    assert r.effects[2][2] == 0x2000000000123456


def test_kernel_registers_and_control_registers(tmp_path):
    body = """
	mov r9=77
	;;
	mov ar.k3=r9
	mov cr.tpr=r9
	;;
	mov r10=ar.k3
	mov r11=cr.tpr
	mov r12=cr.ivr
	;;
	add r8=r10,r11
"""
    r = run(tmp_path, body)
    assert r.error is None, r.error
    assert r.state.g[8] == 154
    assert r.state.g[12] == 15  # no interrupt pending: the spurious vector


@pytest.mark.parametrize("n, setup, expect", [
    (hc.CPUID, "mov r8=3", CPUID[3]),
    (hc.ITC, "mov r8=0", ITC_START + ITC_STEP),
])
def test_hypercalls(tmp_path, n, setup, expect):
    body = f"\t{setup}\n\t;;\n\tbreak {hc.BASE + n:#x}\n\t;;\n"
    assert r8(tmp_path, body) == expect


def test_clobber_hypercall_changes_scratch_registers_only(tmp_path):
    body = """
	mov r4=4
	mov r9=9
	mov r14=14
	mov r8=1 << 14
	;;
	break CLOBBER_C
	;;
""".replace("CLOBBER_C", f"{hc.BASE + hc.CLOBBER_C:#x}")
    r = run(tmp_path, body, hypercalls=hostile.hypercalls())
    assert r.error is None, r.error
    g = r.state.g
    assert g[4] == 4  # preserved
    assert g[14] == 14  # kept by the mask in r8
    assert g[9] != 9


# Known values in registers of every kind, then one clobber hypercall.
_CLOBBER_SETUP = """
	mov r4=4
	mov r8=8
	mov r14=14
	mov r16=16
	mov r18=18
	mov r20=20
	;;
	setf.sig f6=r14
	setf.sig f16=r16
	setf.sig f40=r20
	mov b1=r16
	mov b6=r16
	mov b7=r18
	;;
"""


@pytest.mark.parametrize("n, mask_reg, changed, kept", [
    # The mask keeps r14 and b6 (bit 32 + 6).
    # C: every scratch register, f6-f15 and f32-f127 too
    (hc.CLOBBER_C, 8, ["r16", "r18", "r20", "b7", "f6", "f40"],
     ["r4", "r14", "b1", "b6", "f16"]),
    # a C function behind a light thunk: the same but f32-f127
    (hc.CLOBBER_THUNKED, 8, ["r16", "r18", "r20", "b7", "f6"],
     ["r4", "r14", "b1", "b6", "f16", "f40"]),
    # light: r2, r3, r8-r11, r14-r17, b6, b7, p6-p15, ar.ccv; every FR is left as it was
    (hc.CLOBBER_LIGHT, 9, ["r8", "r16", "b7"],
     ["r4", "r14", "r18", "r20", "b1", "b6", "f6", "f16", "f40"]),
])
def test_clobber_hypercalls_per_convention(tmp_path, n, mask_reg, changed, kept):
    body = _CLOBBER_SETUP + (f"\tmovl r{mask_reg}={1 << 14 | 1 << 38:#x}\n\t;;\n"
                             f"\tbreak {hc.BASE + n:#x}\n\t;;\n")
    r = run(tmp_path, body, hypercalls=hostile.hypercalls())
    assert r.error is None, r.error
    st = r.state
    before = {"r4": 4, "r8": 8, "r14": 14, "r16": 16, "r18": 18, "r20": 20, "b1": 16, "b6": 16,
              "b7": 18, "f6": 14, "f16": 16, "f40": 20}

    def now(reg: str) -> int:
        kind, num = reg[0], int(reg[1:])
        return {"r": st.g, "b": st.br, "f": st.fs}[kind][num]

    assert [x for x in kept if now(x) != before[x]] == []
    assert [x for x in changed if now(x) == before[x]] == []


@pytest.mark.parametrize("n", sorted(hostile.CLOBBERS))
def test_clobber_hypercalls_are_served_only_when_the_lab_registers_them(tmp_path, n):
    """The user-mode platform itself does not serve the proof's hostile returns."""
    r = run(tmp_path, f"\tmov r8=0\n\tmov r9=0\n\t;;\n\tbreak {hc.BASE + n:#x}\n\t;;\n")
    assert r.error is not None and r.error.msg == f"unknown hypercall {n}"


def test_translation_and_performance_monitor_forms(tmp_path):
    body = """
	movl r9=0x2000000000004000
	mov r10=5
	mov r11=2
	;;
	mov cr.ifa=r9
	mov cr.itir=r10
	;;
	srlz.d
	;;
	itc.d r10
	;;
	itr.i itr[r11]=r10
	;;
	ptc.e r9
	;;
	tpa r12=r9
	ttag r13=r9
	mov pmc[r11]=r10
	;;
	mov r14=pmd[r11]
	mov pmd[r11]=r9
	;;
	mov r17=pmd[r11]
	mov cr.itm=r10
	mov cr.eoi=r0
	;;
	invala
	mf.a
	hint @pause
	;;
	mov r16=psr
	;;
	mov psr.l=r16
	;;
	srlz.i
	;;
"""
    r = run(tmp_path, body)
    assert r.error is None, r.error
    g = r.state.g
    assert g[12] == 0x2000000000004000  # tpa: identity translation
    assert g[14] == 0 and g[17] == 0x2000000000004000
    names = [e[0] for e in r.effects]
    assert names == ["mov.to.cr.ifa", "mov.to.cr.itir", "srlz.d", "itc.d", "itr.i", "ptc.e",
                     "mov.to.pmc", "mov.to.pmd", "mov.to.cr.itm", "mov.to.cr.eoi",
                     "mov.to.psr.l", "srlz.i"]
    assert r.effects[3][2] == 5  # itc.d's operand


def test_ld_c_nc_keeps_the_alat_entry(tmp_path):
    body = """
	movl r20=buf
	;;
	ld4.a r15=[r20]
	;;
	ld4.c.nc r15=[r20]
	;;
	mov r8=1
	chk.a.nc r15,.Lrec
	;;
	br.cond.sptk .Ldone
	;;
.Lrec:
	mov r8=2
	;;
.Ldone:
"""
    r = run(tmp_path, body, data="buf: .quad 9")
    assert r.error is None, r.error
    assert r.state.g[8] == 1
