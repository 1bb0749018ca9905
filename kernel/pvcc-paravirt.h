/* SPDX-License-Identifier: GPL-2.0 */
/*
 * asm/pvcc-paravirt.h - route the IA-64 privileged intrinsics of
 * <asm/gcc_intrin.h> and <asm/intrinsics.h> through pvcc's intrinsic catalog.
 *
 * Shipped by pvcc (kernel/pvcc-paravirt.h); kernel/build.sh copies it to
 * arch/ia64/include/asm/pvcc-paravirt.h and kernel/linux-6.1-pvcc.patch
 * includes it at the end of asm/gcc_intrin.h and asm/intrinsics.h.
 *
 * Active only when all of these hold:
 *   - CONFIG_PVCC_PARAVIRT=y,
 *   - the file is compiled by the pvcc plugin (__PVCC__ is predefined),
 *   - the file did not define PVCC_NATIVE_INTRINSICS (the native table
 *     arch/ia64/kernel/pvcc_native.c does, and so may any file that must
 *     keep the native instructions).
 * Otherwise the kernel's own native macros stay untouched.
 *
 * Every routed intrinsic becomes a call of a paravirt_* intrinsic from
 * <pvcc/paravirt.h>: a real C call that the plugin isolates in its own
 * bundle(s) and records in .pvcc_sites, so that the boot-time patcher (or
 * `pvcc-check --patch native`) can turn it back into the native instruction.
 *
 * What stays native, and why (also in kernel/README.md):
 *   getreg of GP, SP, TP, IP, R8, R9  - a callee would read its own gp/sp/ip,
 *       r13 is a fixed register (current), r8/r9 are call results;
 *   getreg/setreg of the application registers other than ar.k0-7 and
 *       ar.itc (ar.rsc, ar.bsp, ar.bspstore, ar.rnat, ar.pfs, ar.lc, ar.ec,
 *       ar.unat, ar.fpsr, ar.ccv, the IA-32 ARs) - not privileged, nothing
 *       for a hypervisor to virtualize, and most of them are part of the
 *       calling convention itself (a callee sees its own ar.pfs/ar.bsp/...);
 *   setreg of SP and GP - would change the callee's, not the caller's;
 *   ssm/rsm of any mask other than exactly IA64_PSR_I (psr.ic, psr.dfh,
 *       psr.i|psr.ic, ...) - the catalog only has ssm_i/rsm_i, and clearing
 *       psr.ic must happen in the caller's own instruction stream.
 */
#ifndef _ASM_IA64_PVCC_PARAVIRT_H
#define _ASM_IA64_PVCC_PARAVIRT_H

#if defined(CONFIG_PVCC_PARAVIRT) && defined(__PVCC__) && \
    !defined(__ASSEMBLY__) && !defined(PVCC_NATIVE_INTRINSICS)
#define PVCC_PARAVIRT_INTRINSICS 1
#if defined(CONFIG_PVCC_LIGHT) && !defined(MODULE)
/* Every intrinsic in pvcc's light convention: arch/ia64/kernel/pvcc_light.S.
 * Not in modules: a module's branch into the kernel goes through a PLT stub
 * that loads the kernel's gp, and the light convention keeps the caller's gp
 * only inside one link unit. */
#define PVCC_DEFAULT_CONV 1	/* PVCC_CONV_LIGHT */
#endif
#include <pvcc/paravirt.h>

#define __PVCC_PSR_I	(1UL << 14)	/* IA64_PSR_I */

/* Registers whose getreg/setreg go through paravirt_getreg/paravirt_setreg. */
#define __pvcc_routed_reg(regnum)					\
	((regnum) == _IA64_REG_PSR ||					\
	 ((regnum) >= _IA64_REG_AR_KR0 && (regnum) <= _IA64_REG_AR_KR7) || \
	 (regnum) == _IA64_REG_AR_ITC ||				\
	 ((regnum) >= _IA64_REG_CR_DCR && (regnum) <= _IA64_REG_CR_LRR1))

/* The kernel's native getreg/setreg (uapi/asm/gcc_intrin.h), kept for the
 * registers that must not go through a call. */
#define __pvcc_native_getreg(regnum)					\
({									\
	__u64 ia64_intri_res;						\
									\
	switch (regnum) {						\
	case _IA64_REG_GP:						\
		asm volatile ("mov %0=gp" : "=r"(ia64_intri_res));	\
		break;							\
	case _IA64_REG_IP:						\
		asm volatile ("mov %0=ip" : "=r"(ia64_intri_res));	\
		break;							\
	case _IA64_REG_PSR:						\
		asm volatile ("mov %0=psr" : "=r"(ia64_intri_res));	\
		break;							\
	case _IA64_REG_TP:	/* for current() */			\
		ia64_intri_res = ia64_r13;				\
		break;							\
	case _IA64_REG_AR_KR0 ... _IA64_REG_AR_EC:			\
		asm volatile ("mov %0=ar%1" : "=r" (ia64_intri_res)	\
			      : "i"(regnum - _IA64_REG_AR_KR0));	\
		break;							\
	case _IA64_REG_CR_DCR ... _IA64_REG_CR_LRR1:			\
		asm volatile ("mov %0=cr%1" : "=r" (ia64_intri_res)	\
			      : "i" (regnum - _IA64_REG_CR_DCR));	\
		break;							\
	case _IA64_REG_SP:						\
		asm volatile ("mov %0=sp" : "=r" (ia64_intri_res));	\
		break;							\
	default:							\
		ia64_bad_param_for_getreg();				\
		break;							\
	}								\
	ia64_intri_res;							\
})

