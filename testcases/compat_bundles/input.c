#include <pvcc/paravirt.h>

unsigned long compat(unsigned long a)
{
	paravirt_fc(a);
	return paravirt_thash(a) + paravirt_getreg(3116);
}
