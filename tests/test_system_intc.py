"""System mode: the interval timer (ar.itc, cr.itm, cr.itv) and the external
interrupt controller (cr.ivr, cr.eoi, cr.tpr, cr.irr0-3) on hand-assembled
programs (tests/systemasm.py).  Sections: SDM volume 2, the Interval Time Counter and Match registers,
5.8.3 (external interrupt control registers), 8 (External Interrupt vector)."""

from __future__ import annotations

from asmtools import needs_binutils
from pvcc.sim.system.intc import ITC_PER_INSN
from systemasm import recorded, run_system, sym

pytestmark = needs_binutils


def wait_itc(label: str, reg: str) -> str:
    """Loop until ar.itc >= ``reg``."""
    return f"""
{label}:
	mov r3 = ar.itc
	;;
	cmp.ltu p6, p7 = r3, {reg}
	;;
	(p6) br.cond.sptk {label}
	;;
"""


# two timer matches with interrupts off: vector 0x30, then 0x50, both pending
TWO_PENDING = f"""
	mov ar.itc = r0
	mov r2 = 0x30
	;;
	mov cr.itv = r2
	mov cr.tpr = r0
	mov r4 = 50
	;;
	mov cr.itm = r4
	mov r4 = 100
	;;
{wait_itc("w1", "r4")}
	mov r2 = 0x50
	;;
	mov cr.itv = r2
	mov r4 = 150
	;;
	mov cr.itm = r4
	mov r4 = 200
	;;
{wait_itc("w2", "r4")}
	mov r14 = cr.irr0
	mov r15 = cr.irr1
	;;
"""


def test_timer_interrupt_after_n_itc_ticks(tmp_path):
    """Interval Time Counter: ar.itc counts up; when it reaches cr.itm the timer interrupt
    (cr.itv.vector) is pending; with psr.i = 1 and tpr 0 the External Interrupt
    vector is taken (8) and cr.ivr reads the vector."""
    n = 1000
    r = run_system(tmp_path, f"""
	mov ar.itc = r0
	mov r2 = 0xef
	;;
	mov cr.itv = r2
	mov cr.tpr = r0
	movl r3 = {n}
	;;
	mov cr.itm = r3
	;;
	ssm psr.i
	;;
	srlz.d
	;;
spin:
	br.cond.sptk spin
	;;
""", handlers={"External Interrupt": """
	mov r27 = ar.itc
	mov r28 = cr.ivr
	;;
	br.cond.sptk record
	;;
"""}, extra="""
record:
	mov r16 = cr.ipsr
	mov r18 = cr.iip
	mov r24 = 0x3000
	mov r8 = 0x77
	;;
	break 0x1f0000
	;;
""")
    assert r.error is None and r.status == 0x77
    g = r.state.g
    assert g[24] == 0x3000 and g[28] == 0xEF
    assert n <= g[27] < n + 20 * ITC_PER_INSN  # taken within a few bundles of the match
    assert g[18] == sym(r, "spin") and g[16] & (1 << 14)
    assert r.system.counts["External Interrupt"] == 1 and r.system.timer.fired == 1


def test_ivr_eoi_sequence_with_two_pending_vectors(tmp_path):
    """5.8.3.2: cr.ivr returns the highest pending unmasked vector and puts it in
    service; a pending vector of lower priority than one in service is masked
    (ivr = 15, spurious); 5.8.3.4: cr.eoi ends the highest in-service vector."""
    r = run_system(tmp_path, TWO_PENDING + """
	mov r8 = cr.ivr
	;;
	srlz.d
	mov r9 = cr.ivr
	;;
	srlz.d
	mov cr.eoi = r0
	;;
	srlz.d
	mov r10 = cr.ivr
	;;
	srlz.d
	mov cr.eoi = r0
	;;
	srlz.d
	mov r11 = cr.ivr
	mov r16 = cr.irr0
	mov r17 = cr.irr1
	;;
""")
    assert r.error is None, r.error
    g = r.state.g
    assert (g[14], g[15]) == (1 << 0x30, 1 << (0x50 - 64))
    assert (g[8], g[9], g[10], g[11]) == (0x50, 15, 0x30, 15)
    assert (g[16], g[17]) == (0, 0)


