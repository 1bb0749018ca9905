#include "common.h"

#define BITS_PER_LONG 64
#define BIT_WORD(nr) ((nr) / BITS_PER_LONG)
#define BIT_MASK(nr) (1UL << ((nr) % BITS_PER_LONG))

void set_bit(unsigned long nr, unsigned long *addr) { addr[BIT_WORD(nr)] |= BIT_MASK(nr); }
void clear_bit(unsigned long nr, unsigned long *addr) { addr[BIT_WORD(nr)] &= ~BIT_MASK(nr); }
int test_bit(unsigned long nr, const unsigned long *addr) { return 1UL & (addr[BIT_WORD(nr)] >> (nr & 63)); }

unsigned long find_next_zero(const unsigned long *addr, unsigned long size, unsigned long off)
{
	for (; off < size; off++)
		if (!test_bit(off, addr))
			return off;
	return size;
}

u64 extract(u64 v, int lo, int len) { return (v >> lo) & ((1UL << len) - 1); }
u64 deposit(u64 v, u64 f, int lo, int len)
{
	u64 m = ((1UL << len) - 1) << lo;
	return (v & ~m) | ((f << lo) & m);
}
