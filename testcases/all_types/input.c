#include <pvcc/paravirt.h>

unsigned long every(unsigned long a, unsigned long b)
{
	unsigned long s = 0;

	paravirt_fc(a);
	s += paravirt_thash(a);
	s += paravirt_get_cpuid((int)b);
	s += paravirt_get_pmd((int)b);
	paravirt_ptcga(a, b);
	s += paravirt_get_rr(a);
	paravirt_set_rr(a, b);
	paravirt_set_rr0_to_rr4(a, b, s, a + b, a - b);
	paravirt_ssm_i();
	paravirt_rsm_i();
	s += paravirt_get_psr_i();
	paravirt_intrin_local_irq_restore(s & 1);
	s += paravirt_intrin_local_irq_save();
	s += paravirt_getreg(3116);
	paravirt_setreg(4162, s);
	return s;
}
