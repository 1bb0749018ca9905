#include <pvcc/paravirt.h>

extern void trace_free(unsigned long ip, void *p);

void free_bulk(void **p, int n)
{
	unsigned long ip = (unsigned long)__builtin_return_address(0);

	if (!n)
		return;
	do {
		unsigned long flags = paravirt_get_psr_i();
		paravirt_rsm_i();
		trace_free(ip, p[--n]);
		paravirt_intrin_local_irq_restore(flags);
	} while (n);
}
