#include <stddef.h>

size_t my_strlen(const char *s)
{
	const char *p = s;
	while (*p)
		p++;
	return p - s;
}

int my_strcmp(const char *a, const char *b)
{
	while (*a && *a == *b)
		a++, b++;
	return (unsigned char)*a - (unsigned char)*b;
}

char *my_strcpy(char *d, const char *s)
{
	char *r = d;
	while ((*d++ = *s++))
		;
	return r;
}

void *my_memset(void *p, int c, size_t n)
{
	unsigned char *q = p;
	while (n--)
		*q++ = (unsigned char)c;
	return p;
}

static const char hex[] = "0123456789abcdef";

void to_hex(unsigned long v, char out[17])
{
	for (int i = 15; i >= 0; i--, v >>= 4)
		out[i] = hex[v & 15];
	out[16] = '\0';
}
