#include <pvcc/paravirt.h>
#include <stdarg.h>

unsigned long sum_rrs(int n, ...)
{
	va_list ap;
	unsigned long s = 0;

	va_start(ap, n);
	for (int i = 0; i < n; i++)
		s += paravirt_get_rr(va_arg(ap, unsigned long));
	va_end(ap);
	return s;
}