def test_tpr_masks_by_priority_class(tmp_path):
    """5.8.3.3: vectors of a priority class <= cr.tpr.mic are masked (ivr reads
    15 and psr.i = 1 takes no interrupt); lowering tpr lets the highest through."""
    r = run_system(tmp_path, TWO_PENDING + """
	mov r2 = 0x50
	;;
	mov cr.tpr = r2
	;;
	srlz.d
	mov r8 = cr.ivr
	;;
	ssm psr.i
	;;
	srlz.d
	mov r9 = 1
	mov r2 = 0x40
	;;
	mov cr.tpr = r2
	;;
	srlz.d
	mov r9 = 2
	;;
""", handlers={"External Interrupt": """
	mov r10 = cr.ivr
	;;
	br.cond.sptk record
	;;
"""}, extra="""
record:
	mov r24 = 0x3000
	mov r8 = 0x77
	;;
	break 0x1f0000
	;;
""")
    assert r.error is None and r.status == 0x77
    g = r.state.g
    assert g[9] == 1  # not delivered while tpr.mic = 5
    assert g[10] == 0x50 and r.system.intc.irr == 1 << 0x30


def test_tpr_mmi_masks_everything(tmp_path):
    r = run_system(tmp_path, TWO_PENDING + """
	movl r2 = 0x10000
	;;
	mov cr.tpr = r2
	;;
	srlz.d
	mov r8 = cr.ivr
	;;
""")
    assert r.error is None and r.status == 15


def test_masked_itv_posts_nothing(tmp_path):
    r = run_system(tmp_path, """
	mov ar.itc = r0
	movl r2 = 0x100ef
	;;
	mov cr.itv = r2
	mov cr.tpr = r0
	mov r4 = 20
	;;
	mov cr.itm = r4
	mov r4 = 60
	;;
""" + wait_itc("w", "r4") + """
	mov r8 = cr.ivr
	;;
""")
    assert r.error is None and r.status == 15 and r.system.timer.fired == 0


def test_itc_advances_with_executed_instructions(tmp_path):
    r = run_system(tmp_path, """
	mov ar.itc = r0
	;;
	mov r8 = ar.itc
	;;
	nop.m 0
	nop.m 0
	nop.m 0
	;;
	mov r9 = ar.itc
	;;
""")
    g = r.state.g
    assert r.error is None and g[9] - g[8] == 6 * ITC_PER_INSN  # two bundles in between


def test_lid_and_masks_read_back(tmp_path):
    r = run_system(tmp_path, """
	mov r8 = cr.lid
	mov r9 = cr.pmv
	mov r10 = cr.cmcv
	mov r11 = cr.lrr0
	mov r14 = cr.lrr1
	mov r15 = cr.itv
	;;
""")
    g = r.state.g
    assert r.error is None and g[8] == 0
    assert {g[9], g[10], g[11], g[14], g[15]} == {1 << 16}


def test_interrupt_taken_in_the_handler_state(tmp_path):
    """5.5: the External Interrupt is a trap on the next instruction: cr.iip is
    the bundle after the one that ran, isr.ei its slot; ipsr.i = 1."""
    r = run_system(tmp_path, """
	mov ar.itc = r0
	mov r2 = 0xef
	;;
	mov cr.itv = r2
	mov cr.tpr = r0
	mov r3 = 30
	;;
	mov cr.itm = r3
	;;
	ssm psr.i
	;;
spin:
	br.cond.sptk spin
	;;
""")
    rec = recorded(r)
    assert rec["vector"] == 0x3000 and rec["iip"] == sym(r, "spin")
    assert rec["ipsr"] & (1 << 14) and not rec["psr"] & (1 << 14)


def test_pending_interrupt_taken_once_psr_i_is_set(tmp_path):
    """A vector pending while psr.i = 0 is taken once ssm psr.i (and the srlz.d
    after it) has run: cr.ivr then returns the highest one."""
    r = run_system(tmp_path, TWO_PENDING + """
	ssm psr.i
	;;
	srlz.d
	;;
spin:
	br.cond.sptk spin
	;;
""", handlers={"External Interrupt": """
	mov r28 = cr.ivr
	;;
	br.cond.sptk record
	;;
"""}, extra="""
record:
	mov r24 = 0x3000
	mov r8 = 0x77
	;;
	break 0x1f0000
	;;
""")
    assert r.error is None and r.status == 0x77 and r.state.g[28] == 0x50
