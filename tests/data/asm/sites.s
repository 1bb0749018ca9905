// Several sites of several types and region sizes, with compat records:
//   bar: ssm_i (0 args), set_rr0_to_rr4 (5 args, 4 bundles),
//        intrin_local_irq_restore (1 arg, 2 bundles), getreg(AR_ITC) (result r8)
//   baz: get_cpuid, b0 saved to memory through a scratch register
//   plain: no site, an ordinary call
	.include "pvsite.inc"
	.text
	.align 16
	.global bar
	.proc bar
	.type bar, @function
bar:
	.mii
	alloc r33 = ar.pfs, 1, 3, 5, 0		// sol 4, sof 9; out0..out4 = r36..r40
	mov r34 = b0
	nop.i 0 ;;
1:
	{ .mib
	nop.m 0
	nop.i 0
	br.call.sptk.many b0 = paravirt_ssm_i ;;
	}
2:
	PVSITE bar, paravirt_ssm_i, 9, 0, 0, 4, 9
	PVCOMPAT 9
	.mii
	mov r36 = r32
	mov r37 = r32
	mov r38 = r32
	.mii
	mov r39 = r32
	mov r40 = r32
	nop.i 0 ;;
1:
	{ .mib
	nop.m 0
	nop.i 0
	br.call.sptk.many b0 = paravirt_set_rr0_to_rr4 ;;
	}
	{ .mii
	nop.m 0
	nop.i 0
	nop.i 0
	}
	{ .mii
	nop.m 0
	nop.i 0
	nop.i 0
	}
	{ .mii
	nop.m 0
	nop.i 0
	nop.i 0 ;;
	}
2:
	PVSITE bar, paravirt_set_rr0_to_rr4, 8, 5, 0, 4, 9, 0x80, 0x81, 0x82, 0x83, 0x84
	PVCOMPAT 8
	.mii
	mov r36 = r32
	nop.i 0
	nop.i 0 ;;
1:
	{ .mib
	nop.m 0
	nop.i 0
	br.call.sptk.many b0 = paravirt_intrin_local_irq_restore ;;
	}
	{ .mii
	nop.m 0
	nop.i 0
	nop.i 0 ;;
	}
2:
	PVSITE bar, paravirt_intrin_local_irq_restore, 12, 1, 0, 4, 9, 0x80
	PVCOMPAT 12
	.mii
	mov r36 = 3116				// _IA64_REG_AR_ITC
	nop.i 0
	nop.i 0 ;;
1:
	{ .mib
	nop.m 0
	nop.i 0
	br.call.sptk.many b0 = paravirt_getreg ;;
	}
2:
	PVSITE bar, paravirt_getreg, 0x10000000 + 3116, 1, 8, 4, 9, 0x80
	PVCOMPAT 0x10000000 + 3116
	.mii
	nop.m 0
	mov ar.pfs = r33
	mov b0 = r34
	.mib
	nop.m 0
	nop.i 0
	br.ret.sptk.many b0 ;;
	.endp bar
	.size bar, .-bar

	.align 16
	.global baz
	.proc baz
	.type baz, @function
baz:
	.mii
	alloc r32 = ar.pfs, 0, 2, 1, 0		// sol 2, sof 3; out0 = r34
	mov r2 = b0
	adds r12 = -16, r12 ;;
	.mmi
	st8 [r12] = r2
	mov r34 = 5
	nop.i 0 ;;
1:
	{ .mib
	nop.m 0
	nop.i 0
	br.call.sptk.many b0 = paravirt_get_cpuid ;;
	}
2:
	PVSITE baz, paravirt_get_cpuid, 3, 1, 8, 2, 3, 0x80
	PVCOMPAT 3
	.mmi
	ld8 r2 = [r12]
	nop.m 0
	nop.i 0 ;;
	.mii
	adds r12 = 16, r12
	mov b0 = r2
	mov ar.pfs = r32
	.mib
	nop.m 0
	nop.i 0
	br.ret.sptk.many b0 ;;
	.endp baz
	.size baz, .-baz

	.align 16
	.global plain
	.proc plain
	.type plain, @function
plain:
	.mii
	alloc r33 = ar.pfs, 0, 2, 1, 0
	mov r32 = b0
	mov r34 = r0 ;;
	.mib
	nop.m 0
	nop.i 0
	br.call.sptk.many b0 = helper ;;
	.mii
	nop.m 0
	mov ar.pfs = r33
	mov b0 = r32
	.mib
	nop.m 0
	nop.i 0
	br.ret.sptk.many b0 ;;
	.endp plain
	.size plain, .-plain
