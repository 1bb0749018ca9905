/*
 * syscall.S - long __pvcc_syscall(long a0, long a1, long a2, long nr)
 *
 * A Linux ia64 system call: r15 holds the number, the arguments are the
 * first stacked registers of the current frame, `break 0x100000` enters the
 * kernel (here: the model), r8 returns the result.  There is no alloc: the
 * caller's output registers are this frame's r32-r35, the way glibc's
 * system call stubs use them.
 */
	.text
	.align 32
	.global __pvcc_syscall
	.type __pvcc_syscall, @function
	.proc __pvcc_syscall
__pvcc_syscall:
	mov r15 = r35
	;;
	break.m 0x100000
	;;
	br.ret.sptk.many b0
	.endp __pvcc_syscall
	.size __pvcc_syscall, . - __pvcc_syscall
