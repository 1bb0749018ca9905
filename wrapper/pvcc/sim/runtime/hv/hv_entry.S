/*
 * hv_entry.S - the entry points of pvcc-sim's C hypervisor layer.
 *
 * Each intrinsic NAME has two, which call its C implementation __pvcc_hv_NAME
 * (hv.c) and then make themselves the most hostile callee their caller's
 * convention allows, with values that change from call to call and with the
 * run's seed (the model's clobber hypercalls, sim/lab/hostile.py):
 *
 * - paravirt_NAME serves C sites.  The clobber_c hypercall overwrites every
 *   register the C convention makes scratch: r2, r3, r9-r11, r14-r31, b6, b7,
 *   p6-p15, ar.ccv, f6-f15 and f32-f127.  The entry overwrites its input
 *   registers -- the caller's output registers -- with those values too, and
 *   r8 when the intrinsic has no result.  Only the result, gp, sp, b0 and
 *   ar.pfs come back as the convention requires.
 * - __pvcc_hv_thunked_NAME is what the light thunks of the B build call
 *   (sim/lab/hostile.py): the same, except that clobber_thunked leaves
 *   f32-f127 alone, as a C function behind a light thunk must (docs/light.md).
 *   The thunk restores what the light convention preserves and then has the
 *   model overwrite the light clobber set (clobber_light).
 *
 * A caller that kept a live value in any of those registers gets a wrong
 * result instead of a lucky one.
 *
 * Frame: 8 inputs (the caller's outputs, whatever their number), 4 locals
 * (ar.pfs, b0, gp, the result), 8 outputs.
 */
#include <pvcc-sim/hypercalls.h>	/* generated: pvcc.sim.hypercalls */

	.macro hv_body entry, impl, clobber, nargs, result
	.text
	.align 32
	.global \entry
	.type \entry, @function
	.proc \entry
\entry:
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
	br.call.sptk.many b0 = \impl
	;;
	mov gp = loc2
	mov loc3 = r8
	mov r8 = 0
	;;
	break.m \clobber
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
	.endp \entry
	.size \entry, . - \entry
	.endm

	.macro hv_entry name, nargs, result=1
	hv_body paravirt_\name, __pvcc_hv_\name, HYPERCALL_CLOBBER_C, \nargs, \result
	hv_body __pvcc_hv_thunked_\name, __pvcc_hv_\name, HYPERCALL_CLOBBER_THUNKED, \nargs, \result
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
	hv_entry intrin_local_irq_save, 0
	hv_entry getreg, 1
	hv_entry setreg, 2, 0
