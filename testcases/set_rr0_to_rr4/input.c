#include <pvcc/paravirt.h>

void switch_rrs(const unsigned long *rr)
{
	paravirt_set_rr0_to_rr4(rr[0], rr[1], rr[2], rr[3], rr[4]);
}
