/*
 * hv_entry.S - the entry points paravirt_* of pvcc-sim's C hypervisor layer.
 *
 * Each one calls its C implementation __pvcc_hv_* (hv.c) and then makes
 * itself the most hostile callee the calling convention allows: the
 * model's clobber hypercall (break 0x1C0006) overwrites every scratch
 * register (r2, r3, r9-r11, r14-r31, p6-p15, b6, b7, ar.ccv, f6-f15) with
 * values that change from call to call, and the entry overwrites its input
 * registers -- the caller's output registers -- with those values too.
 * Only r8 (the result; hostile too for an intrinsic without one), gp, sp,
 * b0 and ar.pfs come back as the convention requires.  A caller that kept
 * a live value in any other of those registers gets a wrong result instead
 * of a lucky one.
 *
 * Frame: 8 inputs (the caller's outputs, whatever their number), 4 locals
 * (ar.pfs, b0, gp, the result), 8 outputs.
 */
#define HV_CLOBBER 0x1C0006

	.macro hv_entry name, nargs, result=1
	.text
	.align 32
	.global paravirt_\name
	.type paravirt_\name, @function
	.proc paravirt_\name
paravirt_\name:
	alloc loc0 = ar.pfs, 8, 4, 8, 0
	mov loc1 = b0
	mov loc2 = gp
	.if \nargs > 0
	mov out0 = in0
	.endif
	.if \nargs > 1
	mov out1 = in1
	.endif
	.if \nargs > 2
	mov out2 = in2
	.endif
	.if \nargs > 3
	mov out3 = in3
	.endif
	.if \nargs > 4
	mov out4 = in4
	.endif
	br.call.sptk.many b0 = __pvcc_hv_\name
	;;
	mov gp = loc2
	mov loc3 = r8
	mov r8 = 0
	;;
	break.m HV_CLOBBER
	;;
	.if \result
	mov r8 = loc3
	.else
	mov r8 = r22		/* no result: r8 is scratch, hostile too */
	.endif
	mov in0 = r14
	mov in1 = r15
	mov in2 = r16
	mov in3 = r17
	mov in4 = r18
	mov in5 = r19
	mov in6 = r20
	mov in7 = r21
	mov b0 = loc1
	mov ar.pfs = loc0
	;;
	br.ret.sptk.many b0
	.endp paravirt_\name
	.size paravirt_\name, . - paravirt_\name
	.endm

	hv_entry fc, 1, 0
	hv_entry thash, 1
	hv_entry get_cpuid, 1
	hv_entry get_pmd, 1
	hv_entry ptcga, 2, 0
	hv_entry get_rr, 1
	hv_entry set_rr, 2, 0
	hv_entry set_rr0_to_rr4, 5, 0
	hv_entry ssm_i, 0, 0
	hv_entry rsm_i, 0, 0
	hv_entry get_psr_i, 0
	hv_entry intrin_local_irq_restore, 1, 0
	hv_entry getreg, 1
	hv_entry setreg, 2, 0
