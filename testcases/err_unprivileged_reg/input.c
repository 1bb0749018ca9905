#include <pvcc/paravirt.h>

#define _IA64_REG_GP		1025
#define _IA64_REG_SP		1036
#define _IA64_REG_TP		1037
#define _IA64_REG_AR_BSP	3089
#define _IA64_REG_AR_EFLAG	3096
#define _IA64_REG_AR_PFS	3136
#define _IA64_REG_AR_LC		3137

/* A call would read the callee's stack pointer, not the caller's. */
unsigned long stack_pointer(void)
{
	return paravirt_getreg(_IA64_REG_SP);
}

/* ... the callee's backing store pointer. */
unsigned long backing_store(void)
{
	return paravirt_getreg(_IA64_REG_AR_BSP);
}

/* The call itself writes ar.pfs; the callee must restore ar.lc. */
void frame_state(unsigned long v)
{
	paravirt_setreg(_IA64_REG_AR_PFS, v);
	paravirt_setreg(_IA64_REG_AR_LC, v);
}

/* gp and tp, and the IA-32 ar.eflag: not privileged either. */
unsigned long fixed(unsigned long v)
{
	paravirt_setreg(_IA64_REG_GP, v);
	paravirt_setreg(_IA64_REG_AR_EFLAG, v);
	return paravirt_getreg(_IA64_REG_TP);
}
