#include <pvcc/paravirt.h>

unsigned long ip(void)
{
	return paravirt_getreg(1016);
}

unsigned long bogus(void)
{
	return paravirt_getreg(12345);
}
