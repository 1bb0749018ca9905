#include <pvcc/paravirt.h>

#define _IA64_REG_PSR		1019
#define _IA64_REG_AR_KR0	3072
#define _IA64_REG_AR_KR7	3079
#define _IA64_REG_AR_ITC	3116
#define _IA64_REG_CR_ITM	4097
#define _IA64_REG_CR_IVR	4161
#define _IA64_REG_CR_TPR	4162
#define _IA64_REG_CR_EOI	4163
#define _IA64_REG_CR_IIP	4115

unsigned long read_regs(void)
{
	return paravirt_getreg(_IA64_REG_PSR) + paravirt_getreg(_IA64_REG_AR_ITC)
		+ paravirt_getreg(_IA64_REG_CR_IVR) + paravirt_getreg(_IA64_REG_CR_IIP);
}

void write_regs(unsigned long v)
{
	paravirt_setreg(_IA64_REG_AR_KR0, v);
	paravirt_setreg(_IA64_REG_CR_ITM, v + 1);
	paravirt_setreg(_IA64_REG_CR_TPR, 0);
	paravirt_setreg(_IA64_REG_CR_EOI, 0);
	paravirt_setreg(_IA64_REG_AR_KR7, v);
}
