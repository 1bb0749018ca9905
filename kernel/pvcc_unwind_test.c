// SPDX-License-Identifier: GPL-2.0
/*
 * arch/ia64/kernel/pvcc_unwind_test.c - a kernel backtrace through a pvcc site.
 *
 * Shipped by pvcc (kernel/pvcc_unwind_test.c); kernel/build.sh copies it into
 * the tree and writes the light entry of its C implementation,
 * pvcc_unwind_test_light.S, with pvcc-thunks (python -m pvcc.thunks
 * pvcc_unwind_test_get_cpuid); kernel/linux-6.1-pvcc.patch builds both for
 * CONFIG_PVCC_UNWIND_TEST.
 *
 * Inert unless the command line has "pvcc_unwind_test".  Then:
 *
 *   pvcc_unwind_test_register()  from pvcc_patch_kernel() (pvcc_boot.c) when
 *       no hypervisor registered its implementations: get_cpuid's sites are
 *       retargeted to pvcc_unwind_test_get_cpuid(), a C function -- light
 *       sites through its pvcc-thunks entry
 *       __pvcc_light_pvcc_unwind_test_get_cpuid, C-call sites to the function
 *       itself.  Sites of every other type have no implementation here and
 *       keep calling the native table (the patcher counts them "kept").
 *   pvcc_unwind_test_init()      a late initcall: arms the implementation and
 *       calls pvcc_unwind_test_site(), whose ia64_get_cpuid() is such a site.
 *       Armed, the implementation calls dump_stack() once: the kernel's
 *       unwinder must step from it through the thunk into the function that
 *       holds the site and on into this initcall (pvcc's docs/light.md,
 *       "Unwind information"; kernel/simboot.py's way unwind reads the Call
 *       Trace).  Then it performs the native instruction and returns its
 *       result, which the initcall compares and reports in one line.
 *
 * get_cpuid is the type because its sites run with psr.ic on (identify_cpu()
 * and this file): a thunk allocates a register frame and calls C, which is
 * not allowed with psr.ic off.
 */

#include <linux/init.h>
#include <linux/kernel.h>
#include <linux/printk.h>
#include <asm/intrinsics.h>

#include "pvcc_patch.h"

static bool pvcc_unwind_test_on __initdata;		/* "pvcc_unwind_test" */
static bool pvcc_unwind_test_registered __initdata;
static bool pvcc_unwind_test_armed;
static unsigned int pvcc_unwind_test_dumps;

static int __init pvcc_unwind_test_setup(char *s)
{
	pvcc_unwind_test_on = true;
	return 0;
}
early_param("pvcc_unwind_test", pvcc_unwind_test_setup);

/*
 * The native instruction: ia64_get_cpuid() of uapi/asm/gcc_intrin.h.  In this
 * file that name is the paravirt site (asm/pvcc-paravirt.h).
 */
static noinline __attribute__((__noipa__)) unsigned long pvcc_unwind_test_native(int index)
{
	unsigned long res;

	asm volatile ("mov %0=cpuid[%r1]" : "=r"(res) : "rO"(index));
	return res;
}

/* get_cpuid's implementation: every retargeted site of the kernel calls it. */
unsigned long pvcc_unwind_test_get_cpuid(int index)
{
	if (READ_ONCE(pvcc_unwind_test_armed)) {
		WRITE_ONCE(pvcc_unwind_test_armed, false);
		pvcc_unwind_test_dumps++;
		dump_stack();
	}
	return pvcc_unwind_test_native(index);
}

/* pvcc_unwind_test_light.S (pvcc-thunks): the light entry that calls it. */
extern const char __pvcc_light_pvcc_unwind_test_get_cpuid[];

static const struct pvcc_impl pvcc_unwind_test_impls[] = {
	{ PARAVIRT_PATCH_TYPE_GET_CPUID, (void (*)(void))pvcc_unwind_test_get_cpuid,
	  __pvcc_light_pvcc_unwind_test_get_cpuid },
};

void __init pvcc_unwind_test_register(void)
{
	if (!pvcc_unwind_test_on)
		return;
	pvcc_register_impls(pvcc_unwind_test_impls, ARRAY_SIZE(pvcc_unwind_test_impls));
	pvcc_unwind_test_registered = true;
	pr_info("pvcc: unwind test: get_cpuid's sites go to pvcc_unwind_test_get_cpuid(); "
		"the other types have no implementation here and keep their calls\n");
}

/*
 * The site's caller.  It also calls the native instruction, so it is no leaf:
 * it saves its own return link and ar.pfs, and the unwinder goes on past it
 * into the initcall.  noipa: no clone, no inlining, its name stays.
 */
static noinline __attribute__((__noipa__)) unsigned long
pvcc_unwind_test_site(int index, unsigned long *native)
{
	unsigned long res = ia64_get_cpuid(index);	/* the site */

	*native = pvcc_unwind_test_native(index);
	return res;
}

static int __init pvcc_unwind_test_init(void)
{
	unsigned long res, native;

	if (!pvcc_unwind_test_on)
		return 0;
	if (!pvcc_unwind_test_registered) {
		pr_warn("pvcc: unwind test: skipped (a hypervisor's implementations are registered)\n");
		return 0;
	}
	WRITE_ONCE(pvcc_unwind_test_armed, true);
	res = pvcc_unwind_test_site(0, &native);
	WRITE_ONCE(pvcc_unwind_test_armed, false);
	if (pvcc_unwind_test_dumps == 1 && res == native)
		pr_info("pvcc: unwind test: the get_cpuid site in pvcc_unwind_test_site() reached "
			"pvcc_unwind_test_get_cpuid() %s, which called dump_stack(); "
			"cpuid[0] %#lx, as the native instruction reads it\n",
			IS_ENABLED(CONFIG_PVCC_LIGHT) ?
			"through __pvcc_light_pvcc_unwind_test_get_cpuid" : "directly", res);
	else
		pr_warn("pvcc: unwind test: FAILED: %u backtraces taken (1 expected), "
			"cpuid[0] %#lx through the site, %#lx native\n",
			pvcc_unwind_test_dumps, res, native);
	return 0;
}
late_initcall(pvcc_unwind_test_init);
