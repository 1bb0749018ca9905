#include <stdarg.h>
#include "common.h"

long sum_va(int n, ...)
{
	va_list ap;
	long s = 0;
	va_start(ap, n);
	for (int i = 0; i < n; i++)
		s += va_arg(ap, long);
	va_end(ap);
	return s;
}

double avg_va(int n, ...)
{
	va_list ap;
	double s = 0;
	va_start(ap, n);
	for (int i = 0; i < n; i++)
		s += va_arg(ap, double);
	va_end(ap);
	return n ? s / n : 0.0;
}

int vformat_len(const char *fmt, va_list ap)
{
	int n = 0;
	for (; *fmt; fmt++)
		if (*fmt == '%') {
			(void)va_arg(ap, int);
			n++;
		}
	return n;
}

int format_len(const char *fmt, ...)
{
	va_list ap;
	int r;
	va_start(ap, fmt);
	r = vformat_len(fmt, ap);
	va_end(ap);
	return r;
}
