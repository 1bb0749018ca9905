"""pvcc-sim's core: loader, system calls, register stack, predication, groups, errors.

Every program is assembled by ia64-linux-gnu-as and linked by ia64-linux-gnu-ld.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from asmtools import needs_binutils
from simasm import program, r8, run

pytestmark = needs_binutils

HELLO = """
	alloc r32=ar.pfs,0,1,3,0
	movl r14=msg
	;;
	mov out0=1
	mov out1=r14
	mov out2=6
	mov r15=1027
	;;
	break 0x100000
	;;
	mov r8=42
"""

# sum(n) = n + sum(n - 1), sum(0) = 1: a recursive function with a 4-register frame.
SUM = """
	.proc sum
sum:
	alloc loc0=ar.pfs,1,2,1,0
	mov loc1=b0
	cmp.eq p6,p7=0,in0
	;;
(p6)	mov r8=1
(p6)	br.cond.dpnt .Ldone
	;;
	adds out0=-1,in0
	br.call.sptk.many b0=sum
	;;
	add r8=r8,in0
.Ldone:
	mov ar.pfs=loc0
	mov b0=loc1
	;;
	br.ret.sptk.many b0
	.endp sum
"""


def _sum_body(n: int) -> str:
    return f"""
	alloc r32=ar.pfs,0,1,1,0
	mov out0={n}
	br.call.sptk.many b0=sum
	;;
"""


def test_write_and_exit_group(tmp_path):
    r = run(tmp_path, HELLO, data='msg: .ascii "hello\\n"')
    assert r.error is None
    assert r.stdout == b"hello\n"
    assert r.status == 42


def test_calls_return_through_the_register_stack(tmp_path):
    r = run(tmp_path, _sum_body(10), extra=SUM)
    assert r.error is None
    assert r.state.g[8] == 1 + 55
    assert r.counters["rse spills"] == 0


@pytest.mark.parametrize("nphys", [96, 200])
def test_deep_call_chain_spills_and_fills(tmp_path, nphys):
    r = run(tmp_path, _sum_body(300), extra=SUM, nphys=nphys)
    assert r.error is None, r.error
    assert r.state.g[8] == 1 + 300 * 301 // 2
    # At the deepest point _start's local (1), 300 frames' locals (3 each) and
    # the last frame (4) are on the register stack: whatever does not fit in the
    # physical file went to the backing store, exactly once, and came back.
    assert r.counters["rse spills"] == r.counters["rse fills"] == 1 + 300 * 3 + 4 - nphys


def test_registers_outside_the_frame(tmp_path):
    # A frame of 2: r34 is not part of it, reading it is an error at once,
    # writing it is found at the next frame change.
    r = run(tmp_path, "\talloc r32=ar.pfs,0,2,0,0\n\t;;\n\tadd r8=r34,r0\n\t;;\n")
    assert r.error.msg == "add r8=r34,r0: reads r34, outside the current frame (sof=2)"
    r = run(tmp_path, "\talloc r32=ar.pfs,0,2,0,0\n\t;;\n\tmov r35=1\n\t;;\n")
    assert r.error.msg == "alloc r2=ar.pfs,1,0,0: r35 was written outside the frame (sof=2)"


def test_a_register_alloc_created_reads_as_junk(tmp_path):
    # Inside the frame but never written: undefined, and legal to read (GCC -O0
    # copies a returned structure's padding this way).  Never zero, and the
    # same in every run.
    body = "\talloc r32=ar.pfs,0,4,0,0\n\t;;\n\tadd r8=r35,r0\n\t;;\n"
    first, again = run(tmp_path, body), run(tmp_path, body)
    assert first.error is None, first.error
    assert first.state.g[8] != 0
    assert first.state.g[8] == again.state.g[8]


def test_flushrs_and_loadrs(tmp_path):
    body = """
	alloc r32=ar.pfs,0,3,1,0
	movl r33=0x1111
	movl r34=0x2222
	;;
	mov out0=7
	br.call.sptk.many b0=leaf
	;;
	mov r8=r9
"""
    leaf = """
	.proc leaf
leaf:
	flushrs
	;;
	mov r14=ar.bsp
	mov r15=ar.bspstore
	;;
	sub r9=r14,r15
	;;
	adds r16=-16,r14
	;;
	ld8 r17=[r16]
	;;
	add r9=r9,r17
	br.ret.sptk.many b0
	.endp leaf
