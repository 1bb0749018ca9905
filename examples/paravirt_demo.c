/*
 * paravirt_demo.c - kernel-style C that uses paravirt intrinsics.
 *
 * Each call below becomes an isolated, recorded call site: under a
 * hypervisor it calls into the paravirt layer, on bare metal the boot-time
 * patcher (or `pvcc-check --patch native`) rewrites it into the instruction.
 */
#include <pvcc/paravirt.h>

#define _IA64_REG_AR_ITC	3116
#define _IA64_REG_CR_TPR	4162

static inline unsigned long ia64_get_itc(void)
{
	return paravirt_getreg(_IA64_REG_AR_ITC);
}

static inline unsigned long local_irq_save(void)
{
	unsigned long flags = paravirt_get_psr_i();
	paravirt_rsm_i();
	return flags;
}

static inline void local_irq_restore(unsigned long flags)
{
	paravirt_intrin_local_irq_restore(flags);
}

/* Flush a range from the caches, with interrupts off, and time it. */
unsigned long flush_icache_range_timed(unsigned long start, unsigned long end)
{
	unsigned long flags = local_irq_save();
	unsigned long t0 = ia64_get_itc();

	for (unsigned long addr = start; addr < end; addr += 32)
		paravirt_fc(addr);
	local_irq_restore(flags);
	return ia64_get_itc() - t0;
}

/* Identify the CPU, as setup.c's identify_cpu() does. */
unsigned long cpu_family(void)
{
	unsigned long cpuid3 = paravirt_get_cpuid(3);
	return (cpuid3 >> 24) & 0xff;
}

/* Switch region registers on a context switch. */
void switch_mm_rr(const unsigned long rr[5])
{
	paravirt_set_rr0_to_rr4(rr[0], rr[1], rr[2], rr[3], rr[4]);
	paravirt_setreg(_IA64_REG_CR_TPR, 0);
}
