#include <pvcc/paravirt.h>

void flush_range(unsigned long start, unsigned long end)
{
	for (unsigned long a = start; a < end; a += 32)
		paravirt_fc(a);
}

unsigned long sum_cpuid(int n)
{
	unsigned long s = 0;
	for (int i = 0; i < n; i++)
		s += paravirt_get_cpuid(i);
	return s;
}
