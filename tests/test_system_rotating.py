"""Register rotation (SDM vol. 1, "Register Rotation" and "Modulo-Scheduled
Loop Support"; vol. 3: br.ctop, br.cexit, br.wtop, br.wexit, clrrrb, mov
pr.rot, alloc): the software-pipelined loops of Linux's memcpy, copy_page and
strlen, on hand-assembled programs in the user-mode harness (the CPU is the
same in system mode)."""

from __future__ import annotations

import pytest

from asmtools import needs_binutils
from simasm import run

pytestmark = needs_binutils

SRC = "src:\n\tdata8 1, 2, 3, 4, 5\ndst:\n\tdata8 0, 0, 0, 0, 0, 0\n"



def test_ctop_pipelined_copy(tmp_path):
    """A two-stage pipelined copy: stage 1 loads into r32 (p16), stage 2 stores
    r33, the value one rotation later (p17); ar.lc = N - 1, ar.ec = 2."""
    r = run(tmp_path, """
	alloc r2 = ar.pfs, 0, 8, 0, 8
	movl r14 = src
	movl r15 = dst
	mov r3 = 4
	mov r9 = 2
	;;
	mov ar.lc = r3
	mov ar.ec = r9
	mov pr.rot = 1 << 16
	;;
loop:
	(p16) ld8 r32 = [r14], 8
	(p17) st8 [r15] = r33, 8
	br.ctop.sptk.few loop
	;;
	clrrrb
	movl r15 = dst
	mov r8 = 0
	;;
	ld8 r16 = [r15], 8
	;;
	ld8 r17 = [r15], 8
	;;
	ld8 r18 = [r15], 8
	;;
	ld8 r19 = [r15], 8
	;;
	ld8 r20 = [r15], 8
	;;
	ld8 r21 = [r15], 8
	mov r22 = ar.lc
	mov r23 = ar.ec
	;;
""", data=SRC)
    assert r.error is None, f"{r.where}: {r.error}"
    g = r.state.g
    assert g[16:22] == [1, 2, 3, 4, 5, 0]
    assert (g[22], g[23]) == (0, 0)


def test_cexit_leaves_the_loop_on_the_last_iteration(tmp_path):
    """br.cexit falls through while the loop goes on and is taken when it ends."""
    r = run(tmp_path, """
	alloc r2 = ar.pfs, 0, 8, 0, 8
	mov r3 = 3
	mov r9 = 1
	mov r8 = 0
	;;
	mov ar.lc = r3
	mov ar.ec = r9
	;;
top:
	adds r8 = 1, r8
	br.cexit.sptk.few out
	;;
	br.cond.sptk.few top
	;;
out:
	clrrrb
	;;
""")
    assert r.error is None and r.status == 4


@pytest.mark.parametrize("ec,runs", [(1, 5), (2, 6), (3, 7)])
def test_wtop_while_loop(tmp_path, ec, runs):
    """br.wtop goes on while its predicate is true; then each of ar.ec - 1
    epilogue stages runs once more before the branch falls through."""
    r = run(tmp_path, f"""
	alloc r2 = ar.pfs, 0, 8, 0, 8
	mov r9 = {ec}
	mov r8 = 0
	mov r10 = 5
	;;
	mov ar.ec = r9
	;;
top:
	adds r8 = 1, r8
	;;
	cmp.lt p6, p0 = r8, r10
	;;
	(p6) br.wtop.sptk.few top
	;;
	clrrrb
	;;
""")
    assert r.error is None and r.status == runs


