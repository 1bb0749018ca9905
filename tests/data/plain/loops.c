#include "common.h"

u64 sum_array(const u64 *a, size_t n)
{
	u64 s = 0;
	for (size_t i = 0; i < n; i++)
		s += a[i];
	return s;
}

void saxpy(long n, long a, const long *x, long *y)
{
	for (long i = 0; i < n; i++)
		y[i] += a * x[i];
}

int count_bits_loop(u64 v)
{
	int c = 0;
	while (v) {
		v &= v - 1;
		c++;
	}
	return c;
}

void matmul(int n, const int *a, const int *b, int *c)
{
	for (int i = 0; i < n; i++)
		for (int j = 0; j < n; j++) {
			int s = 0;
			for (int k = 0; k < n; k++)
				s += a[i * n + k] * b[k * n + j];
			c[i * n + j] = s;
		}
}

int find_first(const int *a, int n, int key)
{
	int i = 0;
	do {
		if (a[i] == key)
			return i;
	} while (++i < n);
	return -1;
}