"""
    # caller frame: r32 (pfs), r33, r34 locals (sol 3) + out0: after flushrs,
    # bsp == bspstore and r33 of the caller is at bsp - 16.
    assert r8(tmp_path, body, extra=leaf) == 0x1111


def test_predication(tmp_path):
    body = """
	mov r14=5
	mov r15=7
	;;
	cmp.lt p6,p7=r14,r15
	;;
(p6)	mov r8=1
(p7)	mov r8=2
	;;
(p7)	adds r8=10,r8
	cmp.eq.unc p8,p9=r14,r15
	;;
(p9)	adds r8=100,r8
(p8)	adds r8=1000,r8
"""
    assert r8(tmp_path, body) == 101


def test_unc_compare_clears_both_when_predicate_false(tmp_path):
    body = """
	mov r8=0
	cmp.eq p6,p7=r0,r0
	;;
	cmp.eq p8,p9=r0,r0
	;;
(p7)	cmp.eq.unc p8,p9=r0,r0
	;;
(p8)	adds r8=1,r8
(p9)	adds r8=2,r8
"""
    assert r8(tmp_path, body) == 0


def test_read_after_write_in_one_group_is_reported(tmp_path):
    body = """
	mov r14=1
	;;
	mov r8=r14
	add r9=r8,r0
	;;
"""
    r = run(tmp_path, body)
    assert r.status is None
    assert "read-after-write dependency on r8" in r.error.msg
    assert r.where.startswith("_start+0x")


def test_write_after_write_in_one_group_is_reported(tmp_path):
    r = run(tmp_path, "\tmov r8=1\n\tmov r8=2\n\t;;\n")
    assert "write-after-write dependency on r8" in r.error.msg


def test_complementary_predicated_writes_are_a_valid_group(tmp_path):
    body = """
	cmp.eq p6,p7=r0,r0
	;;
(p6)	mov r8=3
(p7)	mov r8=4
	;;
"""
    assert r8(tmp_path, body) == 3


def test_branch_reads_predicate_written_in_its_group(tmp_path):
    body = """
	mov r8=1
	cmp.eq p6,p7=r0,r0
(p6)	br.cond.sptk .Lskip
	;;
	mov r8=2
	;;
.Lskip:
"""
    assert r8(tmp_path, body) == 1


def test_counted_loop(tmp_path):
    body = """
	mov r8=0
	mov ar.lc=9
	;;
.Lloop:
	adds r8=3,r8
	nop.i 0
	br.cloop.sptk.few .Lloop
	;;
"""
    r = run(tmp_path, body)
    assert r.error is None
    assert r.state.g[8] == 30
    assert r.counters["taken branches"] == 9


def test_jump_to_unmapped_memory(tmp_path):
    body = """
	movl r14=0x1234560
	;;
	mov b6=r14
	;;
	br.cond.sptk b6
	;;
"""
    r = run(tmp_path, body)
    assert r.error.msg == "jump to unmapped address 0x1234560"


def test_unmapped_and_unaligned_loads(tmp_path):
    r = run(tmp_path, "\tmov r14=16\n\t;;\n\tld8 r8=[r14]\n\t;;\n")
    assert "unmapped" in r.error.msg and r.where.startswith("_start+0x")
    r = run(tmp_path, "\tmovl r14=buf+4\n\t;;\n\tld8 r8=[r14]\n\t;;\n",
            data="buf: .quad 0, 0")
    assert "unaligned 8-byte read" in r.error.msg


def test_max_insns(tmp_path):
    r = run(tmp_path, ".Lspin:\n\tbr.cond.sptk .Lspin\n\t;;\n", max_insns=1000)
    assert r.error.status == 124
    assert "more than 1000 instructions" in r.error.msg


def test_break_that_is_not_a_system_call_traps(tmp_path):
    r = run(tmp_path, "\tbreak 0x1\n\t;;\n")
    assert r.error.msg == "break 0x1 (trap)"


def _cli(*args):
    return subprocess.run([sys.executable, "-m", "pvcc.sim.cli", *args], capture_output=True,
                          text=True, check=False)


def test_cli_runs_a_program(tmp_path):
    prog = program(tmp_path, HELLO, data='msg: .ascii "hello\\n"')
    p = _cli("run", "--stats", str(prog))
    assert p.returncode == 42
    assert p.stdout == "hello\n"
    assert "pvcc-sim: instructions: " in p.stderr


def test_cli_model_error_is_one_line(tmp_path):
    prog = program(tmp_path, "\tmov r8=1\n\tmov r8=2\n\t;;\n")
    p = _cli("run", str(prog))
    assert p.returncode == 125
    lines = p.stderr.splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("pvcc-sim: error: _start+0x")
    assert "write-after-write" in lines[0]


def test_cli_rejects_a_non_ia64_file_and_a_truncated_one(tmp_path):
    p = _cli("run", sys.executable)
    assert p.returncode == 2
    assert p.stderr.count("\n") == 1 and "not an IA-64 program" in p.stderr
    prog = program(tmp_path, "\tmov r8=0\n")
    cut = tmp_path / "cut"
    cut.write_bytes(prog.read_bytes()[:100])
    p = _cli("run", str(cut))
    assert p.returncode == 2
    assert p.stderr.count("\n") == 1 and "truncated" in p.stderr


def test_cli_infinite_loop_under_max_insns(tmp_path):
    prog = program(tmp_path, ".Lspin:\n\tbr.cond.sptk .Lspin\n\t;;\n")
    p = _cli("run", "--max-insns", "500", str(prog))
    assert p.returncode == 124
    assert p.stderr.startswith("pvcc-sim: error: _start+0x") and p.stderr.count("\n") == 1


def test_predicated_compare_does_nothing_when_its_predicate_is_false(tmp_path):
    body = """
	mov r8=0
	cmp.eq p6,p7=r0,r0
	;;
	cmp.eq p8,p9=r0,r0
	;;
