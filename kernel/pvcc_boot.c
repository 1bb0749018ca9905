// SPDX-License-Identifier: GPL-2.0
/*
 * arch/ia64/kernel/pvcc_boot.c - when the kernel runs pvcc's patcher.
 *
 * Shipped by pvcc (kernel/pvcc_boot.c); kernel/build.sh copies it into the
 * tree and kernel/linux-6.1-pvcc.patch builds it for CONFIG_PVCC_PARAVIRT.
 *
 *   pvcc_patch_kernel()  from setup_arch(), right after parse_early_param():
 *                        the sites between __start_pvcc_sites and
 *                        __stop_pvcc_sites;
 *   pvcc_patch_module()  from module_finalize(): a module's .pvcc_sites.
 *
 * Bare metal, every site gets its native code.  A hypervisor that called
 * pvcc_register_impls() before setup_arch() reaches this point gets its
 * sites pointed at its implementations instead (the C function for C-call
 * sites, the light entry for light sites); sites without one keep calling
 * their own implementation.
 *
 * pvcc's pass-through hypervisor (pvcc's docs/boot-patching.md) is found
 * here: when efi_init() saw its EFI configuration table (pvcc_hv_table_phys,
 * arch_tables[] of efi.c), pvcc_patch_kernel() checks the table and registers
 * the implementations generated from pvcc's catalog (pvcc_passthru.c, light
 * entries in pvcc_passthru_light.S), each of which is one hypercall, before it
 * patches.  Without the table nothing changes.  A module's sites
 * call the kernel through the module's PLT, which switches gp; a direct
 * branch to an implementation would run it with the module's gp, so under a
 * hypervisor a module's sites keep their calls.
 *
 * "noreplace-paravirt" on the command line leaves every site as it is.
 *
 * CONFIG_PVCC_UNWIND_TEST with "pvcc_unwind_test" on the command line and no
 * hypervisor: pvcc_unwind_test.c registers a C implementation of get_cpuid
 * before the patch, for a backtrace through a site.
 */

/* This file's own instructions stay native (it rewrites the sites). */
#define PVCC_NATIVE_INTRINSICS 1

#include <linux/cache.h>
#include <linux/efi.h>
#include <linux/elf.h>
#include <linux/init.h>
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/printk.h>
#include <linux/string.h>
#include <asm/intrinsics.h>

#include "pvcc_patch.h"
#include "pvcc_passthru.h"

extern const struct pvcc_site __start_pvcc_sites[], __stop_pvcc_sites[];
extern const struct pvcc_native __start_pvcc_native[], __stop_pvcc_native[];

static bool pvcc_noreplace __ro_after_init;
static const struct pvcc_impl *pvcc_impls __ro_after_init;
static unsigned int pvcc_nimpls __ro_after_init;

static int __init pvcc_noreplace_setup(char *s)
{
	pvcc_noreplace = true;
	return 0;
}
early_param("noreplace-paravirt", pvcc_noreplace_setup);

void __init pvcc_register_impls(const struct pvcc_impl *impls, unsigned int n)
{
	pvcc_impls = impls;
	pvcc_nimpls = n;
}

unsigned long pvcc_hv_table_phys __initdata = EFI_INVALID_TABLE_ADDR;

/*
 * The machine announces pvcc's pass-through hypervisor: register its
 * implementations if the table is one this kernel's hypercalls fit.
 */
static void __init pvcc_passthru_detect(void)
{
	const struct pvcc_hv_table *t;
	unsigned long phys = pvcc_hv_table_phys;

	if (phys == EFI_INVALID_TABLE_ADDR)
		return;
	t = __va(phys);
	if (memcmp(t->signature, PVCC_HV_SIGNATURE, sizeof(t->signature)) ||
	    t->revision != PVCC_HV_REVISION || t->length < sizeof(*t)) {
		pr_warn("pvcc: EFI table at %#lx is not a pvcc hypervisor table of revision %u: "
			"ignored\n", phys, PVCC_HV_REVISION);
		return;
	}
	if (!(t->flags & PVCC_HV_PASSTHRU) || t->hypercall_imm != HYPERCALL_BASE ||
	    t->nr_hypercalls <= PVCC_PASSTHRU_LAST - HYPERCALL_BASE) {
		pr_warn("pvcc: hypervisor at %#lx (flags %#x, hypercalls break %#llx + %u) "
			"does not serve this kernel's pass-through hypercalls "
			"(break %#x-%#x): ignored\n", phys, t->flags,
			(unsigned long long)t->hypercall_imm, t->nr_hypercalls,
			PVCC_PASSTHRU_FIRST, PVCC_PASSTHRU_LAST);
		return;
	}
	pvcc_register_impls(pvcc_passthru_impls, PVCC_PASSTHRU_NIMPLS);
	pr_info("pvcc: pass-through hypervisor %.8s revision %u at %#lx: "
		"%u implementations registered (hypercalls break %#x-%#x)\n",
		t->signature, t->revision, phys, PVCC_PASSTHRU_NIMPLS,
		PVCC_PASSTHRU_FIRST, PVCC_PASSTHRU_LAST);
}

