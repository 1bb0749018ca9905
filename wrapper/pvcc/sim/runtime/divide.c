/*
 * divide.c - the integer division helpers GCC calls on IA-64.
 *
 * IA-64 has no integer divide instruction and the cross compiler has no
 * libgcc: with -mno-inline-int-divide (GCC's default) every division by a
 * non-constant, 32-bit ones too, calls __divdi3 & co.  These are plain
 * shift-and-subtract long division (no division operator anywhere in this
 * file).  A zero divisor traps (break), as the host's SIGFPE would.
 * Signed quotients truncate toward zero; a remainder has the sign of the
 * dividend (C99).
 */
typedef unsigned long u64;
typedef long s64;
typedef unsigned int u32;
typedef int s32;
typedef unsigned __int128 u128;
typedef __int128 s128;

static u64 udivmod64(u64 n, u64 d, u64 *rem)
{
	u64 q = 0;
	int shift = 0;

	if (d == 0)
		__builtin_trap();
	if (n < d) {
		*rem = n;
		return 0;
	}
	while (!(d >> 63) && (d << 1) <= n) {
		d <<= 1;
		shift++;
	}
	for (;;) {
		q <<= 1;
		if (n >= d) {
			n -= d;
			q |= 1;
		}
		if (shift-- == 0)
			break;
		d >>= 1;
	}
	*rem = n;
	return q;
}

/* 128-bit values as (hi, lo) halves, so no TImode shift helper is needed. */
static int ge128(u64 ah, u64 al, u64 bh, u64 bl)
{
	return ah > bh || (ah == bh && al >= bl);
}

static u128 udivmod128(u128 n, u128 d, u128 *rem)
{
	u64 nh = (u64)(n >> 64), nl = (u64)n;
	u64 dh = (u64)(d >> 64), dl = (u64)d;
	u64 qh = 0, ql = 0;
	int shift = 0;

	if (dh == 0 && dl == 0)
		__builtin_trap();
	if (!ge128(nh, nl, dh, dl)) {
		*rem = n;
		return 0;
	}
	while (!(dh >> 63)) {
		u64 th = (dh << 1) | (dl >> 63), tl = dl << 1;
		if (!ge128(nh, nl, th, tl))
			break;
		dh = th;
		dl = tl;
		shift++;
	}
	for (;;) {
		qh = (qh << 1) | (ql >> 63);
		ql <<= 1;
		if (ge128(nh, nl, dh, dl)) {
			u64 borrow = nl < dl;
			nl -= dl;
			nh -= dh + borrow;
			ql |= 1;
		}
		if (shift-- == 0)
			break;
		dl = (dl >> 1) | (dh << 63);
		dh >>= 1;
	}
	*rem = ((u128)nh << 64) | nl;
	return ((u128)qh << 64) | ql;
}

u64 __udivdi3(u64 a, u64 b)
{
	u64 r;

	return udivmod64(a, b, &r);
}

u64 __umoddi3(u64 a, u64 b)
{
	u64 r;

	udivmod64(a, b, &r);
	return r;
}

s64 __divdi3(s64 a, s64 b)
{
	u64 r;
	u64 q = udivmod64(a < 0 ? -(u64)a : (u64)a, b < 0 ? -(u64)b : (u64)b, &r);

	return (s64)((a < 0) != (b < 0) ? -q : q);
}

s64 __moddi3(s64 a, s64 b)
{
	u64 r;

	udivmod64(a < 0 ? -(u64)a : (u64)a, b < 0 ? -(u64)b : (u64)b, &r);
	return (s64)(a < 0 ? -r : r);
}

u32 __udivsi3(u32 a, u32 b)
{
	return (u32)__udivdi3(a, b);
}

u32 __umodsi3(u32 a, u32 b)
{
	return (u32)__umoddi3(a, b);
}

s32 __divsi3(s32 a, s32 b)
{
	return (s32)__divdi3(a, b);
}

s32 __modsi3(s32 a, s32 b)
{
	return (s32)__moddi3(a, b);
}

u128 __udivti3(u128 a, u128 b)
{
	u128 r;

	return udivmod128(a, b, &r);
}

u128 __umodti3(u128 a, u128 b)
{
	u128 r;

	udivmod128(a, b, &r);
	return r;
}

s128 __divti3(s128 a, s128 b)
{
	u128 r;
	u128 q = udivmod128(a < 0 ? -(u128)a : (u128)a, b < 0 ? -(u128)b : (u128)b, &r);

	return (s128)((a < 0) != (b < 0) ? -q : q);
}

s128 __modti3(s128 a, s128 b)
{
	u128 r;

	udivmod128(a < 0 ? -(u128)a : (u128)a, b < 0 ? -(u128)b : (u128)b, &r);
	return (s128)(a < 0 ? -r : r);
}
