#include <pvcc/paravirt.h>

static void apply(void (*op)(unsigned long), unsigned long a)
{
	op(a);
}

void indirect(unsigned long a)
{
	apply(paravirt_fc, a);
}
