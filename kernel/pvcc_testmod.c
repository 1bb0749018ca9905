// SPDX-License-Identifier: GPL-2.0
/*
 * pvcc_testmod.c - a small module with paravirt call sites of several types,
 * built by kernel/build.sh's modules step as an external module (M=) of the
 * paravirt kernel.  Its .pvcc_sites records are patched at load time by
 * module_finalize() -> pvcc_patch_module() (pvcc_boot.c).
 */
#include <linux/init.h>
#include <linux/irqflags.h>
#include <linux/module.h>
#include <linux/printk.h>
#include <asm/delay.h>
#include <asm/intrinsics.h>

static unsigned long pvcc_testmod_sample(unsigned long addr)
{
	unsigned long flags, v;

	local_irq_save(flags);			/* intrin_local_irq_save */
	v = ia64_get_cpuid(3) ^ ia64_get_itc();	/* get_cpuid, getreg(ar.itc) */
	v ^= ia64_get_rr(addr) ^ ia64_thash(addr);	/* get_rr, thash */
	ia64_fc((void *)addr);			/* fc */
	local_irq_restore(flags);		/* intrin_local_irq_restore */
	return v;
}

static int __init pvcc_testmod_init(void)
{
	pr_info("pvcc_testmod: %lx\n", pvcc_testmod_sample((unsigned long)&pvcc_testmod_init));
	return 0;
}
module_init(pvcc_testmod_init);

MODULE_DESCRIPTION("pvcc: a module with paravirt call sites");
MODULE_LICENSE("GPL");
