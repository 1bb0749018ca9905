/*
 * <pvcc/paravirt.h> - the paravirt intrinsic catalog for C code.
 *
 * Each intrinsic is an ordinary prototype.  Compiled with the pvcc plugin
 * (which predefines __PVCC__ to its record format version), every call
 * becomes an isolated, recorded, boot-patchable call site; compiled by any
 * other compiler the attribute disappears and the calls are plain extern
 * calls.  Type ids are Linux's historical PARAVIRT_PATCH_TYPE_* values.
 *
 * Find this header with `pvcc --print-include-dir` (usable with -nostdinc).
 *
 * Generated from pvcc's catalog (wrapper/pvcc/catalog.py) by
 * `python -m pvcc.catalog_c --write`: edit the catalog, not this file.
 */
#ifndef _PVCC_PARAVIRT_H
#define _PVCC_PARAVIRT_H

#define PARAVIRT_PATCH_TYPE_FC				1
#define PARAVIRT_PATCH_TYPE_THASH			2
#define PARAVIRT_PATCH_TYPE_GET_CPUID			3
#define PARAVIRT_PATCH_TYPE_GET_PMD			4
#define PARAVIRT_PATCH_TYPE_PTCGA			5
#define PARAVIRT_PATCH_TYPE_GET_RR			6
#define PARAVIRT_PATCH_TYPE_SET_RR			7
#define PARAVIRT_PATCH_TYPE_SET_RR0_TO_RR4		8
#define PARAVIRT_PATCH_TYPE_SSM_I			9
#define PARAVIRT_PATCH_TYPE_RSM_I			10
#define PARAVIRT_PATCH_TYPE_GET_PSR_I			11
#define PARAVIRT_PATCH_TYPE_INTRIN_LOCAL_IRQ_RESTORE	12
#define PARAVIRT_PATCH_TYPE_INTRIN_LOCAL_IRQ_SAVE	13
#define PARAVIRT_PATCH_TYPE_GETREG			0x10000000
#define PARAVIRT_PATCH_TYPE_SETREG			0x20000000

/* Calling conventions: the optional second argument of the attribute
 * (docs/light.md).  Without it, the unit's default applies
 * (-fplugin-arg-pvcc-conv=c|light, C call unless told). */
#define PVCC_CONV_C		0
#define PVCC_CONV_LIGHT		1

/* A file may give every declaration below one convention by defining
 * PVCC_DEFAULT_CONV (0 or 1) before including this header. */
#if defined(__PVCC__) && defined(PVCC_DEFAULT_CONV)
#define __paravirt_intrinsic(type) \
	__attribute__((paravirt_intrinsic(type, PVCC_DEFAULT_CONV)))
#define __paravirt_intrinsic_conv(type, conv) \
	__attribute__((paravirt_intrinsic(type, conv)))
#elif defined(__PVCC__)
#define __paravirt_intrinsic(type) __attribute__((paravirt_intrinsic(type)))
#define __paravirt_intrinsic_conv(type, conv) \
	__attribute__((paravirt_intrinsic(type, conv)))
#else
#define __paravirt_intrinsic(type)
#define __paravirt_intrinsic_conv(type, conv)
#endif

#ifdef __cplusplus
extern "C" {
#endif

extern void paravirt_fc(unsigned long addr)
	__paravirt_intrinsic(PARAVIRT_PATCH_TYPE_FC);
extern unsigned long paravirt_thash(unsigned long addr)
	__paravirt_intrinsic(PARAVIRT_PATCH_TYPE_THASH);
extern unsigned long paravirt_get_cpuid(int index)
	__paravirt_intrinsic(PARAVIRT_PATCH_TYPE_GET_CPUID);
extern unsigned long paravirt_get_pmd(int index)
	__paravirt_intrinsic(PARAVIRT_PATCH_TYPE_GET_PMD);
extern void paravirt_ptcga(unsigned long addr, unsigned long size)
	__paravirt_intrinsic(PARAVIRT_PATCH_TYPE_PTCGA);
extern unsigned long paravirt_get_rr(unsigned long index)
	__paravirt_intrinsic(PARAVIRT_PATCH_TYPE_GET_RR);
extern void paravirt_set_rr(unsigned long index, unsigned long val)
	__paravirt_intrinsic(PARAVIRT_PATCH_TYPE_SET_RR);
extern void paravirt_set_rr0_to_rr4(unsigned long val0, unsigned long val1,
				    unsigned long val2, unsigned long val3,
				    unsigned long val4)
	__paravirt_intrinsic(PARAVIRT_PATCH_TYPE_SET_RR0_TO_RR4);
extern void paravirt_ssm_i(void)
	__paravirt_intrinsic(PARAVIRT_PATCH_TYPE_SSM_I);
extern void paravirt_rsm_i(void)
	__paravirt_intrinsic(PARAVIRT_PATCH_TYPE_RSM_I);
extern unsigned long paravirt_get_psr_i(void)
	__paravirt_intrinsic(PARAVIRT_PATCH_TYPE_GET_PSR_I);
extern void paravirt_intrin_local_irq_restore(unsigned long flags)
	__paravirt_intrinsic(PARAVIRT_PATCH_TYPE_INTRIN_LOCAL_IRQ_RESTORE);
extern unsigned long paravirt_intrin_local_irq_save(void)
	__paravirt_intrinsic(PARAVIRT_PATCH_TYPE_INTRIN_LOCAL_IRQ_SAVE);
/* reg must be a compile-time constant _IA64_REG_* number. */
extern unsigned long paravirt_getreg(int reg)
	__paravirt_intrinsic(PARAVIRT_PATCH_TYPE_GETREG);
extern void paravirt_setreg(int reg, unsigned long val)
	__paravirt_intrinsic(PARAVIRT_PATCH_TYPE_SETREG);

#ifdef __cplusplus
}
#endif

#endif /* _PVCC_PARAVIRT_H */
