/*
 * pvcc-sim runtime: the privileged IA-64 intrinsics kernel/pvcc_native.c
 * is written with, each one instruction (or the short sequence the kernel
 * uses), so that the native table compiles outside a kernel tree.  The
 * register numbers are the _IA64_REG_* values of <asm/ia64regs.h>, the same
 * ones wrapper/pvcc/catalog.py holds.
 */
#ifndef _PVCC_SIM_ASM_INTRINSICS_H
#define _PVCC_SIM_ASM_INTRINSICS_H

#define _IA64_REG_PSR		1019
#define _IA64_REG_PSR_L		1019
#define _IA64_REG_AR_KR0	3072
#define _IA64_REG_CR_DCR	4096

#define ia64_stop() asm volatile (";;" ::)

#define ia64_fc(addr) \
	asm volatile ("fc %0" :: "r"(addr) : "memory")

#define ia64_thash(addr) ({ \
	unsigned long __r; \
	asm ("thash %0=%1" : "=r"(__r) : "r"(addr)); \
	__r; })

#define ia64_get_cpuid(index) ({ \
	unsigned long __r; \
	asm volatile ("mov %0=cpuid[%r1]" : "=r"(__r) : "rO"(index)); \
	__r; })

#define ia64_get_pmd(index) ({ \
	unsigned long __r; \
	asm volatile ("mov %0=pmd[%1]" : "=r"(__r) : "r"(index)); \
	__r; })

#define ia64_ptcga(addr, size) \
	asm volatile ("ptc.ga %0,%1" :: "r"(addr), "r"(size) : "memory")

#define ia64_get_rr(index) ({ \
	unsigned long __r; \
	asm volatile ("mov %0=rr[%1]" : "=r"(__r) : "r"(index) : "memory"); \
	__r; })

#define ia64_set_rr(index, val) \
	asm volatile ("mov rr[%0]=%1" :: "r"(index), "r"(val) : "memory")

#define ia64_set_rr0_to_rr4(v0, v1, v2, v3, v4) do { \
	ia64_set_rr(0x0000000000000000UL, (v0)); \
	ia64_set_rr(0x2000000000000000UL, (v1)); \
	ia64_set_rr(0x4000000000000000UL, (v2)); \
	ia64_set_rr(0x6000000000000000UL, (v3)); \
	ia64_set_rr(0x8000000000000000UL, (v4)); \
} while (0)

#define ia64_ssm(mask) \
	asm volatile ("ssm %0" :: "i"(mask) : "memory")

#define ia64_rsm(mask) \
	asm volatile ("rsm %0" :: "i"(mask) : "memory")

#define ia64_getreg(reg) ({ \
	unsigned long __r; \
	_Static_assert((reg) == _IA64_REG_PSR, "only psr"); \
	asm volatile ("mov %0=psr" : "=r"(__r)); \
	__r; })

/* psr.i := (flags != 0), with the data serialization the kernel does after ssm. */
#define ia64_intrin_local_irq_restore(flags) \
	asm volatile (";; cmp.ne p6,p7=%0,r0;;" \
		      "(p6) ssm psr.i;" \
		      "(p7) rsm psr.i;;" \
		      "(p6) srlz.d" \
		      :: "r"(flags) : "p6", "p7", "memory")

#endif
