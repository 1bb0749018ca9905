"""Speculation in pvcc-sim: control speculation (ld.s, NaT propagation, chk.s),
data speculation (ld.a, the ALAT, ld.c, chk.a) in both --spec modes."""

from __future__ import annotations

import pytest

from asmtools import needs_binutils
from simasm import run

pytestmark = needs_binutils
DATA = "buf: .quad 0x1234, 0, 0, 0\n"


def _r8(tmp_path, body, spec):
    r = run(tmp_path, "\tmovl r20=buf\n\t;;\n" + body, data=DATA, spec=spec)
    assert r.error is None, f"{r.where}: {r.error.msg}"
    return r.state.g[8]


def _checked(load: str, check: str = "chk.s r16,.Lrec") -> str:
    """r8 = 1 + loaded value if the check passes, 2 if recovery ran."""
    return f"""
	{load}
	;;
	adds r16=1,r15
	;;
	mov r8=r16
	{check}
	;;
	br.cond.sptk .Ldone
	;;
.Lrec:
	mov r8=2
	;;
.Ldone:
"""


@pytest.mark.parametrize("spec, expect", [("succeed", 0x1235), ("fail", 2)])
def test_ld_s_of_a_valid_address(tmp_path, spec, expect):
    assert _r8(tmp_path, _checked("ld8.s r15=[r20]"), spec) == expect


@pytest.mark.parametrize("spec", ["succeed", "fail"])
def test_ld_s_of_an_unmapped_address_defers_and_nat_propagates(tmp_path, spec):
    body = "\tmov r20=16\n\t;;\n" + _checked("ld8.s r15=[r20]")
    assert _r8(tmp_path, body, spec) == 2


@pytest.mark.parametrize("spec", ["succeed", "fail"])
def test_compare_of_a_nat_clears_both_predicates(tmp_path, spec):
    body = """
	mov r20=16
	;;
	ld8.s r15=[r20]
	;;
	cmp.eq p6,p7=r15,r0
	mov r8=0
	;;
(p6)	adds r8=1,r8
(p7)	adds r8=2,r8
"""
    assert _r8(tmp_path, body, spec) == 0


def test_storing_a_nat_is_a_nat_consumption_fault(tmp_path):
    body = "\tmov r21=16\n\t;;\n\tld8.s r15=[r21]\n\t;;\n\tst8 [r20]=r15\n\t;;\n"
    r = run(tmp_path, "\tmovl r20=buf\n\t;;\n" + body, data=DATA)
    assert r.error is not None, "st8 of a NaT ran without a fault"
    assert r.error.msg == "st8 [r20]=r15: NaT consumption (r15)"


def test_spill_and_fill_keep_the_nat_bit(tmp_path):
    body = """
	mov r21=16
	;;
	ld8.s r15=[r21]
	;;
	st8.spill [r20]=r15
	;;
	mov r9=ar.unat
	ld8.fill r16=[r20]
	;;
	mov r8=1
	chk.s r16,.Lrec
	;;
	br.cond.sptk .Ldone
	;;
.Lrec:
	mov r8=2
	;;
.Ldone:
"""
    r = run(tmp_path, "\tmovl r20=buf\n\t;;\n" + body, data=DATA)
    assert r.error is None, f"{r.where}: {r.error.msg}"
    assert r.state.g[8] == 2
    buf = r.state.g[20]
    assert r.state.g[9] == 1 << ((buf >> 3) & 63)


@pytest.mark.parametrize("spec, expect", [("succeed", 0x1235), ("fail", 2)])
def test_chk_a_hits_unless_the_alat_misses(tmp_path, spec, expect):
    assert _r8(tmp_path, _checked("ld8.a r15=[r20]", "chk.a.clr r15,.Lrec"), spec) == expect


@pytest.mark.parametrize("spec", ["succeed", "fail"])
def test_an_overlapping_store_invalidates_the_alat_entry(tmp_path, spec):
    body = """
	ld8.a r15=[r20]
	mov r16=5
	;;
	adds r21=4,r20
	;;
	st4 [r21]=r16
	;;
	ld8.c.clr r15=[r20]
	;;
	mov r8=r15
"""
    assert _r8(tmp_path, body, spec) == (5 << 32) | 0x1234


@pytest.mark.parametrize("spec, expect", [("succeed", 0x1235), ("fail", 2)])
def test_ld_sa(tmp_path, spec, expect):
    assert _r8(tmp_path, _checked("ld8.sa r15=[r20]", "chk.a.nc r15,.Lrec"), spec) == expect


@pytest.mark.parametrize("spec, recoveries", [("succeed", 0), ("fail", 1)])
def test_recoveries_are_counted(tmp_path, spec, recoveries):
    r = run(tmp_path, "\tmovl r20=buf\n\t;;\n" + _checked("ld8.s r15=[r20]"), data=DATA,
            spec=spec)
    assert r.error is None, f"{r.where}: {r.error.msg}"
    assert r.counters["speculation recoveries"] == recoveries
