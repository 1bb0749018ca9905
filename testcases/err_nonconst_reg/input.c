#include <pvcc/paravirt.h>

unsigned long read_any(int reg)
{
	return paravirt_getreg(reg);
}

void write_any(int reg, unsigned long v)
{
	paravirt_setreg(reg, v);
}
