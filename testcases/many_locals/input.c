#include <pvcc/paravirt.h>


long pressure(long seed)
{
	long a0 = seed + 1, a1 = seed * 3, a2 = seed ^ 7, a3 = seed - 9, a4 = seed << 2;
	long a5 = seed >> 1, a6 = seed | 4, a7 = seed & 0xff, a8 = seed * seed, a9 = ~seed;
	long b0 = a0 * a1, b1 = a1 * a2, b2 = a2 * a3, b3 = a3 * a4, b4 = a4 * a5;
	long b5 = a5 * a6, b6 = a6 * a7, b7 = a7 * a8, b8 = a8 * a9, b9 = a9 * a0;
	long c0 = b0 + b9, c1 = b1 + b8, c2 = b2 + b7, c3 = b3 + b6, c4 = b4 + b5;
	long c5 = b5 - b4, c6 = b6 - b3, c7 = b7 - b2, c8 = b8 - b1, c9 = b9 - b0;
	long d0 = c0 ^ a0, d1 = c1 ^ a1, d2 = c2 ^ a2, d3 = c3 ^ a3, d4 = c4 ^ a4;
	long d5 = c5 ^ a5, d6 = c6 ^ a6, d7 = c7 ^ a7, d8 = c8 ^ a8, d9 = c9 ^ a9;
	long e0 = d0 * 3, e1 = d1 * 5, e2 = d2 * 7, e3 = d3 * 11, e4 = d4 * 13;
	long e5 = d5 * 17, e6 = d6 * 19, e7 = d7 * 23, e8 = d8 * 29, e9 = d9 * 31;
	long f0 = e0 + d1, f1 = e1 + d2, f2 = e2 + d3, f3 = e3 + d4, f4 = e4 + d5;
	long f5 = e5 + d6, f6 = e6 + d7, f7 = e7 + d8, f8 = e8 + d9, f9 = e9 + d0;
	long g0 = f0 * c1, g1 = f1 * c2, g2 = f2 * c3, g3 = f3 * c4, g4 = f4 * c5;
	long g5 = f5 * c6, g6 = f6 * c7, g7 = f7 * c8, g8 = f8 * c9, g9 = f9 * c0;

	unsigned long id = paravirt_get_cpuid((int)seed);

	return (long)id + a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7 + a8 + a9
		+ b0 + b1 + b2 + b3 + b4 + b5 + b6 + b7 + b8 + b9
		+ c0 + c1 + c2 + c3 + c4 + c5 + c6 + c7 + c8 + c9
		+ d0 * d1 * d2 * d3 * d4 * d5 * d6 * d7 * d8 * d9
		+ e0 * e1 * e2 * e3 * e4 * e5 * e6 * e7 * e8 * e9
		+ (f0 ^ f1 ^ f2 ^ f3 ^ f4 ^ f5 ^ f6 ^ f7 ^ f8 ^ f9)
		+ (g0 | g1 | g2 | g3 | g4 | g5 | g6 | g7 | g8 | g9);
}
