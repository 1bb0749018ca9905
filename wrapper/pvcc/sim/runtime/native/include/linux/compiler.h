/* pvcc-sim runtime: stand-in for the kernel header that kernel/pvcc_native.c includes. */
#ifndef _PVCC_SIM_LINUX_COMPILER_H
#define _PVCC_SIM_LINUX_COMPILER_H
#endif
