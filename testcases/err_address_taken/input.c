#include <pvcc/paravirt.h>

void (*flush_hook)(unsigned long) = paravirt_fc;

void call_through_pointer(unsigned long a)
{
	unsigned long (*get)(int) = &paravirt_get_cpuid;
	get((int)a);
}
