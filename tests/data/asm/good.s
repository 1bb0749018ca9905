// One get_cpuid site in foo, laid out as the plugin emits it (docs/records.md):
// alloc, b0 (and gp) saved in locals, the call alone in an [MIB] bundle with a stop
// before and after, the record, then ar.pfs and b0 restored before br.ret.
	.include "pvsite.inc"
	.text
	.align 16
	.global foo
	.proc foo
	.type foo, @function
foo:
	.mii
	alloc r34 = ar.pfs, 1, 3, 1, 0		// sol 4, sof 5; out0 = r36
	mov r33 = b0
	mov r35 = r1				// gp, for objects without -mconstant-gp
	.mmi
	nop.m 0
	mov r36 = r32
	nop.i 0 ;;
1:
	{ .mib
	nop.m 0
	nop.i 0
	br.call.sptk.many b0 = paravirt_get_cpuid ;;
	}
2:
	PVSITE foo, paravirt_get_cpuid, 3, 1, 8, 4, 5, 0x80
	.mii
	mov r1 = r35
	adds r8 = 1, r8
	mov ar.pfs = r34
	.mib
	nop.m 0
	mov b0 = r33
	br.ret.sptk.many b0 ;;
	.endp foo
	.size foo, .-foo
