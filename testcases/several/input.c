#include <pvcc/paravirt.h>

unsigned long several(unsigned long idx, unsigned long val)
{
	unsigned long old = paravirt_get_rr(idx);
	paravirt_set_rr(idx, val);
	paravirt_ptcga(val, 1UL << 14);
	paravirt_rsm_i();
	return old + paravirt_get_psr_i() + paravirt_get_pmd(3);
}
