#include "common.h"

extern void consume(void *p, size_t n);

void use_alloca(size_t n)
{
	char *buf = __builtin_alloca(n);
	for (size_t i = 0; i < n; i++)
		buf[i] = (char)i;
	consume(buf, n);
}

long vla_sum(int n)
{
	long v[n];
	for (int i = 0; i < n; i++)
		v[i] = i * 3;
	long s = 0;
	for (int i = 0; i < n; i++)
		s += v[i];
	return s;
}