static void pvcc_serialize(void)
{
	ia64_sync_i();
	ia64_srlz_i();
}

static void pvcc_refuse(struct pvcc_patcher *p, const struct pvcc_site *s,
			enum pvcc_refusal why, u64 detail)
{
	pvcc_serialize();	/* printk may run code patched so far */
	pr_warn("pvcc: %s%ssite %px in %pS (type %#x, version %u, convention %u): "
		"%s (%#llx), left unpatched\n",
		p->data ? (const char *)p->data : "", p->data ? ": " : "",
		(void *)s->start, (void *)s->func, s->type, s->version, s->conv,
		pvcc_patch_reason(why), (unsigned long long)detail);
}

/* A C function pointer is the address of its descriptor { entry, gp }. */
static u64 pvcc_impl_of(struct pvcc_patcher *p, u32 type, u8 conv)
{
	unsigned int i;

	for (i = 0; i < pvcc_nimpls; i++) {
		const struct pvcc_impl *m = &pvcc_impls[i];

		if (m->type != type)
			continue;
		if (conv == PVCC_SITE_C_CALL && m->fn)
			return *(const u64 *)m->fn;
		if (conv == PVCC_SITE_LIGHT && m->light)
			return (u64)m->light;
	}
	return 0;
}

static u64 pvcc_keep(struct pvcc_patcher *p, u32 type, u8 conv)
{
	return 0;
}

/* The kernel's sites, patched once at boot: encoded once per kind of record. */
static struct pvcc_memo pvcc_memo[PVCC_MEMO_SLOTS] __initdata;

static void pvcc_run(const char *who, const struct pvcc_site *begin,
		     const struct pvcc_site *end, bool module, struct pvcc_memo *memo,
		     const struct pvcc_native *native)
{
	struct pvcc_patcher p = {
		.in_place = 1,		/* the text itself, each bundle flushed with fc.i */
		.refuse = pvcc_refuse,
		.data = (void *)who,
		.memo = memo,
		.native_code = native,
	};

	if (begin == end)
		return;
	if (pvcc_noreplace) {
		pr_info("pvcc: %s%snoreplace-paravirt: %ld sites keep their calls\n",
			who ? who : "", who ? ": " : "", (long)(end - begin));
		return;
	}
	if (pvcc_nimpls)
		p.impl = module ? pvcc_keep : pvcc_impl_of;
	pvcc_patch_sites(&p, begin, end);
	pvcc_serialize();
	pr_info("pvcc: %s%s%lu sites native, %lu retargeted, %lu kept, %lu refused\n",
		who ? who : "", who ? ": " : "", p.native, p.retargeted, p.kept, p.refused);
}

void __init pvcc_patch_kernel(void)
{
	pvcc_passthru_detect();
#ifdef CONFIG_PVCC_UNWIND_TEST
	/* "pvcc_unwind_test" on bare metal: get_cpuid's test implementation */
	if (!pvcc_nimpls)
		pvcc_unwind_test_register();
#endif
	/* .pvcc_native, filled at link time, has an entry per record */
	pvcc_run(NULL, __start_pvcc_sites, __stop_pvcc_sites, false, pvcc_memo,
		 __stop_pvcc_native - __start_pvcc_native == __stop_pvcc_sites - __start_pvcc_sites ?
		 __start_pvcc_native : NULL);
}

#ifdef CONFIG_MODULES
void pvcc_patch_module(const Elf64_Ehdr *hdr, const Elf64_Shdr *sechdrs, struct module *mod)
{
	const char *names = (const char *)hdr + sechdrs[hdr->e_shstrndx].sh_offset;
	unsigned int i;

	for (i = 1; i < hdr->e_shnum; i++) {
		const Elf64_Shdr *s = &sechdrs[i];

		if (strcmp(names + s->sh_name, ".pvcc_sites") || !(s->sh_flags & SHF_ALLOC))
			continue;
		pvcc_run(mod->name, (const struct pvcc_site *)s->sh_addr,
			 (const struct pvcc_site *)(s->sh_addr + s->sh_size), true, NULL, NULL);
	}
}
#endif
