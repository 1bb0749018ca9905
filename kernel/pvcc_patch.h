/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pvcc_patch.h - the boot-time patcher of pvcc's paravirt call sites.
 *
 * Shipped by pvcc (kernel/pvcc_patch.h); kernel/build.sh copies it into
 * arch/ia64/kernel/.  pvcc_patch.c walks the 64-byte records of .pvcc_sites
 * (docs/records.md of pvcc) and rewrites each site's region either with the
 * native code of its type (bare metal) or with a transfer to the
 * implementation a hypervisor registered for that type.  It knows no
 * instruction encoding: the bundles come from pvcc_patch_table.h, which
 * pvcc generates from the encoder `pvcc-check --patch native` uses.
 *
 * The core depends on nothing but this header and the table, so the same
 * source is built into the kernel (pvcc_boot.c supplies the callbacks) and
 * into test programs that run it over a vmlinux outside the kernel.
 */
#ifndef _PVCC_PATCH_H
#define _PVCC_PATCH_H

#ifdef __KERNEL__
#include <linux/types.h>
#else
typedef __UINT8_TYPE__ u8;
typedef __UINT16_TYPE__ u16;
typedef __UINT32_TYPE__ u32;
typedef __UINT64_TYPE__ u64;
typedef __INT64_TYPE__ s64;
#endif

/* One .pvcc_sites record, format version 1. */
struct pvcc_site {
	u64 start;		/* first bundle of the patchable region */
	u64 end;		/* just after its last bundle */
	u64 func;		/* function that holds the site */
	u64 target;		/* implementation the site calls */
	u32 type;		/* paravirt type id */
	u8 version;
	u8 conv;		/* calling convention */
	u8 nargs;
	u8 result;		/* general register of the result, 0 for none */
	u8 sol;			/* the holding function's alloc: locals */
	u8 sof;			/* ... and frame size */
	u16 flags;
	u32 reserved0;
	u8 args[8];		/* 0x80|k: out k; 1..31: static rN */
	u64 reserved1;
};

/* One instruction bundle, as it lies in memory (little-endian halves). */
struct pvcc_bundle {
	u64 lo, hi;
};

/*
 * The native code of a site depends on nothing but its record's type,
 * convention, registers (arguments and result) and, when an argument is an
 * output register, the holding function's frame: records that agree there
 * get the same bundles.  Given an array of PVCC_MEMO_SLOTS of these
 * (->memo), the patcher keeps the code it wrote for the last record of each
 * slot and copies it into the next site whose record agrees, after the
 * checks that depend on the site itself (its region): a site then costs a
 * copy instead of a table lookup and an encoding.
 */
#define PVCC_MEMO_SLOTS 128		/* a power of two */
#define PVCC_MEMO_BUNDLES 4		/* the longest native code */

struct pvcc_memo {
	u64 key[3];
	u64 nbundles;		/* 0: an empty slot */
	struct pvcc_bundle code[PVCC_MEMO_BUNDLES];
	u64 pad[4];		/* 128 bytes: a slot's address is one shift */
};

/*
 * A site's native code encoded at link time: .pvcc_native holds one entry per
 * .pvcc_sites record, in the same order, zero as linked; pvcc-check
 * --fill-native (scripts/link-vmlinux.sh) writes NBUNDLES bundles of the
 * record's native code into each, which followed by nop bundles up to the
 * region's end are what pvcc-check --patch native writes there.  A zero entry
 * (not filled, or a site the host could not encode) is patched the long way.
 */
#define PVCC_NATIVE_MAGIC 0x424e5650	/* "PVNB" */

struct pvcc_native {
	u32 magic;		/* PVCC_NATIVE_MAGIC when filled */
	u8 nbundles;		/* 1..PVCC_MEMO_BUNDLES */
	u8 nregion;		/* the record's region, in bundles */
	u8 reserved[10];
	struct pvcc_bundle code[PVCC_MEMO_BUNDLES];
};

/* The first word of a filled entry whose NB code bundles fill a region of NB. */
#define PVCC_NATIVE_FILLS(nb) \
	((u64)PVCC_NATIVE_MAGIC | (u64)(nb) << 32 | (u64)(nb) << 40)

/* Calling conventions of a site (the record's conv); pvcc_patch.c checks
 * them against the generated table. */
enum pvcc_site_conv {
	PVCC_SITE_C_CALL = 0,	/* br.call b0 in the first bundle */
	PVCC_SITE_LIGHT = 1,	/* mov r2 = ip; br.cond in the last bundle */
};

