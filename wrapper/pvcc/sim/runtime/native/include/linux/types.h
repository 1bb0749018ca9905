/* pvcc-sim runtime: the kernel integer types kernel/pvcc_native.c uses. */
#ifndef _PVCC_SIM_LINUX_TYPES_H
#define _PVCC_SIM_LINUX_TYPES_H
typedef unsigned long __u64;
typedef long __s64;
typedef unsigned int __u32;
#endif
