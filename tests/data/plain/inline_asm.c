/* IA-64 inline assembly, kernel style (arch/ia64/include/asm/gcc_intrin.h). */
typedef unsigned long u64;

static inline u64 ia64_get_itc(void)
{
	u64 r;
	asm volatile ("mov %0=ar.itc" : "=r"(r) :: "memory");
	return r;
}

static inline void ia64_srlz_d(void)
{
	asm volatile (";; srlz.d" ::: "memory");
}

u64 read_cycles_twice(void)
{
	u64 a = ia64_get_itc();
	ia64_srlz_d();
	return ia64_get_itc() - a;
}

u64 popcnt(u64 x)
{
	u64 r;
	asm ("popcnt %0=%1" : "=r"(r) : "r"(x));
	return r;
}

void barrier_loop(volatile int *flag)
{
	while (!*flag)
		asm volatile ("hint @pause" ::: "memory");
}

u64 xchg8(volatile u64 *p, u64 v)
{
	u64 old;
	asm volatile ("xchg8 %0=[%1],%2" : "=r"(old) : "r"(p), "r"(v) : "memory");
	return old;
}
