// SPDX-License-Identifier: GPL-2.0
/*
 * arch/ia64/kernel/pvcc_native.c - the native (bare-metal) implementation of
 * pvcc's paravirt intrinsic catalog <pvcc/paravirt.h>.
 *
 * Shipped by pvcc (kernel/pvcc_native.c); kernel/build.sh copies it into the
 * tree and kernel/linux-6.1-pvcc.patch adds it to arch/ia64/kernel/Makefile
 * for CONFIG_PVCC_PARAVIRT.
 *
 * Every call site of a paravirt_* intrinsic in the kernel calls one of these
 * functions until it is patched.  Each is a leaf that only uses its input
 * registers, r8 and the scratch registers/predicates of the C convention:
 * GCC emits no alloc and no memory stack frame for them, so no RSE or
 * memory-stack traffic happens in the callee.  That matters for the sites
 * between ia64_clear_ic() and ia64_set_psr() (ia64_itr/ia64_itc: setreg of
 * cr.itir and cr.ifa with psr.ic off, where a fault would be fatal).
 * kernel/build.sh verifies this on the compiled object.
 *
 * getreg/setreg are switches over the constant _IA64_REG_* numbers the
 * kernel routes through them (see asm/pvcc-paravirt.h): one mov per register.
 * pvcc's tests (tests/test_kernel_sources.py) prove the prototypes and the
 * register cases equal to pvcc's intrinsic catalog.
 */

/* The kernel's native intrinsics, never the paravirt ones, in this file. */
#define PVCC_NATIVE_INTRINSICS 1

#include <linux/compiler.h>
#include <linux/export.h>
#include <linux/types.h>
#include <asm/intrinsics.h>
#include <asm/kregs.h>

/*
 * The prototypes, checked against the definitions below, but without the
 * paravirt_intrinsic attribute: this file defines the functions and exports
 * their addresses, it does not call them.
 */
#undef __PVCC__
#include <pvcc/paravirt.h>

