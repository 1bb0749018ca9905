#include <pvcc/paravirt.h>

extern long helper(long a, long b, long c);

long mixed(long x, long y)
{
	long a = helper(x, y, 1);
	unsigned long rr = paravirt_get_rr(a);
	return helper(a, (long)rr, y) + (long)rr;
}
