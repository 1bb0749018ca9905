/* pvcc-sim runtime: the PSR bit kernel/pvcc_native.c uses (Itanium SDM: psr.i is bit 14). */
#ifndef _PVCC_SIM_ASM_KREGS_H
#define _PVCC_SIM_ASM_KREGS_H
#define IA64_PSR_I_BIT 14
#define IA64_PSR_I (1UL << IA64_PSR_I_BIT)
#endif
