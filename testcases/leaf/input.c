#include <pvcc/paravirt.h>

unsigned long cpuid(int i)
{
	return paravirt_get_cpuid(i);
}

void flush(unsigned long addr)
{
	paravirt_fc(addr);
}

void irq_on(void)
{
	paravirt_ssm_i();
}
