/* Many live values across calls: a large register frame (alloc) on IA-64. */
extern long ext(long);

long many_live(long a, long b, long c, long d, long e, long f, long g, long h, long i, long j)
{
	long x1 = ext(a), x2 = ext(b), x3 = ext(c), x4 = ext(d), x5 = ext(e);
	long x6 = ext(f), x7 = ext(g), x8 = ext(h), x9 = ext(i), x10 = ext(j);
	return x1 * x2 + x3 * x4 + x5 * x6 + x7 * x8 + x9 * x10 + a + b + c + d + e + f + g + h + i + j;
}

long leaf(long a, long b) { return a * b + (a ^ b); }

long nine_args(long a, long b, long c, long d, long e, long f, long g, long h, long i)
{
	return ext(a + b + c + d + e + f + g + h + i) + i;
}