#define GET_AR(n)							\
	case _IA64_REG_AR_KR0 + (n):					\
		asm volatile ("mov %0=ar" #n : "=r"(res));		\
		break
#define SET_AR(n)							\
	case _IA64_REG_AR_KR0 + (n):					\
		asm volatile ("mov ar" #n "=%0" :: "r"(val) : "memory"); \
		break
#define GET_CR(n)							\
	case _IA64_REG_CR_DCR + (n):					\
		asm volatile ("mov %0=cr" #n : "=r"(res));		\
		break
#define SET_CR(n)							\
	case _IA64_REG_CR_DCR + (n):					\
		asm volatile ("mov cr" #n "=%0" :: "r"(val) : "memory"); \
		break

unsigned long paravirt_getreg(int reg)
{
	unsigned long res;

	switch (reg) {
	case _IA64_REG_PSR:
		asm volatile ("mov %0=psr" : "=r"(res));
		break;
	GET_AR(0); GET_AR(1); GET_AR(2); GET_AR(3);
	GET_AR(4); GET_AR(5); GET_AR(6); GET_AR(7);
	GET_AR(44);					/* ar.itc */
	GET_CR(0); GET_CR(1); GET_CR(2); GET_CR(8);	/* dcr itm iva pta */
	GET_CR(16); GET_CR(17); GET_CR(19); GET_CR(20);	/* ipsr isr iip ifa */
	GET_CR(21); GET_CR(22); GET_CR(23); GET_CR(24);	/* itir iipa ifs iim */
	GET_CR(25);					/* iha */
	GET_CR(64); GET_CR(65); GET_CR(66); GET_CR(67);	/* lid ivr tpr eoi */
	GET_CR(68); GET_CR(69); GET_CR(70); GET_CR(71);	/* irr0-3 */
	GET_CR(72); GET_CR(73); GET_CR(74);		/* itv pmv cmcv */
	GET_CR(80); GET_CR(81);				/* lrr0 lrr1 */
	default:
		__builtin_trap();
	}
	return res;
}
EXPORT_SYMBOL(paravirt_getreg);

void paravirt_setreg(int reg, unsigned long val)
{
	switch (reg) {
	case _IA64_REG_PSR_L:
		/* data-serialize before br.ret, which reads psr.lp/psr.tb */
		asm volatile ("mov psr.l=%0 ;; srlz.d" :: "r"(val) : "memory");
		break;
	SET_AR(0); SET_AR(1); SET_AR(2); SET_AR(3);
	SET_AR(4); SET_AR(5); SET_AR(6); SET_AR(7);
	SET_AR(44);					/* ar.itc */
	SET_CR(0); SET_CR(1); SET_CR(2); SET_CR(8);	/* dcr itm iva pta */
	SET_CR(16); SET_CR(17); SET_CR(19); SET_CR(20);	/* ipsr isr iip ifa */
	SET_CR(21); SET_CR(22); SET_CR(23); SET_CR(24);	/* itir iipa ifs iim */
	SET_CR(25);					/* iha */
	SET_CR(64); SET_CR(66); SET_CR(67);		/* lid tpr eoi */
	SET_CR(72); SET_CR(73); SET_CR(74);		/* itv pmv cmcv */
	SET_CR(80); SET_CR(81);				/* lrr0 lrr1 */
	default:
		__builtin_trap();
	}
}
EXPORT_SYMBOL(paravirt_setreg);

void paravirt_fc(unsigned long addr)
{
	ia64_fc(addr);
}
EXPORT_SYMBOL(paravirt_fc);

unsigned long paravirt_thash(unsigned long addr)
{
	return ia64_thash(addr);
}
EXPORT_SYMBOL(paravirt_thash);

unsigned long paravirt_get_cpuid(int index)
{
	return ia64_get_cpuid(index);
}
EXPORT_SYMBOL(paravirt_get_cpuid);

unsigned long paravirt_get_pmd(int index)
{
	return ia64_get_pmd(index);
}
EXPORT_SYMBOL(paravirt_get_pmd);

void paravirt_ptcga(unsigned long addr, unsigned long size)
{
	ia64_ptcga(addr, size);
}
EXPORT_SYMBOL(paravirt_ptcga);

unsigned long paravirt_get_rr(unsigned long index)
{
	return ia64_get_rr(index);
}
EXPORT_SYMBOL(paravirt_get_rr);

void paravirt_set_rr(unsigned long index, unsigned long val)
{
	ia64_set_rr(index, val);
}
EXPORT_SYMBOL(paravirt_set_rr);

void paravirt_set_rr0_to_rr4(unsigned long val0, unsigned long val1,
			     unsigned long val2, unsigned long val3,
			     unsigned long val4)
{
	ia64_set_rr0_to_rr4(val0, val1, val2, val3, val4);
}
EXPORT_SYMBOL(paravirt_set_rr0_to_rr4);

void paravirt_ssm_i(void)
{
	ia64_ssm(IA64_PSR_I);
}
EXPORT_SYMBOL(paravirt_ssm_i);

void paravirt_rsm_i(void)
{
	ia64_rsm(IA64_PSR_I);
}
EXPORT_SYMBOL(paravirt_rsm_i);

unsigned long paravirt_get_psr_i(void)
{
	return ia64_getreg(_IA64_REG_PSR) & IA64_PSR_I;
}
EXPORT_SYMBOL(paravirt_get_psr_i);

void paravirt_intrin_local_irq_restore(unsigned long flags)
{
	ia64_intrin_local_irq_restore(flags);
}
EXPORT_SYMBOL(paravirt_intrin_local_irq_restore);

/*
 * Linux has no ia64_intrin_local_irq_save: its arch_local_irq_save()
 * (asm/irqflags.h) is these four asms, which the paravirt configuration's
 * irqflags.h replaces by the one intrinsic.
 */
#ifndef ia64_intrin_local_irq_save
#define ia64_intrin_local_irq_save()					\
({									\
	unsigned long __pvcc_flags;					\
									\
	ia64_stop();							\
	__pvcc_flags = ia64_getreg(_IA64_REG_PSR);			\
	ia64_stop();							\
	ia64_rsm(IA64_PSR_I);						\
	__pvcc_flags;							\
})
#endif

unsigned long paravirt_intrin_local_irq_save(void)
{
	return ia64_intrin_local_irq_save();
}
EXPORT_SYMBOL(paravirt_intrin_local_irq_save);
