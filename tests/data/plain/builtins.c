#include "common.h"

int clz64(u64 x) { return x ? __builtin_clzl(x) : 64; }
int ctz64(u64 x) { return x ? __builtin_ctzl(x) : 64; }
int popcount64(u64 x) { return __builtin_popcountl(x); }
u64 bswap64(u64 x) { return __builtin_bswap64(x); }
u32 bswap32(u32 x) { return __builtin_bswap32(x); }

int add_overflows(long a, long b, long *r) { return __builtin_add_overflow(a, b, r); }

int is_const(int x) { return __builtin_constant_p(x); }

void prefetch_all(const char *p, int n)
{
	for (int i = 0; i < n; i += 64)
		__builtin_prefetch(p + i);
}

void never(int x)
{
	if (x == 42)
		__builtin_unreachable();
}
