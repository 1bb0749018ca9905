/* The convention per declaration: the attribute's second argument
 * (0: C call, 1: light) beats the unit's default (C here). */
#define LIGHT 1

extern void ssm_i(void) __attribute__((paravirt_intrinsic(9, LIGHT)));
extern void rsm_i(void) __attribute__((paravirt_intrinsic(10, 1)));
extern unsigned long cpuid_c(int i) __attribute__((paravirt_intrinsic(3, 0)));
extern unsigned long cpuid_default(int i) __attribute__((paravirt_intrinsic(3)));

static inline __attribute__((always_inline)) void irq_disable(void)
{
	rsm_i();
}

void critical(unsigned long *p)
{
	irq_disable();
	*p += 1;
	ssm_i();
}

unsigned long mixed(int i)
{
	unsigned long a = cpuid_c(i);
	ssm_i();
	return a + cpuid_default(i + 1);
}
