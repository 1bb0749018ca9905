/*
 * kernel/init/syscall.S - long init_syscall(a0, a1, a2, a3, a4, a5, nr)
 *
 * A Linux ia64 system call (arch/ia64/kernel/syscalls/syscall.tbl: number =
 * 1024 + the table's), made the way pvcc-sim's runtime makes its own
 * (wrapper/pvcc/sim/runtime/syscall.S): no alloc, so the caller's output
 * registers are this frame's first stacked registers, r32-r37 the arguments
 * and r38 the number, which goes to r15; `break 0x100000` enters the kernel.
 * The kernel returns the result in r8 and r10 = 0, or the errno in r8 and
 * r10 = -1; this stub returns the result, or -errno on failure (the way
 * the kernel's own system call functions report errors).
 */
	.text
	.align 32
	.global init_syscall
	.type init_syscall, @function
	.proc init_syscall
init_syscall:
	mov r15 = r38
	;;
	break.m 0x100000
	;;
	cmp.eq p6, p0 = -1, r10
	;;
(p6)	sub r8 = r0, r8
	br.ret.sptk.many b0
	.endp init_syscall
	.size init_syscall, . - init_syscall