/* Why a site stays unpatched (pvcc_patch_reason() spells it). */
enum pvcc_refusal {
	PVCC_OK = 0,
	PVCC_BAD_VERSION,	/* detail: the version */
	PVCC_BAD_CONV,		/* detail: the convention */
	PVCC_BAD_TYPE,		/* detail: the type id */
	PVCC_BAD_REGION,	/* detail: the region size in bytes */
	PVCC_BAD_ARGS,		/* detail: the argument count */
	PVCC_BAD_ARG,		/* detail: argument index << 8 | its byte */
	PVCC_BAD_REG,		/* detail: operand << 8 | register (8 = result) */
	PVCC_NO_ROOM,		/* detail: bundles the code needs */
	PVCC_BAD_IMPL,		/* detail: the implementation's address */
	PVCC_NO_MAPPING,	/* detail: the region's address */
	PVCC_OUT_OF_REACH,	/* detail: the implementation's address */
};

struct pvcc_patcher {
	/*
	 * Writable memory for LEN bytes of code at address ADDR, or NULL.
	 * In the kernel that is ADDR itself.
	 */
	void *(*code)(struct pvcc_patcher *p, u64 addr, u64 len);
	/* A rewritten bundle (fc.i); may be NULL. */
	void (*flush)(struct pvcc_patcher *p, void *bundle);
	/*
	 * Built for IA-64 (__ia64__) only, the kernel's case: the code is
	 * written at its own address and each rewritten bundle flushed with
	 * fc.i by the patcher itself, instead of calling ->code and ->flush
	 * for every site.  Elsewhere ignored.
	 */
	int in_place;
	/* A site left unpatched, and why; may be NULL. */
	void (*refuse)(struct pvcc_patcher *p, const struct pvcc_site *site,
		       enum pvcc_refusal why, u64 detail);
	/*
	 * Retargeting: the entry address of the implementation registered for
	 * TYPE in calling convention CONV (0 C call, 1 light), or 0 when there
	 * is none (the site keeps its call).  NULL: bare metal, every site gets
	 * its native code.
	 */
	u64 (*impl)(struct pvcc_patcher *p, u32 type, u8 conv);
	void *data;		/* for the callbacks */
	/*
	 * PVCC_MEMO_SLOTS entries, zeroed before the first use, or NULL: the
	 * native code of sites whose records agree is encoded once.
	 */
	struct pvcc_memo *memo;
	/*
	 * Bare metal: the entries of .pvcc_native parallel to the records
	 * pvcc_patch_sites() is given, or NULL.  A filled entry is copied.
	 */
	const struct pvcc_native *native_code;
	/* Counts, added to by pvcc_patch_sites(). */
	unsigned long native, retargeted, kept, refused;
};

/*
 * Patch every site of [begin, end).  Returns the number of sites refused.
 * The caller serializes afterwards (sync.i; srlz.i in the kernel).
 */
unsigned long pvcc_patch_sites(struct pvcc_patcher *p,
			       const struct pvcc_site *begin,
			       const struct pvcc_site *end);

/* One site; PVCC_OK or why it stays unpatched (also passed to ->refuse). */
enum pvcc_refusal pvcc_patch_site(struct pvcc_patcher *p,
				  const struct pvcc_site *site, u64 *detail);

const char *pvcc_patch_reason(enum pvcc_refusal why);

#ifdef __KERNEL__
#include <linux/elf.h>

struct module;

/* The implementations a hypervisor registers for a paravirt type. */
struct pvcc_impl {
	u32 type;		/* record type id, e.g. 9 (ssm_i), 0x10000000 + reg */
	void (*fn)(void);	/* for C-call sites: the C function (its descriptor) */
	const void *light;	/* for light sites: the entry's code address */
};

/*
 * The physical address of pvcc's hypervisor table (an EFI configuration
 * table, found by efi_init()), or EFI_INVALID_TABLE_ADDR: pvcc_patch_kernel()
 * registers the pass-through hypervisor's implementations when it is there.
 */
extern unsigned long pvcc_hv_table_phys;

/* Before setup_arch() patches: retarget the kernel's sites to IMPLS. */
void pvcc_register_impls(const struct pvcc_impl *impls, unsigned int n);
/* setup_arch(): the kernel's sites; module_finalize(): a module's. */
void pvcc_patch_kernel(void);
void pvcc_patch_module(const Elf64_Ehdr *hdr, const Elf64_Shdr *sechdrs,
		       struct module *mod);
/* CONFIG_PVCC_UNWIND_TEST (pvcc_unwind_test.c): its implementation, when asked. */
void pvcc_unwind_test_register(void);
#endif

#endif /* _PVCC_PATCH_H */
