/* Every intrinsic of the catalog under the light convention, each in a
 * function that has no other call: all of them must stay leaves. */
#include <pvcc/paravirt.h>

unsigned long cpuid(int i)
{
	return paravirt_get_cpuid(i);
}

void flush(unsigned long addr)
{
	paravirt_fc(addr);
}

unsigned long hash(unsigned long va)
{
	return paravirt_thash(va);
}

unsigned long pmd(int i)
{
	return paravirt_get_pmd(i) + paravirt_get_rr(i);
}

void purge(unsigned long a, unsigned long n)
{
	paravirt_ptcga(a, n);
}

void regions(unsigned long a, unsigned long b, unsigned long c, unsigned long d,
	     unsigned long e)
{
	paravirt_set_rr0_to_rr4(a, b, c, d, e);
	paravirt_set_rr(a, e);
}

/* local_irq_save/restore: the saved flags live across the sites. */
unsigned long irq_save(void)
{
	unsigned long flags = paravirt_getreg(1019);	/* _IA64_REG_PSR */
	paravirt_rsm_i();
	return flags;
}

/* The same as one site; the flags live across the restore. */
unsigned long irq_save_restore(unsigned long *counter)
{
	unsigned long flags = paravirt_intrin_local_irq_save();
	*counter += 1;
	paravirt_intrin_local_irq_restore(flags);
	return flags;
}

void irq_restore(unsigned long flags, unsigned long *counter)
{
	*counter += 1;
	paravirt_intrin_local_irq_restore(flags);
	*counter += 2;
}

unsigned long irq_on(void)
{
	paravirt_ssm_i();
	return paravirt_get_psr_i();
}

/* Values live across a site sit outside the clobber set. */
unsigned long busy(unsigned long a, unsigned long b, unsigned long c)
{
	unsigned long x = a * b, y = b ^ c, z = a + c;
	paravirt_setreg(3116, x);		/* _IA64_REG_AR_ITC */
	return x + y + z + paravirt_getreg(3116);
}
