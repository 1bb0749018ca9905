#include <pvcc/paravirt.h>

void tail_fc(unsigned long addr)
{
	paravirt_fc(addr + 64);
}

unsigned long tail_rr(unsigned long idx)
{
	return paravirt_get_rr(idx << 61);
}