#define __pvcc_native_setreg(regnum, val)				\
({									\
	switch (regnum) {						\
	case _IA64_REG_PSR_L:						\
		asm volatile ("mov psr.l=%0" :: "r"(val) : "memory");	\
		break;							\
	case _IA64_REG_AR_KR0 ... _IA64_REG_AR_EC:			\
		asm volatile ("mov ar%0=%1" ::				\
			      "i" (regnum - _IA64_REG_AR_KR0),		\
			      "r"(val): "memory");			\
		break;							\
	case _IA64_REG_CR_DCR ... _IA64_REG_CR_LRR1:			\
		asm volatile ("mov cr%0=%1" ::				\
			      "i" (regnum - _IA64_REG_CR_DCR),		\
			      "r"(val): "memory" );			\
		break;							\
	case _IA64_REG_SP:						\
		asm volatile ("mov r12=%0" :: "r"(val): "memory");	\
		break;							\
	case _IA64_REG_GP:						\
		asm volatile ("mov gp=%0" :: "r"(val) : "memory");	\
		break;							\
	default:							\
		ia64_bad_param_for_setreg();				\
		break;							\
	}								\
})

#undef ia64_getreg
#define ia64_getreg(regnum)						\
({									\
	__u64 __pvcc_res;						\
	if (__pvcc_routed_reg(regnum))					\
		__pvcc_res = paravirt_getreg(regnum);			\
	else								\
		__pvcc_res = __pvcc_native_getreg(regnum);		\
	__pvcc_res;							\
})

#undef ia64_setreg
#define ia64_setreg(regnum, val)					\
({									\
	if (__pvcc_routed_reg(regnum))					\
		paravirt_setreg((regnum), (unsigned long)(val));	\
	else								\
		__pvcc_native_setreg(regnum, val);			\
})

#undef ia64_ssm
#define ia64_ssm(mask)							\
do {									\
	if ((mask) == __PVCC_PSR_I)					\
		paravirt_ssm_i();					\
	else								\
		asm volatile ("ssm %0":: "i"((mask)) : "memory");	\
} while (0)

#undef ia64_rsm
#define ia64_rsm(mask)							\
do {									\
	if ((mask) == __PVCC_PSR_I)					\
		paravirt_rsm_i();					\
	else								\
		asm volatile ("rsm %0":: "i"((mask)) : "memory");	\
} while (0)

#undef ia64_intrin_local_irq_restore
#define ia64_intrin_local_irq_restore(x)				\
	paravirt_intrin_local_irq_restore((unsigned long)(x))

/* Linux has no such macro: asm/irqflags.h's arch_local_irq_save() uses it
 * when it is defined, instead of its getreg(PSR) and rsm(IA64_PSR_I). */
#define ia64_intrin_local_irq_save()	paravirt_intrin_local_irq_save()

#undef ia64_fc
#define ia64_fc(addr)		paravirt_fc((unsigned long)(addr))

#undef ia64_thash
#define ia64_thash(addr)	paravirt_thash((unsigned long)(addr))

#undef ia64_get_cpuid
#define ia64_get_cpuid(index)	paravirt_get_cpuid(index)

#undef ia64_get_pmd
#define ia64_get_pmd(index)	paravirt_get_pmd(index)

#undef ia64_ptcga
#define ia64_ptcga(addr, size)						\
	paravirt_ptcga((unsigned long)(addr), (unsigned long)(size))

#undef ia64_get_rr
#define ia64_get_rr(index)	paravirt_get_rr((unsigned long)(index))

#undef ia64_set_rr
#define ia64_set_rr(index, val)						\
	paravirt_set_rr((unsigned long)(index), (unsigned long)(val))

#endif /* CONFIG_PVCC_PARAVIRT && __PVCC__ && ... */
#endif /* _ASM_IA64_PVCC_PARAVIRT_H */

/*
 * ia64_set_rr0_to_rr4 is defined by uapi/asm/intrinsics.h after it includes
 * asm/gcc_intrin.h, so asm/intrinsics.h includes this file a second time
 * once it exists.
 */
#if defined(PVCC_PARAVIRT_INTRINSICS) && defined(ia64_set_rr0_to_rr4) && \
    !defined(__PVCC_SET_RR0_TO_RR4)
#define __PVCC_SET_RR0_TO_RR4 1
#undef ia64_set_rr0_to_rr4
#define ia64_set_rr0_to_rr4(val0, val1, val2, val3, val4)		\
	paravirt_set_rr0_to_rr4((unsigned long)(val0), (unsigned long)(val1), \
				(unsigned long)(val2), (unsigned long)(val3), \
				(unsigned long)(val4))
#endif
