#include "common.h"

int counter __attribute__((aligned(64)));
int in_section __attribute__((section(".data.pvcctest"))) = 5;

__attribute__((noinline)) int slow_path(int x) { return x * 7 + counter; }

__attribute__((cold, noinline)) void report(int x) { counter += x; }

__attribute__((weak)) int hook(int x) { return x; }

__attribute__((always_inline)) static inline int fast(int x) { return x + 1; }

__attribute__((const)) int square(int x) { return x * x; }

__attribute__((pure)) int first(const int *p) { return *p; }

__attribute__((noreturn)) extern void panic(const char *msg);

int checked(int x)
{
	if (unlikely(x < 0))
		panic("negative");
	if (likely(x < 100))
		return fast(x);
	report(x);
	return slow_path(x) + hook(x);
}

static int unused_helper(void) __attribute__((unused));
static int unused_helper(void) { return 0; }
