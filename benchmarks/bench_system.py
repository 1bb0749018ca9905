"""Speed of pvcc-sim's system mode next to user mode, on hand-assembled loops.

    python benchmarks/bench_system.py [--iters N]

The system-mode loop runs in virtual data mode: each iteration loads and
stores one of 256 pages of region 1, every 4096 iterations a ``ptc.e`` empties
the translation cache, so the next 256 references take Alternate Data TLB
misses whose handler inserts the translation (``itc.d``) and returns with
``rfi``; the interval timer interrupts every ``DELTA`` ITC ticks and its
handler reads cr.ivr, moves cr.itm and writes cr.eoi.  The user-mode loop is
the same computation on one page of the program's data under
``pvcc-sim run``'s harness.  Prints, for each, instructions executed, the
model's CPU time (process time) and instructions per second, and the
interruptions the system loop took.  Needs binutils-ia64-linux-gnu.
"""

from __future__ import annotations

import argparse
import io
import os
import subprocess
import tempfile
import time

from pvcc.sim import run_program
from pvcc.sim.platform.bare import STOP, run_bare

DELTA = 20000  # ITC ticks between timer interrupts (1 tick per instruction)

BODY = """
	zxt1 r11 = r9
	extr.u r15 = r9, 0, 12
	;;
	cmp.eq p8, p9 = 0, r15
	shl r11 = r11, 14
	;;
	add r12 = r10, r11
	SYSTEM_ONLY(p8) ptc.e r0
	;;
	SYSTEM_ONLY srlz.d
	ld8 r13 = [r12]
	;;
	add r14 = r13, r9
	;;
	st8 [r12] = r14
	adds r9 = -1, r9
	;;
	cmp.ne p6, p7 = 0, r9
	(p6) br.cond.sptk loop
	;;
"""

SYSTEM = f"""
	.text
	.global _start
	.proc _start
_start:
	movl r2 = ivt
	movl r3 = {DELTA}
	mov r4 = 0xef
	;;
	mov cr.iva = r2
	mov ar.itc = r0
	mov cr.tpr = r0
	;;
	mov cr.itv = r4
	mov cr.itm = r3
	;;
	ssm 0x24000
	;;
	srlz.d
	movl r9 = ITERS
	movl r10 = 0x2000000000000000
	;;
loop:
{BODY.replace("SYSTEM_ONLY", "")}
	mov r8 = 0
	;;
	break {STOP:#x}
	;;
	.endp _start
	.align 32768
ivt:
	.org ivt + 0x1000
	mov r16 = cr.ifa
	movl r18 = 0x3fc000
	movl r19 = 0x1000661
	mov r20 = 14 << 2
	;;
	and r17 = r16, r18
	mov cr.itir = r20
	;;
	or r17 = r17, r19
	;;
	itc.d r17
	;;
	rfi
	;;
	.org ivt + 0x3000
	mov r16 = cr.ivr
	movl r18 = {DELTA}
	;;
	srlz.d
	mov r17 = cr.itm
	;;
	add r17 = r17, r18
	;;
	mov cr.itm = r17
	mov cr.eoi = r0
	;;
	srlz.d
	;;
	rfi
	;;
	.org ivt + 0x8000
"""

USER = f"""
	.text
	.global _start
	.proc _start
_start:
	movl r9 = ITERS
	movl r10 = page
	;;
loop:
{BODY.replace("SYSTEM_ONLY(p8) ptc.e r0", "nop.m 0").replace("SYSTEM_ONLY srlz.d", "nop.m 0")
      .replace("shl r11 = r11, 14", "shl r11 = r11, 3")}
	alloc r2 = ar.pfs, 0, 0, 1, 0
	mov r15 = 1236
	;;
	mov r32 = r0
	;;
	break 0x100000
	;;
	.endp _start
	.data
	.align 16
page:
	.skip 2048
"""


def build(src: str, d: str, name: str, *ldflags: str) -> str:
    s = os.path.join(d, f"{name}.s")
    o = os.path.join(d, f"{name}.o")
    exe = os.path.join(d, name)
    with open(s, "w") as f:
        f.write(src)
    subprocess.run(["ia64-linux-gnu-as", "-x", s, "-o", o], check=True, capture_output=True)
    subprocess.run(["ia64-linux-gnu-ld", *ldflags, o, "-o", exe], check=True,
                   capture_output=True)
    return exe


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--iters", type=int, default=100_000)
    opts = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-system-") as d:
        sysexe = build(SYSTEM.replace("ITERS", str(opts.iters)), d, "system",
                       "-Ttext=0x100000")
        userexe = build(USER.replace("ITERS", str(opts.iters)), d, "user")
        t0 = time.process_time()
        r = run_bare(sysexe)
        ts = time.process_time() - t0
        if r.error is not None:
            print(f"system loop: model error: {r.where}: {r.error.msg}")
            return 1
        t0 = time.process_time()
        u = run_program(userexe, stdout=io.BytesIO())
        tu = time.process_time() - t0
        if u.error is not None:
            print(f"user loop: model error: {u.where}: {u.error.msg}")
            return 1
    ns, nu = r.counters["instructions"], u.counters["instructions"]
    print(f"{'mode':>8} {'insns':>12} {'model s':>9} {'insns/s':>10}")
    print(f"{'system':>8} {ns:>12,} {ts:>9.2f} {ns / ts:>10,.0f}")
    print(f"{'user':>8} {nu:>12,} {tu:>9.2f} {nu / tu:>10,.0f}")
    for k, v in r.counters.items():
        if k.startswith("interruptions") or k == "timer interrupts":
            print(f"system loop {k}: {v:,}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
