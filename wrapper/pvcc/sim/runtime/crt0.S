/*
 * crt0.S - the entry point of a pvcc-sim program.
 *
 * At entry the stack is laid out as Linux ia64 leaves it for a new process:
 * sp + 16 holds argc, followed by the argv pointers (NULL-terminated), the
 * envp pointers and the auxiliary vector; sp itself is 16-byte aligned with
 * the 16-byte scratch area below argc.  _start loads the program's gp
 * (__gp, defined by the linker), passes argc and argv to __pvcc_start (C,
 * start.c) and never returns.
 */
	.text
	.align 32
	.global _start
	.type _start, @function
	.proc _start
_start:
	alloc r2 = ar.pfs, 0, 0, 2, 0
	movl gp = __gp
	;;
	adds r14 = 16, sp
	adds out1 = 24, sp
	;;
	ld8 out0 = [r14]
	br.call.sptk.many b0 = __pvcc_start
	;;
	break.m 0
	.endp _start
	.size _start, . - _start
