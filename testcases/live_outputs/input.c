#include <pvcc/paravirt.h>

extern long consume(long a, long b, long c, long d, long e, long f);

long live(long a, long b, long c)
{
	long p = a * 3, q = b * 5, r = c * 7, s = a + b, t = b + c, u = a ^ c;
	unsigned long v = paravirt_thash(a);
	return consume(p, q, r, s, t, u) + (long)v;
}