(p7)	cmp.ne p8,p9=r0,r0
	;;
(p8)	adds r8=1,r8
(p9)	adds r8=2,r8
"""
    assert r8(tmp_path, body) == 1


def test_dependency_across_bundles_of_one_group(tmp_path):
    body = """
	{ .mii
	mov r14=1
	nop.i 0
	nop.i 0
	}
	{ .mii
	add r8=r14,r0
	nop.i 0
	nop.i 0
	;;
	}
"""
    r = run(tmp_path, body)
    assert "read-after-write dependency on r14" in r.error.msg
    assert r.error.addr & 0xF == 0  # slot 0 of the second bundle


def test_predicated_writes_across_bundles_of_one_group(tmp_path):
    body = """
	cmp.eq p6,p7=r0,r0
	;;
	{ .mii
(p6)	mov r8=5
	nop.i 0
	nop.i 0
	}
	{ .mii
(p7)	mov r8=6
	nop.i 0
	nop.i 0
	;;
	}
"""
    assert r8(tmp_path, body) == 5
    bad = body.replace("(p7)\tmov r8=6", "(p6)\tmov r8=6")
    r = run(tmp_path, bad)
    assert "write-after-write dependency on r8" in r.error.msg


def test_dependency_after_a_nat_slow_path_is_still_seen(tmp_path):
    body = """
	mov r20=16
	;;
	ld8.s r15=[r20]
	;;
	adds r16=1,r15
	mov r17=r16
	;;
"""
    r = run(tmp_path, body)
    assert "read-after-write dependency on r16" in r.error.msg


def test_code_written_and_flushed_runs(tmp_path):
    # Run `target` (it gets compiled), copy `source` over it, fc.i + sync.i + srlz.i,
    # run it again: the new code runs, as a boot-time patcher needs.
    body = """
	alloc r32=ar.pfs,0,2,0,0
	mov r33=b0
	br.call.sptk.many b0=target
	;;
	movl r14=source
	movl r15=target
	;;
	ld8 r16=[r14],8
	;;
	ld8 r17=[r14]
	st8 [r15]=r16,8
	;;
	st8 [r15]=r17
	movl r15=target
	;;
	fc.i r15
	;;
	sync.i
	;;
	srlz.i
	;;
	br.call.sptk.many b0=target
	;;
"""
    extra = """
	.align 16
	.proc target
target:
	{ .mib
	mov r8=1
	nop.i 0
	br.ret.sptk.many b0
	;;
	}
	.endp target
	.align 16
	.proc source
source:
	{ .mib
	mov r8=2
	nop.i 0
	br.ret.sptk.many b0
	;;
	}
	.endp source
"""
    r = run(tmp_path, body, extra=extra)
    assert r.error is None, r.error
    assert r.state.g[8] == 2
    assert [e[0] for e in r.effects] == ["fc.i", "sync.i", "srlz.i"]


def test_nat_bits_survive_spill_and_fill_through_nat_collections(tmp_path):
    # r33 holds a NaT, r34 a value; a 300-deep call chain pushes both out to the
    # backing store (through NaT collection slots) and back.
    body = """
	alloc r32=ar.pfs,0,4,1,0
	mov r20=16
	;;
	ld8.s r33=[r20]
	mov r34=77
	mov out0=300
	br.call.sptk.many b0=sum
	;;
	mov r8=r34
	chk.s r33,.Lnatrec
	;;
	br.cond.sptk .Lnatdone
	;;
