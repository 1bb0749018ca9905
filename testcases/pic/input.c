#include <pvcc/paravirt.h>

static unsigned long counter;

unsigned long pic(unsigned long a)
{
	counter += paravirt_thash(a);
	return counter;
}
