#include <pvcc/paravirt.h>

extern void use(unsigned long *p, unsigned long n);

void with_alloca(unsigned long n)
{
	unsigned long *buf = __builtin_alloca(n * sizeof(*buf));
	for (unsigned long i = 0; i < n; i++)
		buf[i] = paravirt_thash(i << 12);
	use(buf, n);
}
