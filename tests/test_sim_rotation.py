"""Register rotation and the other CPU forms the Linux boot path needed
(pvcc-sim boot): modulo-scheduled loop branches, rrb and the predicate moves,
mov ar.bspstore with dirty registers, the ALAT forms of ldf8, brp, mov =psr.

SDM vol. 1 4.5.1 (register rotation), 4.4.6 (predicate register transfers:
"as if CFM.rrb.pr were zero"), vol. 3 "br" (ctop/cexit/wtop/wexit pseudo-code),
vol. 2 6.4 (writing ar.bspstore moves the dirty partition).
"""

from __future__ import annotations

from asmtools import needs_binutils
from pvcc.sim.cpu import fparith
from simasm import r8

# the exit stub's alloc changes sor: the rename bases must be 0 again (SDM vol. 3 alloc)
CLEAR = "\t;;\n\tclrrrb\n\t;;\n"

pytestmark = needs_binutils


def test_ctop_rotates_general_registers(tmp_path):
    # one taken ctop (LC 1 -> 0): r32's value is r33's after it; the second
    # ctop (LC 0, EC 0) falls through without rotating
    body = """
	alloc r2=ar.pfs,0,8,0,8
	mov r32=5
	mov r33=7
	mov ar.lc=1
	mov ar.ec=0
	;;
1:	br.ctop.sptk.few 1b
	;;
	mov r8=r33
"""
    assert r8(tmp_path, body + CLEAR) == 5


def test_ctop_counts_lc_then_ec(tmp_path):
    # LC = 2, EC = 3: taken while LC != 0 (2) and while EC > 1 (2 more), then falls
    # through on EC = 1: four rotations, r9 counts the iterations
    body = """
	alloc r2=ar.pfs,0,8,0,8
	mov r9=0
	mov ar.lc=2
	mov ar.ec=3
	;;
1:	add r9=1,r9
	br.ctop.sptk.few 1b
	;;
	mov r10=ar.ec
	;;
	shl r8=r9,8
	;;
	or r8=r8,r10
"""
    assert r8(tmp_path, body + CLEAR) == (5 << 8) | 0


def test_ctop_sets_p16_and_mov_from_pr_is_physical(tmp_path):
    # ctop with LC != 0 writes p63 = 1 and rotates it into p16; mov r=pr reads
    # the predicates as if rrb.pr were 0: the 1 is in physical p63
    body = """
	alloc r2=ar.pfs,0,8,0,8
	mov pr.rot=0
	mov ar.lc=1
	mov ar.ec=0
	;;
1:	br.ctop.sptk.few 1b
	;;
	mov r8=0
	;;
(p16)	mov r8=1
	mov r9=pr
	;;
	shr.u r9=r9,63
	;;
	shl r8=r8,1
	;;
	or r8=r8,r9
"""
    assert r8(tmp_path, body + CLEAR) == 0b11


def test_pr_restored_after_rotation_survives_the_return(tmp_path):
    # Linux's memcpy: save pr, rotate, restore pr with mask -1, br.ret.  The
    # caller's p16-p20 come back as they were.
    body = """
	alloc r2=ar.pfs,0,2,0,0
	mov pr.rot=0
	;;
	cmp.eq p17,p18=r0,r0
	cmp.eq p19,p20=r0,r0
	;;
	br.call.sptk.many b0=rotfn
	;;
	mov r8=0
	;;
(p17)	or r8=1,r8
	;;
(p18)	or r8=2,r8
	;;
(p19)	or r8=4,r8
	;;
(p20)	or r8=8,r8
"""
    extra = """
	.proc rotfn
rotfn:
	alloc r3=ar.pfs,0,16,0,16
	mov r11=pr
	mov ar.lc=4
	mov ar.ec=1
	;;
	mov pr.rot=1<<16
	;;
1:	br.ctop.sptk.few 1b
	;;
	mov pr=r11,-1
	mov ar.pfs=r3
	;;
	br.ret.sptk.many b0
	.endp rotfn
"""
    assert r8(tmp_path, body, extra=extra) == 0b0101


def test_wtop_uses_its_predicate_as_the_condition(tmp_path):
    # (p6) br.wtop: taken while p6; once p6 is 0, EC counts down (EC 2: one more)
    body = """
	alloc r2=ar.pfs,0,8,0,8
	mov r9=0
	mov ar.ec=2
	;;
1:	add r9=1,r9
	;;
	cmp.gt p6,p7=3,r9
	;;
(p6)	br.wtop.sptk.few 1b
	;;
	mov r8=r9
"""
    assert r8(tmp_path, body + CLEAR) == 4


def test_clrrrb_undoes_the_rotation(tmp_path):
    body = """
	alloc r2=ar.pfs,0,8,0,8
	mov r32=5
	mov ar.lc=1
	mov ar.ec=0
	;;
1:	br.ctop.sptk.few 1b
	;;
	clrrrb
	;;
	mov r8=r32
"""
    assert r8(tmp_path, body) == 5


def test_bspstore_write_moves_the_dirty_registers(tmp_path):
    # the caller's two locals are dirty when the callee moves ar.bspstore: bsp
    # becomes the new bspstore + 16, flushrs stores them there, and the return
    # fills them back from the new place
    body = """
	alloc r2=ar.pfs,0,2,0,0
	movl r32=0x1234
	movl r33=0x5678
	;;
	br.call.sptk.many b0=movebs
	;;
	sub r9=r32,r9
	sub r10=r33,r10
	;;
	or r8=r9,r10
	;;
	add r8=r8,r11
"""
    extra = """
	.proc movebs
movebs:
	alloc r3=ar.pfs,0,1,0,0
	mov ar.rsc=0
	;;
	movl r21=newbs
	;;
	mov ar.bspstore=r21
	;;
	mov r22=ar.bsp
	;;
	sub r11=r22,r21
	;;
	adds r11=-16,r11
	flushrs
	;;
	ld8 r9=[r21],8
	;;
	ld8 r10=[r21]
	mov ar.pfs=r3
	;;
	br.ret.sptk.many b0
	.endp movebs
"""
    data = "\t.align 512\nnewbs: .skip 1024\n"
    assert r8(tmp_path, body, extra=extra, data=data) == 0


def test_ldf8_advanced_and_check(tmp_path):
    # ldf8.a, a store to the same address, ldf8.c.clr reloads; without the store
    # the check load keeps the first value
    body = """
	movl r14=buf
	mov r15=9
	;;
	ldf8.a f6=[r14]
	;;
	st8 [r14]=r15
	;;
	ldf8.c.clr f6=[r14]
	;;
	getf.sig r8=f6
"""
    assert r8(tmp_path, body, data="buf: .quad 3\n") == 9


def test_brp_is_a_hint(tmp_path):
    body = """
	mov r8=3
	brp.loop.imp 1f,2f
	;;
1:	nop.i 0
2:	nop.i 0
	;;
"""
    assert r8(tmp_path, body) == 3


def test_mov_from_psr_reads_bit_36(tmp_path):
    # the user-mode harness runs with psr.it = 1; mov r=psr reads PSR{36:0}
    assert (r8(tmp_path, "\tmov r8=psr\n\t;;\n") >> 36) & 1 == 1


def test_round_up_to_a_power_of_two_keeps_the_width():
    # 2**65 - 1 rounded to 64 bits (to nearest) is 2**65: significand 1 << 63
    sig, fe = fparith.round_value(0, (1 << 65) - 1, 0, fparith.EXTENDED)
    assert sig == 1 << 63
    assert fe & 0x1FFFF == 65 + fparith.BIAS
