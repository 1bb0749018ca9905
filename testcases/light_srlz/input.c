/*
 * Linux's serializations after privileged operations (arch/ia64/kernel/irq_ia64.c,
 * asm/irqflags.h, asm/hw_irq.h): a light site followed by ia64_srlz_d() carries
 * the srlz.d in its region (record flag srlz.d); anything else keeps its asm.
 */
#include <pvcc/paravirt.h>

#define srlz_d()	asm volatile (";; srlz.d" ::: "memory")
#define stop()		asm volatile (";;" ::)
#define CR_TPR	(4096 + 66)
#define CR_IVR	(4096 + 65)
#define CR_EOI	(4096 + 67)

extern void handle(unsigned long vector);

/* ia64_handle_irq's shape: the saved tpr lives across a call. */
void dispatch(void)
{
	unsigned long saved_tpr = paravirt_getreg(CR_TPR), vector;

	srlz_d();
	srlz_d();
	vector = paravirt_getreg(CR_IVR);
	srlz_d();
	paravirt_setreg(CR_TPR, vector);
	srlz_d();
	handle(vector);
	paravirt_rsm_i();
	paravirt_setreg(CR_TPR, saved_tpr);
	paravirt_setreg(CR_EOI, 0);
	srlz_d();
}

/* arch_local_irq_enable */
void irq_on(void)
{
	stop();
	paravirt_ssm_i();
	srlz_d();
}

/* a store between the site and the srlz.d: the srlz.d stays where it is */
void store_between(unsigned long *p)
{
	paravirt_ssm_i();
	*p = 1;
	srlz_d();
}

/* get_psr_i's native code fills its bundle: no room for the srlz.d */
unsigned long psr_i(void)
{
	unsigned long r = paravirt_get_psr_i();

	srlz_d();
	return r;
}

/* a C-call site never carries it: a C implementation promises nothing */
extern void setreg_c(int reg, unsigned long val)
	__attribute__((paravirt_intrinsic(0x20000000, 0)));

void c_call(unsigned long v)
{
	setreg_c(CR_TPR, v);
	srlz_d();
}