.Lnatrec:
	adds r8=1000,r34
	;;
.Lnatdone:
"""
    r = run(tmp_path, body, extra=SUM)
    assert r.error is None, r.error
    assert r.state.g[8] == 1077
    assert r.counters["rse spills"] > 64  # at least one NaT collection slot was crossed


def test_unimplemented_form_is_named(tmp_path):
    r = run(tmp_path, "\tfmin f6=f7,f8\n\t;;\n")
    assert r.error.msg.startswith("unimplemented instruction form 'fmin'")
    assert r.where.startswith("_start+0x")


def test_cli_trace(tmp_path):
    prog = program(tmp_path, "\tmov r8=3\n\t;;\n")
    p = _cli("run", "--trace", str(prog))
    assert p.returncode == 3
    lines = p.stderr.splitlines()
    assert lines[0].startswith("_start+0x0 (0x") and lines[0].endswith("mov r8=3")
    assert any(ln.endswith("break.m 0x100000") for ln in lines)


def test_cli_patch_native_refuses_a_program_without_sites(tmp_path):
    prog = program(tmp_path, "\tmov r8=0\n")
    p = _cli("run", "--patch", "native", str(prog))
    assert p.returncode == 2
    assert p.stderr.startswith("pvcc-sim: error: --patch native: ")
    assert p.stderr.count("\n") == 1


def test_argc_and_argv_on_the_initial_stack(tmp_path):
    body = """
	adds r14=16,r12
	;;
	ld8 r15=[r14],16
	;;
	ld8 r16=[r14]
	;;
	ld1 r17=[r16]
	;;
	add r8=r15,r17
"""
    from pvcc.sim import run_program
    r = run_program(str(program(tmp_path, body)), ["A", "bc"])
    assert r.error is None, r.error
    assert r.state.g[8] == 3 + ord("A")
    assert r.state.g[12] % 16 == 0


def test_switching_backing_stores_like_a_context_switch(tmp_path):
    # leaf: flushrs, copy the backing store to another place, change the copy of
    # the caller's r33, point ar.bspstore at the copy and return: the caller's
    # frame is filled from the new backing store.
    body = """
	alloc r32=ar.pfs,0,3,0,0
	mov r33=0x111
	mov r34=0x222
	br.call.sptk.many b0=leaf
	;;
	add r8=r33,r34
"""
    leaf = """
	.proc leaf
leaf:
	flushrs
	;;
	mov r14=ar.bsp
	movl r15=0x60000FFF80000000
	movl r17=0x60000FFF80010000
	;;
	sub r16=r14,r15
	;;
	shr.u r18=r16,3
	;;
	adds r18=-1,r18
	;;
	mov ar.lc=r18
	;;
1:	ld8 r19=[r15],8
	;;
	st8 [r17]=r19,8
	br.cloop.sptk.few 1b
	;;
	movl r20=0x60000FFF80010008
	mov r21=0x999
	;;
	st8 [r20]=r21
	mov ar.rsc=0
	;;
	mov ar.bspstore=r17
	;;
	mov r22=ar.bsp
	;;
	br.ret.sptk.many b0
	.endp leaf
"""
    r = run(tmp_path, body, extra=leaf)
    assert r.error is None, r.error
    assert r.state.g[8] == 0x999 + 0x222
    assert r.state.rse.fills == 3  # r32-r34 of the caller came from the copy
    assert r.state.g[22] == 0x60000FFF80010000 + 3 * 8  # ar.bsp moved with ar.bspstore


def test_a_run_reads_its_program_once(tmp_path, capsys):
    """run_program and `pvcc-sim run --stats` read the program one time: the loader,
    the site counters and the native table's map share one pvcc.objects reading."""
    from opens import times_opened
    from pvcc.sim import run_program
    from pvcc.sim.cli import main

    prog = program(tmp_path, "\tmov r8=0\n")
    assert times_opened(prog, lambda: run_program(str(prog))) == 1
    assert times_opened(prog, lambda: main(["run", "--stats", str(prog)])) == 1
    assert "pvcc-sim: instructions: " in capsys.readouterr().err