def test_rotation_moves_r32_f32_and_p16(tmp_path):
    """One rotation: r33 <- r32 (sor 8), f33 <- f32, p17 <- p16, and p16 <- p63
    (which the branch set to 1 with ar.lc != 0)."""
    r = run(tmp_path, """
	alloc r2 = ar.pfs, 0, 8, 0, 8
	mov r32 = 7
	mov r3 = 1
	mov r14 = 0
	;;
	setf.sig f32 = r32
	mov ar.lc = r3
	mov pr.rot = 1 << 16
	;;
	br.ctop.sptk.few next
	;;
next:
	mov r9 = r33
	getf.sig r10 = f33
	mov r11 = pr
(p17)	mov r14 = 1
	;;
	clrrrb
	mov r8 = 0
	;;
""")
    assert r.error is None, f"{r.where}: {r.error}"
    g = r.state.g
    assert (g[9], g[10]) == (7, 7)
    assert g[14] == 1  # p17 (from p16)
    # mov =pr reads as if rrb.pr were 0 (SDM vol. 1, 4.4.6): p16 (from p63 = 1)
    # is physical p63, p17 physical p16
    assert (g[11] >> 16) & 3 == 1 and g[11] >> 63 == 1


def test_call_and_return_keep_the_callers_rotation(tmp_path):
    """br.call saves the CFM with its rrb fields in ar.pfs and gives the callee
    rrb = 0; br.ret brings the caller's rotation back."""
    r = run(tmp_path, """
	alloc r35 = ar.pfs, 0, 8, 0, 8
	mov r3 = 1
	mov r14 = 0
	;;
	mov ar.lc = r3
	mov pr.rot = 1 << 16
	;;
	br.ctop.sptk.few next
	;;
next:
	mov r36 = b0
	br.call.sptk.many b0 = callee
	;;
	mov b0 = r36
	mov r11 = pr
(p17)	mov r14 = 1
	;;
	clrrrb
	mov r8 = 0
	;;
""", extra="""
	.proc callee
callee:
	mov r9 = ar.pfs
	mov r10 = pr
	;;
	br.ret.sptk.many b0
	;;
	.endp callee
""")
    assert r.error is None, f"{r.where}: {r.error}"
    g = r.state.g
    pfs = g[9]
    assert (pfs >> 14) & 0xF == 1  # sor 8
    assert ((pfs >> 18) & 0x7F, (pfs >> 25) & 0x7F, (pfs >> 32) & 0x3F) == (7, 95, 47)
    assert (g[10] >> 16) & 3 == 1  # the callee sees p16 unrotated: p17 (rotated 0) at 16
    assert g[14] == 1  # the caller's rotated view again: p17 is the old p16
    assert g[11] == g[10]  # mov =pr reads as if rrb.pr were 0 (SDM vol. 1, 4.4.6)


def test_cover_and_rfi_keep_the_rotation(tmp_path):
    """System mode: cover puts the CFM with its rrb fields in cr.ifs and leaves an
    all-zero CFM (no rotation); rfi with cr.ifs.v brings the rotation back."""
    from systemasm import run_system

    r = run_system(tmp_path, """
	alloc r35 = ar.pfs, 0, 8, 0, 8
	mov r3 = 1
	mov r11 = 0
	;;
	mov r32 = 5
	mov ar.lc = r3
	mov pr.rot = 1 << 16
	;;
	br.ctop.sptk.few next
	;;
next:
	rsm psr.ic
	;;
	srlz.d
	;;
	cover
	;;
	mov r14 = cr.ifs
	mov r15 = pr
	movl r2 = back
	movl r3 = 0x100000002000
	;;
	mov cr.iip = r2
	mov cr.ipsr = r3
	;;
	rfi
	;;
back:
	mov r9 = r33
	mov r10 = pr
(p17)	mov r11 = 1
	;;
	clrrrb
	mov r8 = 0
	;;
""")
    assert r.error is None, f"{r.where}: {r.error}"
    g = r.state.g
    assert g[14] >> 63 and ((g[14] >> 18) & 0x7F, (g[14] >> 32) & 0x3F) == (7, 47)
    assert (g[15] >> 16) & 3 == 1  # after cover: p16-p63 unrotated
    assert g[11] == 1 and g[9] == 5  # after rfi: rotated again (p17 is the old p16)
    assert g[10] == g[15]  # mov =pr reads as if rrb.pr were 0 (SDM vol. 1, 4.4.6)
