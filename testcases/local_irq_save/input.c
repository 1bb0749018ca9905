/* Linux 6.1's local_irq_save()/local_irq_restore() (arch/ia64/include/asm/
 * irqflags.h) as kernel/linux-6.1-pvcc.patch and asm/pvcc-paravirt.h make
 * them: the PSR read and the rsm of psr.i are one site, where the plain
 * kernel's ia64_stop(); getreg(PSR); ia64_stop(); rsm(IA64_PSR_I) are one
 * bundle.  Without the pvcc macro, the kernel's own asms. */
#include <pvcc/paravirt.h>

#define IA64_PSR_I	(1UL << 14)

#ifndef PLAIN_KERNEL
#define ia64_intrin_local_irq_save()	paravirt_intrin_local_irq_save()
#define ia64_intrin_local_irq_restore(x) \
	paravirt_intrin_local_irq_restore((unsigned long)(x))
#define ia64_ssm_i()			paravirt_ssm_i()
#else
#define ia64_ssm_i()	asm volatile ("ssm %0" :: "i"(IA64_PSR_I) : "memory")
#define ia64_intrin_local_irq_restore(x)				\
	asm volatile (";;   cmp.ne p6,p7=%0,r0;;"			\
		      "(p6) ssm psr.i;"					\
		      "(p7) rsm psr.i;;"				\
		      "(p6) srlz.d"					\
		      :: "r"((x)) : "p6", "p7", "memory")
#endif

static inline unsigned long arch_local_irq_save(void)
{
#ifdef ia64_intrin_local_irq_save
	unsigned long flags = ia64_intrin_local_irq_save();
#else
	unsigned long flags;

	asm volatile (";;" ::);
	asm volatile ("mov %0=psr" : "=r"(flags));
	asm volatile (";;" ::);
	asm volatile ("rsm %0" :: "i"(IA64_PSR_I) : "memory");
#endif
	return flags;
}

static inline void arch_local_irq_restore(unsigned long flags)
{
	ia64_intrin_local_irq_restore(flags & IA64_PSR_I);
}

static inline void arch_local_irq_enable(void)
{
	asm volatile (";;" ::);
	ia64_ssm_i();
	asm volatile (";; srlz.d" ::: "memory");
}

/* local_irq_enable(), then a save that finds psr.i set and clears it. */
unsigned long enable_then_save(void)
{
	arch_local_irq_enable();
	return arch_local_irq_save();
}

/* The shape of hrtimer_run_queues()' raw_spin_lock_irqsave ... restore. */
unsigned long bump(unsigned long *counter, unsigned long n)
{
	unsigned long flags = arch_local_irq_save();

	*counter += n;
	arch_local_irq_restore(flags);
	return flags & IA64_PSR_I;
}

/* Only the save: the PSR before interrupts were disabled is the result. */
unsigned long save(void)
{
	return arch_local_irq_save();
}
