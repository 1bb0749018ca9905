/*
 * pvcc-catalog.h - the paravirt intrinsic catalog as the plugin sees it.
 *
 * Mirrors wrapper/pvcc/catalog.py (tests/test_catalog.py keeps the two
 * equal): the Linux pv_cpu_ops type ids, each intrinsic's argument count,
 * whether it returns a value, and how many bundles its patchable region
 * reserves so that native code fits (docs/records.md).
 */
#ifndef PVCC_CATALOG_H
#define PVCC_CATALOG_H

#define PVCC_RECORD_VERSION 1
#define PVCC_SECTION ".pvcc_sites"
#define PVCC_COMPAT_SECTION ".paravirt_bundles"
#define PVCC_CONV_C 0
#define PVCC_CONV_LIGHT 1

/* The light convention (docs/light.md): argument i in pvcc_light_args[i],
 * the result in r8, the link (address of the site's transfer bundle) in r2;
 * the implementation may write exactly the registers of pvcc_light_clobbers
 * (and memory). */
static const int pvcc_light_args[] = { 8, 9, 10, 11, 14 };
#define PVCC_LIGHT_RESULT 8
#define PVCC_LIGHT_LINK 2
static const char *const pvcc_light_clobbers[] = {
	"r2", "r3", "r8", "r9", "r10", "r11", "r14", "r15", "r16", "r17",
	"b6", "b7", "p6", "p7", "p8", "p9", "p10", "p11", "p12", "p13", "p14",
	"p15", "ar.ccv",
};

#define PVCC_GETREG_BASE 0x10000000u
#define PVCC_SETREG_BASE 0x20000000u

/* _IA64_REG_* numbers (arch/ia64/include/uapi/asm/ia64regs.h). */
#define PVCC_REG_IP 1016
#define PVCC_REG_PSR 1019
#define PVCC_REG_GP 1025
#define PVCC_REG_SP 1036
#define PVCC_REG_TP 1037
#define PVCC_AR_BASE 3072
#define PVCC_CR_BASE 4096

struct pvcc_intrinsic {
	const char *name;
	unsigned int type;	/* base id; getreg/setreg add the register */
	int nargs;
	bool returns;
	int bundles;		/* size of the patchable region */
};

static const struct pvcc_intrinsic pvcc_catalog[] = {
	{ "fc", 1, 1, false, 1 },
	{ "thash", 2, 1, true, 1 },
	{ "get_cpuid", 3, 1, true, 1 },
	{ "get_pmd", 4, 1, true, 1 },
	{ "ptcga", 5, 2, false, 1 },
	{ "get_rr", 6, 1, true, 1 },
	{ "set_rr", 7, 2, false, 1 },
	{ "set_rr0_to_rr4", 8, 5, false, 4 },
	{ "ssm_i", 9, 0, false, 1 },
	{ "rsm_i", 10, 0, false, 1 },
	{ "get_psr_i", 11, 0, true, 1 },
	{ "intrin_local_irq_restore", 12, 1, false, 2 },
	{ "getreg", PVCC_GETREG_BASE, 1, true, 1 },
	{ "setreg", PVCC_SETREG_BASE, 2, false, 1 },
};

/* Control registers that exist (Itanium SDM vol. 2, table 3-3). */
static const int pvcc_cr_numbers[] = {
	0, 1, 2, 8, 16, 17, 19, 20, 21, 22, 23, 24, 25,
	64, 65, 66, 67, 68, 69, 70, 71, 72, 73, 74, 80, 81,
};

/* Application registers named in ia64regs.h (_IA64_REG_AR_*). */
static const int pvcc_ar_numbers[] = {
	0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 21, 24, 25, 26, 27, 28, 29, 30,
	32, 36, 40, 44, 64, 65, 66,
};

/* getreg only: ar.bsp; cr.ivr and cr.irr0-3 (writes are Illegal Operation). */
static const int pvcc_read_only_ars[] = { 17 };
static const int pvcc_read_only_crs[] = { 65, 68, 69, 70, 71 };

#endif /* PVCC_CATALOG_H */
