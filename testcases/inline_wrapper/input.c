#include <pvcc/paravirt.h>

#define _IA64_REG_AR_ITC 3116

static inline unsigned long ia64_get_itc(void)
{
	return paravirt_getreg(_IA64_REG_AR_ITC);
}

static inline void local_irq_restore(unsigned long flags)
{
	paravirt_intrin_local_irq_restore(flags);
}

unsigned long timed(unsigned long flags)
{
	unsigned long t = ia64_get_itc();
	local_irq_restore(flags);
	return ia64_get_itc() - t;
}
