#include "common.h"

u64 udiv(u64 a, u64 b) { return a / b; }
long sdiv(long a, long b) { return a / b; }
u64 umod(u64 a, u64 b) { return a % b; }
u32 div32(u32 a, u32 b) { return a / b; }

u64 mulhi(u64 a, u64 b)
{
	return (u64)(((unsigned __int128)a * b) >> 64);
}

u64 rotl(u64 v, unsigned s) { return (v << (s & 63)) | (v >> ((-s) & 63)); }

u64 gcd(u64 a, u64 b)
{
	while (b) {
		u64 t = a % b;
		a = b;
		b = t;
	}
	return a;
}

long clamp(long v, long lo, long hi) { return v < lo ? lo : v > hi ? hi : v; }
